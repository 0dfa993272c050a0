from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.user import User


class SavedView(db.Model):
    """A staff member's named queue: the filters, sort and search they saved, private to them.

    `query` holds the queue's own query string (as QueueFilters.as_args() wrote it); it is read
    back through QueueFilters.from_args, so a stored value can never reach a query unchecked.
    """

    __tablename__ = "saved_views"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    query: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    user: so.Mapped[User] = so.relationship()

    def __repr__(self) -> str:
        return f"<SavedView {self.id} {self.name!r} user={self.user_id}>"
