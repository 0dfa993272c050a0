"""A few starter articles for the demo data (idempotent: existing titles are skipped)."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Article, User

ARTICLES = [
    (
        "technical",
        "Resetting your password and logging in again",
        """If the login page says your credentials are wrong after a **password reset**:

1. Wait a minute: a reset can take up to 60 seconds to reach every server.
2. Clear saved passwords for this site in your browser, then type the new password by hand.
3. Check that Caps Lock is off and that your keyboard layout is the usual one.
4. Still locked out? Request a new reset link; each link works only once and expires after an hour.

If none of this helps, open a ticket and mention the time of your last reset.""",
    ),
    (
        "technical",
        "Two-factor authentication codes are rejected",
        """Authenticator codes depend on the **clock** of your phone.

- Turn on automatic date and time on your phone.
- In Google Authenticator: *Settings → Time correction for codes → Sync now*.
- Type the code before it changes; each one lasts 30 seconds.

Lost your phone? Use one of your backup codes, then set up the authenticator again.""",
    ),
    (
        "technical",
        "Uploading large PDF files",
        """Uploads up to **100 MB** are supported. If an upload stops near 99%:

- Use a wired or stable connection; campus wifi may drop long uploads.
- Compress the PDF (*File → Reduce file size* in most PDF tools).
- Try another browser, or the desktop sync client for files above 50 MB.""",
    ),
    (
        "billing",
        "Refunds and duplicate charges",
        """A **duplicate charge** is usually a pending authorisation that disappears within
5 working days. If both charges are still there after that, open a ticket with the last four
digits of the card and the dates; refunds reach your account in 5–10 working days.

Cancelled workshops are refunded automatically within 14 days.""",
    ),
    (
        "billing",
        "Invoices with a VAT number",
        """To get an **invoice** with your organisation's VAT number:

1. Go to *Account → Billing → Invoices*.
2. Add the VAT number under *Billing details*.
3. Choose *Re-issue* next to the invoice you need.

Re-issued invoices keep their original number with a suffix.""",
    ),
    (
        "billing",
        "Student discount not applied at checkout",
        """The student discount applies once your **student email is verified**. Log out and in
again after verifying, then reload the checkout page. Discounts cannot be added to a payment
that has already gone through.""",
    ),
    (
        "general",
        "Changing your display name",
        """Open *Profile → Personal details*, edit **Display name** and save. Your publications
page updates within an hour. Your login email does not change.""",
    ),
    (
        "feature_request",
        "How feature requests are handled",
        """We read every **feature request**. Requests are grouped each month and the most
requested ones are planned for the next quarter. Open a ticket in the *Feature Request*
category and describe the problem the feature would solve.""",
    ),
]


def seed_articles(author: User | None = None) -> int:
    """Add the starter articles that are missing; returns how many were added."""
    existing = set(db.session.scalars(sa.select(Article.title)))
    added = 0
    for category, title, body in ARTICLES:
        if title in existing:
            continue
        db.session.add(
            Article(
                title=title,
                body=body,
                category=category,
                published=True,
                author_id=author.id if author else None,
            )
        )
        added += 1
    db.session.commit()
    return added
