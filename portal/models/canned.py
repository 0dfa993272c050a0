from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.user import User


class CannedReply(db.Model):
    """A named reply the whole team (staff and admins) shares, with placeholders and optional
    field changes applied when a reply that used it is sent."""

    __tablename__ = "canned_replies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Field changes, each optional: applied through the ticket service when the reply is sent.
    set_status: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    set_priority: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    set_category: so.Mapped[str | None] = so.mapped_column(sa.String(50))
    assign_to_me: so.Mapped[bool] = so.mapped_column(default=False)
    usage_count: so.Mapped[int] = so.mapped_column(default=0)
    created_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    created_by: so.Mapped[User | None] = so.relationship()
