"""Tables of the AI layer: the usage log, stored suggestions, feedback and thresholds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow


class AIUsage(db.Model):
    """One model call (or cache hit): what the admin AI dashboard is drawn from."""

    __tablename__ = "ai_usage"
    __table_args__ = (sa.Index("ix_ai_usage_created_provider", "created_at", "provider"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    provider: so.Mapped[str] = so.mapped_column(sa.String(20))  # "local" | "gemini"
    model: so.Mapped[str] = so.mapped_column(sa.String(100))
    purpose: so.Mapped[str] = so.mapped_column(sa.String(20))  # triage | draft | chat
    latency_ms: so.Mapped[int] = so.mapped_column(default=0)
    tokens_in: so.Mapped[int] = so.mapped_column(default=0)
    tokens_out: so.Mapped[int] = so.mapped_column(default=0)
    cache_hit: so.Mapped[bool] = so.mapped_column(default=False)
    # "ok" or "error"; error_class names the failure (ServerError, ReadTimeout, SchemaInvalid…).
    outcome: so.Mapped[str] = so.mapped_column(sa.String(20), default="ok")
    error_class: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )


class AISuggestion(db.Model):
    """A triage guess or reply draft the AI produced for a ticket, and what became of it."""

    __tablename__ = "ai_suggestions"
    __table_args__ = (sa.Index("ix_ai_suggestions_ticket_kind", "ticket_id", "kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # "triage" | "reply"
    provider: so.Mapped[str] = so.mapped_column(sa.String(20))
    category: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    priority: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    category_confidence: so.Mapped[float | None] = so.mapped_column()
    priority_confidence: so.Mapped[float | None] = so.mapped_column()
    rationale: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    confidence: so.Mapped[float | None] = so.mapped_column()
    # Reply drafts: the uncalibrated score behind `confidence` (retrieval similarity for local
    # drafts), and whether `confidence` came from the calibration on staff outcomes.
    raw_score: so.Mapped[float | None] = so.mapped_column()
    calibrated: so.Mapped[bool] = so.mapped_column(default=False)
    sources: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # pending → applied (auto) | accepted (staff took it) | corrected | used (reply sent) | dismissed
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    applied_fields: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # For reply drafts: the reply staff sent from it, and how similar it stayed (difflib ratio).
    response_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ticket_responses.id", ondelete="SET NULL")
    )
    edit_similarity: so.Mapped[float | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    used_at: so.Mapped[datetime | None] = so.mapped_column()


class AIFeedback(db.Model):
    """Staff corrections (learning data) and ratings of AI output."""

    __tablename__ = "ai_feedback"
    __table_args__ = (sa.Index("ix_ai_feedback_kind_id", "kind", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(12))  # "correction" | "rating"
    ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    suggestion_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("ai_suggestions.id", ondelete="SET NULL"), index=True
    )
    user_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    field: so.Mapped[str | None] = so.mapped_column(sa.String(20))  # category | priority
    ai_value: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    value: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    # The ticket text at correction time, so training never depends on later edits.
    text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    rating: so.Mapped[int | None] = so.mapped_column()  # +1 / -1
    comment: so.Mapped[str | None] = so.mapped_column(sa.String(1000))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class AIThreshold(db.Model):
    """A per-category override of the AI_CONFIDENCE_THRESHOLD setting."""

    __tablename__ = "ai_thresholds"

    category: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)
    threshold: so.Mapped[float] = so.mapped_column()
