from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.ticket import Ticket
from portal.models.user import User

RATINGS = (1, 2, 3, 4, 5)
RATING_LABELS = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neutral",
    4: "Satisfied",
    5: "Very satisfied",
}


class TicketSatisfaction(db.Model):
    """The requester's 1-5 rating of one resolution of a ticket (CSAT).

    One row per (ticket, resolution): a ticket reopened and resolved again can be rated again;
    rating the same resolution again changes this row (the audit timeline keeps the old value).
    `resolution` counts the ticket's moves to "resolved" (1 for the first).
    """

    __tablename__ = "ticket_satisfaction"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "resolution", name="uq_ticket_satisfaction_resolution"),
        # Reports read ratings by the day they were given.
        sa.Index("ix_ticket_satisfaction_created", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution: so.Mapped[int] = so.mapped_column(default=1)
    rating: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Who handled the ticket when it was rated: per-agent CSAT stays with them after a reassign.
    agent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    ticket: so.Mapped[Ticket] = so.relationship(
        backref=so.backref(
            "satisfaction",
            cascade="all, delete-orphan",
            order_by="TicketSatisfaction.resolution",
        )
    )
    user: so.Mapped[User | None] = so.relationship(foreign_keys=[user_id])
    agent: so.Mapped[User | None] = so.relationship(foreign_keys=[agent_id])

    @property
    def label(self) -> str:
        return RATING_LABELS.get(self.rating, str(self.rating))
