"""Demo data: accounts for every role and a few hundred varied tickets with conversations."""

from __future__ import annotations

import random
from datetime import timedelta

import click
import sqlalchemy as sa

from portal import tasks
from portal.extensions import db
from portal.models import Ticket, User
from portal.models.base import utcnow
from portal.services import tickets as ticket_service
from portal.services import users as user_service

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
        ),
        (
            "PDF upload stuck at 99%",
            "Uploading my thesis draft (12 MB PDF) to the repository stops at 99% and never finishes.",
        ),
        (
            "Two-factor codes not accepted",
            "The authenticator codes are rejected every time, even right after they appear.",
        ),
        (
            "Course page loads very slowly",
            "The course materials page takes over 30 seconds to load from campus wifi.",
        ),
        (
            "Single sign-on redirects in a loop",
            "When I sign in through my university account, the page keeps redirecting back to the sign-in screen.",
        ),
        (
            "Cannot access shared dataset",
            "I was added to the lab group but the shared dataset folder still says access denied.",
        ),
    ],
    "billing": [
        (
            "Charged twice for the annual plan",
            "My card shows two charges of the annual subscription on the same day. Please refund one.",
        ),
        (
            "Need an invoice with our VAT number",
            "Our finance office needs the invoice re-issued with the department's VAT number.",
        ),
        (
            "Student discount not applied",
            "I verified my student email but the checkout still shows the full price.",
        ),
        (
            "Refund for cancelled workshop",
            "The workshop I registered for was cancelled. How do I get my fee back?",
        ),
        (
            "Update the card on file",
            "My card expired; where can I change the payment method before renewal?",
        ),
    ],
    "general": [
        (
            "How do I change my display name?",
            "I married recently and want my publications page to show my new name.",
        ),
        (
            "Question about data retention",
            "How long do you keep submitted assignments after a course ends?",
        ),
        (
            "Can my supervisor see my drafts?",
            "I want to know who can see drafts before I press submit.",
        ),
        (
            "Request for a certificate of attendance",
            "I attended the spring seminar series and need a certificate for my funding body.",
        ),
        (
            "Deleting my account",
            "I am graduating and would like my account and personal data removed.",
        ),
    ],
    "bug_report": [
        (
            "Citation export drops accented characters",
            "Exporting to BibTeX turns names like Müller into M?ller. Steps: open a paper, Export > BibTeX.",
        ),
        (
            "Calendar shows deadlines a day early",
            "All assignment deadlines show one day earlier in the calendar view than on the course page.",
        ),
        (
            "Search returns no results for quoted phrases",
            'Searching "machine learning" with quotes gives zero results, without quotes hundreds.',
        ),
        (
            "Dark mode makes tables unreadable",
            "In dark mode, table text is black on dark grey in the grade book.",
        ),
        (
            "Notification emails link to a 404 page",
            "Links in the weekly digest email go to a page that says not found.",
        ),
    ],
    "feature_request": [
        (
            "Please add ORCID sign-in",
            "Many researchers would prefer signing in with ORCID instead of another password.",
        ),
        (
            "Bulk download of submissions",
            "As a teaching assistant I would like to download all submissions of an assignment as one zip.",
        ),
        (
            "Export grades to CSV",
            "It would help to export the grade book to CSV for our department's records.",
        ),
        (
            "Reminders before deadlines",
            "Could the platform email a reminder two days before an assignment is due?",
        ),
        (
            "LaTeX preview in discussion posts",
            "Being able to preview LaTeX formulas in forum posts would save a lot of back and forth.",
        ),
    ],
}
USER_FOLLOWUPS = [
    "Thanks, I tried that but it still happens.",
    "Any update on this? It is blocking my work.",
    "That fixed it, thank you!",
    "Here is a screenshot description: the error says 'session expired'.",
]
STAFF_REPLIES = [
    "Thanks for reporting this. Could you tell us which browser and version you use?",
    "We have reproduced the problem and are working on a fix.",
    "This is now fixed on our side. Could you check again?",
    "I have forwarded this to the finance team; you will hear back within two working days.",
    "Good idea — I have added it to our roadmap discussion.",
]
NOTES = [
    "Checked the logs: looks like the SSO session cookie is dropped.",
    "Duplicate of an older report; linking internally.",
    "Finance confirmed the refund is processed.",
]


def seed_demo_data(*, tickets: int, if_empty: bool, seed: int) -> None:
    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("Database already has users; skipping demo data.")
        return
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
    from portal.kb import seed_articles

    seed_articles(people["sam@demo.test"])
    staff = [u for u in people.values() if u.is_staff]
    customers = [u for u in people.values() if u.role == "user"]
    now = utcnow()
    with (
        tasks.suppressed(),
        click.progressbar(range(tickets), label="Creating demo tickets") as bar,
    ):
        for _ in bar:
            category = rng.choice(list(SUBJECTS))
            title, description = rng.choice(SUBJECTS[category])
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
            if fate > 0.25:
                ticket_service.assign_ticket(ticket, agent, agent)
                ticket_service.add_reply(ticket, agent, rng.choice(STAFF_REPLIES))
            if fate > 0.45:
                ticket_service.add_reply(ticket, author, rng.choice(USER_FOLLOWUPS))
            if fate > 0.6 and rng.random() < 0.5:
                ticket_service.add_reply(ticket, agent, rng.choice(NOTES), internal=True)
            if fate > 0.7:
                ticket_service.resolve_ticket(ticket, agent)
            if fate > 0.9:
                ticket_service.close_ticket(ticket, author)
            _backdate(ticket, now - timedelta(minutes=rng.randint(5, 60 * 24 * 60)))
    db.session.commit()
    from portal.services.cache import clear_queue_counts

    clear_queue_counts()
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in ACCOUNTS:
        click.echo(f"  {role:<6} {email:<18} {name}")


def _backdate(ticket: Ticket, start) -> None:
    """Spread the demo over weeks: shift the ticket and its history back in time, in order.

    Done in Python, not SQL, because SQLite cannot subtract an interval from a datetime.
    """
    shift = utcnow() - start
    for row in [*ticket.responses, *ticket.events]:
        row.created_at -= shift
    ticket.created_at -= shift
    ticket.updated_at -= shift
    ticket.last_activity_at -= shift
    if ticket.resolved_at is not None:
        ticket.resolved_at -= shift
    db.session.commit()
