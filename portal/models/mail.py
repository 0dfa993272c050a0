"""E-mail threading and mail that could not be taken in.

MailMessage: every Message-ID we took in or sent, and the ticket (and reply) it belongs to,
so a reply's In-Reply-To/References finds its ticket and the same mail twice changes nothing.
FailedMail: the raw bytes of a message the ingest could not turn into a ticket or reply, kept
for an admin to read, retry or delete (nothing that reached us is ever lost).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.ticket import Ticket

MESSAGE_ID_MAX = 255
DIRECTIONS = ("in", "out")


class MailMessage(db.Model):
    __tablename__ = "mail_messages"
    __table_args__ = (sa.Index("ix_mail_messages_ticket", "ticket_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Without the angle brackets; unique, so the same inbound mail is taken in once.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(MESSAGE_ID_MAX), unique=True)
    # "in": a mail we received; "out": a notification we sent.
    direction: so.Mapped[str] = so.mapped_column(sa.String(3))
    # An inbound mail's row is inserted in the same flush as the ticket or reply it makes (the
    # unique message_id then refuses a second copy racing in); None once that ticket is gone.
    ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE")
    )
    response_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ticket_responses.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    ticket: so.Mapped[Ticket | None] = so.relationship()

    def __repr__(self) -> str:
        return f"<MailMessage {self.direction} {self.message_id} ticket={self.ticket_id}>"


class FailedMail(db.Model):
    __tablename__ = "failed_mails"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # sha256 of the raw bytes: the MTA re-delivering, or the next IMAP poll, updates one row.
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    raw: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    size: so.Mapped[int] = so.mapped_column()
    source: so.Mapped[str] = so.mapped_column(sa.String(10))  # pipe, imap
    reason: so.Mapped[str] = so.mapped_column(sa.String(255))
    sender: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    attempts: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_tried_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<FailedMail {self.id} {self.reason[:40]!r}>"
