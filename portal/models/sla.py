from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db


class SLAPolicy(db.Model):
    """Targets in business hours for one priority; with a category, an override for tickets of
    that category (its blank targets fall back to the priority's own row). A blank target on
    the priority row means no target."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        sa.UniqueConstraint("priority", "category", name="uq_sla_policies_priority_category"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    priority: so.Mapped[str] = so.mapped_column(sa.String(20))
    category: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    first_response_hours: so.Mapped[float | None] = so.mapped_column(sa.Float)
    resolution_hours: so.Mapped[float | None] = so.mapped_column(sa.Float)

    def __repr__(self) -> str:
        return f"<SLAPolicy {self.priority}/{self.category or '*'}>"
