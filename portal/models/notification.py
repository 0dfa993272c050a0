from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.ticket import Ticket
from portal.models.user import User

# What an email for a notification did: never tried (no SMTP), queued, sent, or failed.
EMAIL_STATUSES = ("off", "pending", "sent", "failed")


class Notification(db.Model):
    """One in-app notice for one person, and what became of its email."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    # ticket_created, assigned, reply, resolved
    kind: so.Mapped[str] = so.mapped_column(sa.String(30))
    message: so.Mapped[str] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    read_at: so.Mapped[datetime | None] = so.mapped_column()
    email_status: so.Mapped[str] = so.mapped_column(sa.String(10), default="off")
    email_error: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    emailed_at: so.Mapped[datetime | None] = so.mapped_column()

    user: so.Mapped[User] = so.relationship()
    ticket: so.Mapped[Ticket | None] = so.relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} user={self.user_id}>"
