"""Threading headers for the mail we send, and the record that lets replies find their ticket.

Every notification e-mail gets a fresh Message-ID on the domain of MAIL_FROM, stored against
its ticket (a MailMessage row, committed with the notification's "sent" status, so a mail that
never left leaves no row), Reply-To the support address (MAIL_REPLY_TO, else MAIL_FROM), and
In-Reply-To/References naming the ticket's first message (the mail that opened it, or the first
notification about it), so mail clients show one conversation per ticket and a reply to any of
them comes back to the ticket.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import MailMessage

DEFAULT_FROM = "support@localhost"


def mail_from() -> str:
    return current_app.config.get("MAIL_FROM") or DEFAULT_FROM


def reply_to() -> str:
    return current_app.config.get("MAIL_REPLY_TO") or mail_from()


def replies_come_back() -> bool:
    """Whether a reply to our mail reaches a ticket (inbound mail is set up)."""
    cfg = current_app.config
    return bool(cfg.get("MAIL_REPLY_TO") or cfg.get("MAIL_IMAP_URL"))


def _domain() -> str:
    address = parseaddr(mail_from())[1]
    domain = address.rpartition("@")[2].strip()
    return domain if domain and domain.isascii() and " " not in domain else "localhost"


def thread_root(ticket_id: int) -> str | None:
    return db.session.scalar(
        sa.select(MailMessage.message_id)
        .where(MailMessage.ticket_id == ticket_id)
        .order_by(MailMessage.id)
        .limit(1)
    )


def add_thread_headers(msg: EmailMessage, ticket_id: int | None) -> str:
    """Set Message-ID, Reply-To, In-Reply-To and References; returns the new Message-ID."""
    message_id = make_msgid(domain=_domain())
    msg["Message-ID"] = message_id
    msg["Reply-To"] = reply_to()
    if ticket_id is None:
        return message_id
    root = thread_root(ticket_id)
    if root:
        msg["In-Reply-To"] = f"<{root}>"
        msg["References"] = f"<{root}>"
    # Pending: the sender's commit of the "sent" status stores it; a failed send rolls it back.
    db.session.add(
        MailMessage(message_id=message_id.strip("<>"), direction="out", ticket_id=ticket_id)
    )
    return message_id
