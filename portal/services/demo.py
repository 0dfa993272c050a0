"""Demo data: accounts for every role and a few hundred varied tickets with conversations."""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import Ticket, User
from portal.models.base import utcnow
from portal.services import canned_replies, satisfaction, sla
from portal.services import tickets as ticket_service
from portal.services import users as user_service
from portal.services.cache import clear_queue_counts
from portal.services.kb_seed import seed_articles

DEMO_PASSWORD = "demo-password"
ACCOUNTS = [
    ("admin@demo.test", "Ada Admin", "admin"),
    ("sam@demo.test", "Sam Staff", "staff"),
    ("kim@demo.test", "Kim Staff", "staff"),
    ("uma@demo.test", "Uma User", "user"),
    ("lee@demo.test", "Lee Student", "user"),
    ("ria@demo.test", "Ria Researcher", "user"),
]

SUBJECTS = {
    "technical": [
        (
            "Cannot log in after password reset",
            "I reset my password this morning but the login page keeps saying my credentials are wrong. I tried two browsers.",
            "A reset signs you out of every device, and browsers often autofill the old password. Clear the saved password for the site, then type the new one by hand; if it still fails, request a new reset link, as each link works only once.",
        ),
        (
            "PDF upload stuck at 99%",
            "Uploading my thesis draft (12 MB PDF) to the repository stops at 99% and never finishes.",
            "The repository checks the PDF after upload, which stalls on files with embedded fonts missing. Export the PDF again with 'PDF/A' selected (in Word: Save As > PDF > Options) and upload that copy.",
        ),
        (
            "Two-factor codes not accepted",
            "The authenticator codes are rejected every time, even right after they appear.",
            "Codes are rejected when the phone's clock drifts. Turn on automatic date and time on your phone (in Google Authenticator: Settings > Time correction for codes > Sync now) and try a fresh code.",
        ),
        (
            "Course page loads very slowly",
            "The course materials page takes over 30 seconds to load from campus wifi.",
            "The materials page loads every video preview at once. Switch the page to list view (the icon at the top right) and it loads in a few seconds; we are making list view the default.",
        ),
        (
            "Single sign-on redirects in a loop",
            "When I sign in through my university account, the page keeps redirecting back to the sign-in screen.",
            "The loop comes from a blocked third-party cookie. Allow cookies for login.university.example in your browser settings, or use a private window, and sign in again.",
        ),
        (
            "Cannot access shared dataset",
            "I was added to the lab group but the shared dataset folder still says access denied.",
            "Group membership reaches the dataset folder overnight. I have synced it by hand now: sign out, sign in again, and the folder opens.",
        ),
    ],
    "billing": [
        (
            "Charged twice for the annual plan",
            "My card shows two charges of the annual subscription on the same day. Please refund one.",
            "One of the two charges was a card authorisation hold, not a payment. It disappears from your statement within five working days; if it has not, send us the statement line and we refund it at once.",
        ),
        (
            "Need an invoice with our VAT number",
            "Our finance office needs the invoice re-issued with the department's VAT number.",
            "Add the VAT number under Billing > Invoice details, then choose 'Re-issue' next to the invoice: the new PDF carries the number, and the old one is cancelled.",
        ),
        (
            "Student discount not applied",
            "I verified my student email but the checkout still shows the full price.",
            "The discount applies after the verification email is confirmed, which can take an hour. Sign out and in again before checkout; the student price then shows on the payment page.",
        ),
        (
            "Refund for cancelled workshop",
            "The workshop I registered for was cancelled. How do I get my fee back?",
            "Fees for cancelled workshops are refunded automatically to the card you paid with, within ten working days of the cancellation notice. No form is needed.",
        ),
        (
            "Update the card on file",
            "My card expired; where can I change the payment method before renewal?",
            "Go to Billing > Payment method > Replace card. The new card is used from the next renewal; nothing is charged when you change it.",
        ),
    ],
    "general": [
        (
            "How do I change my display name?",
            "I married recently and want my publications page to show my new name.",
            "Open Profile > Personal details and edit 'Display name'. Your publications page updates within an hour; older PDFs keep the name they were published under.",
        ),
        (
            "Question about data retention",
            "How long do you keep submitted assignments after a course ends?",
            "Submitted assignments are kept for five years after the course ends, as the university's records policy requires, then deleted. You can download your own copies at any time from My submissions.",
        ),
        (
            "Can my supervisor see my drafts?",
            "I want to know who can see drafts before I press submit.",
            "No: drafts are private until you press Submit. Only a shared draft (the 'Share with supervisor' switch) is visible, and you can turn sharing off again.",
        ),
        (
            "Request for a certificate of attendance",
            "I attended the spring seminar series and need a certificate for my funding body.",
            "Certificates for seminar series are issued from Events > My attendance > Download certificate, once the series has ended. The PDF is signed and accepted by funding bodies.",
        ),
        (
            "Deleting my account",
            "I am graduating and would like my account and personal data removed.",
            "You can delete your account under Profile > Privacy > Delete account. Download anything you want to keep first; deletion is final after 30 days.",
        ),
    ],
    "bug_report": [
        (
            "Citation export drops accented characters",
            "Exporting to BibTeX turns names like Müller into M?ller. Steps: open a paper, Export > BibTeX.",
            "Thanks for the clear steps: BibTeX export now writes UTF-8, so Müller comes out right. Export again and re-import the file into your reference manager.",
        ),
        (
            "Calendar shows deadlines a day early",
            "All assignment deadlines show one day earlier in the calendar view than on the course page.",
            "The calendar used UTC instead of your time zone. Set your time zone under Profile > Preferences; the fix that uses it everywhere is now live.",
        ),
        (
            "Search returns no results for quoted phrases",
            'Searching "machine learning" with quotes gives zero results, without quotes hundreds.',
            "Quoted phrases now search for the exact words in order. Results appear again; a phrase shorter than two words is searched without quotes.",
        ),
        (
            "Dark mode makes tables unreadable",
            "In dark mode, table text is black on dark grey in the grade book.",
            "The grade book now follows the dark-mode colours. Reload the page (Ctrl+Shift+R) to pick up the new style sheet.",
        ),
        (
            "Notification emails link to a 404 page",
            "Links in the weekly digest email go to a page that says not found.",
            "The digest used links from the old site. Emails sent from today link correctly; in older emails, replace 'old.' with 'www.' in the address.",
        ),
    ],
    "feature_request": [
        (
            "Please add ORCID sign-in",
            "Many researchers would prefer signing in with ORCID instead of another password.",
            "Good idea — ORCID sign-in is on our roadmap for next term. Until then you can link your ORCID iD under Profile > Research identifiers.",
        ),
        (
            "Bulk download of submissions",
            "As a teaching assistant I would like to download all submissions of an assignment as one zip.",
            "This exists already: open the assignment, select all submissions with the checkbox in the header, then choose 'Download as zip'.",
        ),
        (
            "Export grades to CSV",
            "It would help to export the grade book to CSV for our department's records.",
            "Use Grade book > Export > CSV. The export follows the columns you have visible, so show the ones you need first.",
        ),
        (
            "Reminders before deadlines",
            "Could the platform email a reminder two days before an assignment is due?",
            "Turn on Notifications > Deadline reminders and choose how many days before; reminders are sent by email and in the app.",
        ),
        (
            "LaTeX preview in discussion posts",
            "Being able to preview LaTeX formulas in forum posts would save a lot of back and forth.",
            "Wrap formulas in $...$ and press Preview: discussion posts render LaTeX since this week.",
        ),
    ],
}
# Each subject above is (title, description, the answer that solved it).
FIRST_CONTACT = {
    "technical": "Thanks for reporting this. Which browser and device are you using?",
    "billing": "I have passed this to our finance team; you will hear back within two working days.",
    "general": "Thanks for asking. Let me check the details and come back to you.",
    "bug_report": "Thanks for the report. We have reproduced the problem and are working on a fix.",
    "feature_request": "Thanks for the suggestion. I have added it to our roadmap discussion.",
}
STILL_WAITING = [
    "Any update on this? It is blocking my work.",
    "Is there any news on this?",
    "Thanks for looking into it. I will wait for your answer.",
]
THANKS = ["That fixed it, thank you!", "Works now, thanks for the quick help."]
NOTES = {
    "technical": "Checked the logs: the SSO session cookie is dropped on their side.",
    "billing": "Finance confirmed the payment records; waiting on the card provider.",
    "general": "Policy question: checked the current records policy before answering.",
    "bug_report": "Duplicate of an older report; linked internally.",
    "feature_request": "Raised at the product meeting; several departments asked for this.",
}


