"""The SLA sweep, run every minute by a huey periodic task (portal/tasks.py) and once by
`flask sla-sweep`.

- warns the assignee SLA_WARN_MINUTES business minutes before the ticket's next due;
- escalates at the breach to SLA_ESCALATE_TO (a staff member's e-mail, or "admins") and the
  assignee;
- once each per target (the first response's, then the resolution's): a conditional UPDATE
  (set sla_warned_at / sla_escalated_at where still NULL) claims the ticket, so two workers
  running the sweep at once never both send;
- closes resolved tickets after AUTO_CLOSE_DAYS days without activity (0 = never), through
  the ticket service, audited as the system.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, User
from portal.models.base import utcnow
from portal.services import notifications
from portal.services import tickets as ticket_service
from portal.services.business_time import (
    add_business_seconds,
    business_seconds_between,
    current_calendar,
    format_duration,
)
from portal.services.errors import TicketError
from portal.services.settings import get_setting
from portal.services.sla import ACTIVE

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    warned: list[int]
    escalated: list[int]
    closed: list[int]


def _claim(ticket_id: int, column: sa.Column, now: datetime) -> bool:
    """Set column = now where it is still NULL: only one worker wins the row."""
    result = db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket_id, column.is_(None))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return (result.rowcount or 0) == 1


def escalation_recipients() -> list[User]:
    target = str(get_setting("SLA_ESCALATE_TO") or "").strip().lower()
    if not target:
        return []
    if target == "admins":
        stmt = sa.select(User).where(User.role == "admin")
    else:
        stmt = sa.select(User).where(sa.func.lower(User.email) == target)
    people = [u for u in db.session.scalars(stmt) if u.is_staff and u.active and not u.is_bot]
    return people


def _which(ticket: Ticket) -> str:
    if ticket.first_response_at is None and ticket.sla_next_due == ticket.first_response_due:
        return "first response"
    return "resolution"


def sweep(*, now: datetime | None = None) -> SweepResult:
    now = now or utcnow()
    result = SweepResult([], [], [])
    calendar = current_calendar()
    warn_seconds = int(get_setting("SLA_WARN_MINUTES")) * 60
    try:
        warn_before = add_business_seconds(now, warn_seconds, calendar)
    except ValueError:
        warn_before = now
    active = Ticket.status.in_(ACTIVE)

    due_ids = db.session.scalars(
        sa.select(Ticket.id)
        .where(active, Ticket.sla_next_due.is_not(None), Ticket.sla_next_due <= now)
        .where(Ticket.sla_escalated_at.is_(None))
        .order_by(Ticket.sla_next_due)
        .limit(500)
    ).all()
    for ticket_id in due_ids:
        if not _claim(ticket_id, Ticket.sla_escalated_at, now):
            continue
        ticket = db.session.get(Ticket, ticket_id)
        which = _which(ticket)
        # Escalated implies warned: no late "due soon" after the breach.
        db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.sla_warned_at.is_(None))
            .values(sla_warned_at=now)
            .execution_options(synchronize_session=False)
        )
        ticket_service.record_event(
            ticket, "sla", new=f"{which} breached", detail="escalated", actor_kind="system"
        )
        message = f"SLA breached ({which}) on #{ticket.id}: {ticket.title}"
        recipients = escalation_recipients()
        for person in recipients:
            notifications.notify(person, kind="sla_escalated", message=message, ticket=ticket)
        if ticket.assigned_to is not None and ticket.assigned_to not in recipients:
            notifications.notify(
                ticket.assigned_to, kind="sla_escalated", message=message, ticket=ticket
            )
        result.escalated.append(ticket_id)

    warn_ids = db.session.scalars(
        sa.select(Ticket.id)
        .where(active, Ticket.sla_next_due.is_not(None), Ticket.sla_next_due > now)
        .where(Ticket.sla_next_due <= warn_before, Ticket.sla_warned_at.is_(None))
        .order_by(Ticket.sla_next_due)
        .limit(500)
    ).all()
    for ticket_id in warn_ids:
        if not _claim(ticket_id, Ticket.sla_warned_at, now):
            continue
        ticket = db.session.get(Ticket, ticket_id)
        left = business_seconds_between(now, ticket.sla_next_due, calendar)
        which = _which(ticket)
        ticket_service.record_event(
            ticket,
            "sla",
            new=f"{which} due soon",
            detail=f"{format_duration(left)} of business time left; assignee warned"
            if ticket.assigned_to
            else f"{format_duration(left)} of business time left; nobody assigned",
            actor_kind="system",
        )
        if ticket.assigned_to is not None:
            notifications.notify(
                ticket.assigned_to,
                kind="sla_warning",
                message=f"#{ticket.id} {which} due in {format_duration(left)}: {ticket.title}",
                ticket=ticket,
            )
        result.warned.append(ticket_id)

    result.closed = auto_close(now=now)
    return result


def auto_close(*, now: datetime | None = None) -> list[int]:
    """Close resolved tickets with no activity for AUTO_CLOSE_DAYS days (0 = never)."""
    days = int(get_setting("AUTO_CLOSE_DAYS") or 0)
    if days <= 0:
        return []
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    ids = db.session.scalars(
        sa.select(Ticket.id)
        .where(Ticket.status == "resolved", Ticket.last_activity_at <= cutoff)
        .order_by(Ticket.id)
        .limit(500)
    ).all()
    bot = ticket_service.get_bot_user()
    closed = []
    for ticket_id in ids:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None or ticket.status != "resolved":
            continue
        try:
            ticket_service.update_ticket(
                ticket,
                bot,
                {"status": "closed"},
                expected_version=ticket.version,
                actor_kind="system",
                detail=f"closed automatically after {days} days without a message",
            )
        except TicketError:  # changed meanwhile (reopened, merged): leave it
            db.session.rollback()
            continue
        closed.append(ticket_id)
    return closed
