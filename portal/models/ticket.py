from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.user import User

# The spec's choices, verbatim.
PRIORITY_CHOICES = [("low", "Low"), ("medium", "Medium"), ("high", "High"), ("urgent", "Urgent")]
STATUS_CHOICES = [
    ("open", "Open"),
    ("in_progress", "In Progress"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
]
CATEGORY_CHOICES = [
    ("technical", "Technical"),
    ("billing", "Billing"),
    ("general", "General"),
    ("bug_report", "Bug Report"),
    ("feature_request", "Feature Request"),
]
RESPONSE_TYPE_CHOICES = [("user", "User"), ("staff", "Staff"), ("ai", "AI"), ("system", "System")]

PRIORITIES = [v for v, _ in PRIORITY_CHOICES]
STATUSES = [v for v, _ in STATUS_CHOICES]
CATEGORIES = [v for v, _ in CATEGORY_CHOICES]
RESPONSE_TYPES = [v for v, _ in RESPONSE_TYPE_CHOICES]
LABELS = dict(PRIORITY_CHOICES + STATUS_CHOICES + CATEGORY_CHOICES)
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES)}


# Indexes on expressions are written by hand in migrations: autogenerate cannot compare them
# (SQLite cannot reflect them; PostgreSQL reflects them in a normalised spelling).
HAND_WRITTEN_INDEXES = frozenset({"ix_tickets_search"})


def include_in_autogenerate(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)


def search_document(title, description):
    """The text the queue's full-text search matches; the PostgreSQL GIN index is on it too."""
    return sa.func.to_tsvector(
        sa.literal_column("'english'"), title + sa.literal_column("' '") + description
    )


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index(
            "ix_tickets_search",
            search_document(sa.column("title", sa.Text), sa.column("description", sa.Text)),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        sa.Index("ix_tickets_last_activity", "last_activity_at", "id"),
        sa.Index("ix_tickets_status_last_activity", "status", "last_activity_at"),
        sa.Index("ix_tickets_assignee_status", "assigned_to_id", "status"),
        sa.Index("ix_tickets_user_last_activity", "user_id", "last_activity_at"),
        sa.Index("ix_tickets_category_status", "category", "status"),
        sa.Index("ix_tickets_priority_status", "priority", "status"),
        # The queue's "most urgent first" sort reads this index in order instead of ranking
        # and sorting every matching row.
        sa.Index("ix_tickets_priority_rank", "priority_rank", "last_activity_at", "id"),
        # Surge grouping reads the tickets created in the last hour; "newest first" sorts on it.
        sa.Index("ix_tickets_created", "created_at", "id"),
        # Reports count resolutions per day (staff/reports).
        sa.Index("ix_tickets_resolved", "resolved_at"),
        # SLA: the queue's "due" sort and views, the periodic warn/escalate sweep, reports.
        sa.Index("ix_tickets_sla_next_due", "sla_next_due", "id"),
        sa.Index("ix_tickets_first_response_due", "first_response_due"),
        sa.Index("ix_tickets_resolution_due", "resolution_due"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    # None until someone (the submitter, the AI or staff) decides: "not sure" is a real answer.
    category: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    priority: so.Mapped[str] = so.mapped_column(sa.String(20), default="medium")
    # PRIORITY_RANK[priority], kept in step by set_priority_rank below: urgent sorts first.
    priority_rank: so.Mapped[int] = so.mapped_column(
        sa.SmallInteger, default=PRIORITY_RANK["medium"], server_default=sa.text("1")
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="open")
    assigned_to_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column()
    # Beyond the spec: what the queue sorts on, and an optimistic-lock counter for stale forms.
    last_activity_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    version: so.Mapped[int] = so.mapped_column(default=1)
    needs_human: so.Mapped[bool] = so.mapped_column(default=False)
    # A per-form token makes a double-submitted "new ticket" form create one ticket.
    client_token: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Set when staff merged this ticket into another: it is closed and points there.
    merged_into_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )

    # SLA clock (portal/services/sla.py keeps these in step; all naive UTC). The dues already
    # include the business time spent paused; sla_next_due is the nearest pending due, None
    # while paused (waiting on the requester, resolved or closed) or without targets.
    first_response_due: so.Mapped[datetime | None] = so.mapped_column()
    resolution_due: so.Mapped[datetime | None] = so.mapped_column()
    first_response_at: so.Mapped[datetime | None] = so.mapped_column()
    sla_next_due: so.Mapped[datetime | None] = so.mapped_column()
    sla_paused_at: so.Mapped[datetime | None] = so.mapped_column()
    sla_paused_seconds: so.Mapped[float] = so.mapped_column(
        sa.Float, default=0.0, server_default=sa.text("0")
    )
    sla_warned_at: so.Mapped[datetime | None] = so.mapped_column()
    sla_escalated_at: so.Mapped[datetime | None] = so.mapped_column()

    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])
    merged_into: so.Mapped[Ticket | None] = so.relationship(
        remote_side="Ticket.id", foreign_keys=[merged_into_id]
    )
    participants: so.Mapped[list[TicketParticipant]] = so.relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        order_by="TicketParticipant.id",
        foreign_keys="TicketParticipant.ticket_id",
    )
    assigned_to: so.Mapped[User | None] = so.relationship(foreign_keys=[assigned_to_id])
    responses: so.Mapped[list[TicketResponse]] = so.relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        foreign_keys="TicketResponse.ticket_id",
        order_by="TicketResponse.created_at, TicketResponse.id",
    )
    events: so.Mapped[list[TicketEvent]] = so.relationship(
        back_populates="ticket",
        cascade="all, delete-orphan",
        order_by="TicketEvent.created_at, TicketEvent.id",
    )

    @so.validates("priority")
    def set_priority_rank(self, _key: str, value: str) -> str:
        self.priority_rank = PRIORITY_RANK.get(value, PRIORITY_RANK["medium"])
        return value

    @property
    def is_closed(self) -> bool:
        return self.status in ("resolved", "closed")

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.status}>"