RATING_COMMENTS = {
    1: ["", "Nobody read what I wrote."],
    2: ["", "It took days to get an answer."],
    3: ["", "Solved in the end."],
    4: ["", "Thanks, that worked."],
    5: ["", "Quick and clear, thank you!", "Perfect, exactly what I needed."],
}


def database_has_users() -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(User)))


def seed_demo_data(
    *, tickets: int, if_empty: bool, seed: int, progress: Callable[[int], None] | None = None
) -> bool:
    """Demo accounts, help articles and `tickets` varied tickets; False when skipped because
    the database has users and `if_empty` is set. `progress(n)` after every n tickets."""
    if if_empty and database_has_users():
        return False
    rng = random.Random(seed)
    people: dict[str, User] = {}
    for email, name, role in ACCOUNTS:
        user = user_service.find_by_email(email)
        if user is None:
            user = user_service.register_user(
                email=email, name=name, password=DEMO_PASSWORD, role=role
            )
        people[email] = user
    for email, categories in (
        ("sam@demo.test", ["technical", "bug_report"]),
        ("kim@demo.test", ["billing", "general", "feature_request"]),
    ):
        people[email].categories = categories
    db.session.commit()
    seed_articles(people["sam@demo.test"])
    canned_replies.seed_demo_replies(people["sam@demo.test"])
    staff = [u for u in people.values() if u.is_staff]
    customers = [u for u in people.values() if u.role == "user"]
    now = utcnow()
    with events.suppressed():
        for _ in range(tickets):
            category = rng.choice(list(SUBJECTS))
            title, description, answer = rng.choice(SUBJECTS[category])
            author = rng.choice(customers)
            ticket = ticket_service.create_ticket(
                author,
                title=title,
                description=description,
                category=category if rng.random() < 0.8 else None,
                priority=rng.choices(["low", "medium", "high", "urgent"], [3, 5, 2, 1])[0],
            )
            fate = rng.random()
            agent = rng.choice(staff)
            # A conversation that fits the subject: a first contact, a nudge, an internal
            # note, the answer that solved it and the requester's thanks, as far as it got.
            solved = fate > 0.7
            if fate > 0.25:
                ticket_service.assign_ticket(ticket, agent, agent)
                first = answer if solved and rng.random() < 0.5 else FIRST_CONTACT[category]
                ticket_service.add_reply(ticket, agent, first)
            if fate > 0.45 and (not solved or first != answer):
                ticket_service.add_reply(ticket, author, rng.choice(STILL_WAITING))
            if fate > 0.6 and rng.random() < 0.5:
                ticket_service.add_reply(ticket, agent, NOTES[category], internal=True)
            if solved:
                if first != answer:
                    ticket_service.add_reply(ticket, agent, answer)
                if rng.random() < 0.6:
                    ticket_service.add_reply(ticket, author, rng.choice(THANKS))
                ticket_service.resolve_ticket(ticket, agent)
                if rng.random() < 0.55:  # about half of the requesters rate the resolution
                    rating = rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 6])[0]
                    satisfaction.rate(ticket, author, rating, rng.choice(RATING_COMMENTS[rating]))
            if fate > 0.9:
                ticket_service.close_ticket(ticket, author)
            _backdate(ticket, now - timedelta(minutes=rng.randint(5, 60 * 24 * 60)), rng)
            if progress is not None:
                progress(1)
    db.session.commit()
    clear_queue_counts()
    return True