class TicketResponse(db.Model):
    __tablename__ = "ticket_responses"
    __table_args__ = (sa.Index("ix_ticket_responses_ticket_created", "ticket_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    response_type: so.Mapped[str] = so.mapped_column(sa.String(20))
    content: so.Mapped[str] = so.mapped_column(sa.Text)
    is_ai_generated: so.Mapped[bool] = so.mapped_column(default=False)
    ai_confidence: so.Mapped[float | None] = so.mapped_column()
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Internal notes are for staff only; end users never receive them.
    is_internal: so.Mapped[bool] = so.mapped_column(default=False)
    client_token: so.Mapped[str | None] = so.mapped_column(sa.String(64), unique=True)
    # Knowledge-base articles or tickets an AI answer relies on: [{"kind": "kb"|"ticket", "id": n}].
    sources: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    # The ticket this reply was moved from when staff merged that ticket into this one.
    merged_from_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL")
    )
    # When the author (or an admin) last changed the text: everyone sees "edited".
    edited_at: so.Mapped[datetime | None] = so.mapped_column()

    ticket: so.Mapped[Ticket] = so.relationship(
        back_populates="responses", foreign_keys=[ticket_id]
    )
    user: so.Mapped[User] = so.relationship()


class TicketParticipant(db.Model):
    """Someone besides the requester who follows a ticket: today, the requester of a ticket
    merged into it. They read its public thread and hear of its public replies; internal notes
    stay staff-only."""

    __tablename__ = "ticket_participants"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "user_id", name="uq_ticket_participants_ticket_user"),
        sa.Index("ix_ticket_participants_user", "user_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # The merged ticket that brought them here (None once that ticket is deleted).
    via_ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL")
    )
    added_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    ticket: so.Mapped[Ticket] = so.relationship(
        back_populates="participants", foreign_keys=[ticket_id]
    )
    user: so.Mapped[User] = so.relationship(foreign_keys=[user_id])


class TicketEvent(db.Model):
    """One field-level change on a ticket: who (or which AI) changed what, old → new, when."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ticket_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # "user" (a person), "ai" or "system": an AI change is attributed to the AI, not a person.
    actor_kind: so.Mapped[str] = so.mapped_column(sa.String(10), default="user")
    field: so.Mapped[str] = so.mapped_column(sa.String(40))
    old_value: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    new_value: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    detail: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    ticket: so.Mapped[Ticket] = so.relationship(back_populates="events")
    actor: so.Mapped[User | None] = so.relationship()


class AIConversation(db.Model):
    __tablename__ = "ai_conversations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Nullable beyond the spec: a user may chat before a ticket exists.
    ticket_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    conversation_id: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    context: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    is_active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    ticket: so.Mapped[Ticket | None] = so.relationship(
        backref=so.backref("ai_conversations", cascade="all, delete-orphan")
    )
    user: so.Mapped[User] = so.relationship()