def _backdate(ticket: Ticket, start, rng: random.Random) -> None:
    """Spread the demo over weeks: move the ticket back to `start`, and its conversation out
    over the hours and days after it (a reply minutes after the ticket would make every
    response-time report read "0 min"), in order, never past now.

    Done in Python, not SQL, because SQLite cannot subtract an interval from a datetime.
    """
    now = utcnow()
    rows = [*ticket.responses, *ticket.events]
    # Each reply is a step some time after the one before; what happened between two replies
    # (an assignment, a status change) moves with the reply before it.
    steps = sorted(r.created_at for r in ticket.responses)
    gaps = [timedelta(minutes=rng.randint(20, 60 * 30)) for _ in steps]
    room = now - start - timedelta(minutes=1)
    total = sum(gaps, timedelta(0))
    if total > room:
        gaps = [g * (max(room, timedelta(0)) / total) for g in gaps]
    new_times = []
    elapsed = timedelta(0)
    for gap in gaps:
        elapsed += gap
        new_times.append(start + elapsed)

    def moved(moment: datetime) -> datetime:
        """The new time of what happened at `moment`: that of the last step at or before it."""
        i = bisect.bisect_right(steps, moment) - 1
        return new_times[i] if i >= 0 else start

    for row in rows:
        row.created_at = moved(row.created_at)
    for name in ("updated_at", "last_activity_at", "resolved_at", "first_response_at",
                 "sla_paused_at"):  # fmt: skip
        if getattr(ticket, name) is not None:
            setattr(ticket, name, moved(getattr(ticket, name)))
    ticket.created_at = start
    for rated in satisfaction.ratings_for(ticket):
        rated.created_at = rated.updated_at = moved(rated.created_at)
    sla.recompute(ticket)
    if ticket.sla_next_due is not None and ticket.sla_next_due < utcnow():
        # History: a demo breach weeks ago was escalated then, not by today's first sweep.
        ticket.sla_warned_at = ticket.sla_escalated_at = ticket.sla_next_due
    db.session.commit()
