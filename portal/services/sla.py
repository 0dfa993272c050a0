"""SLA: targets per priority (and category), each ticket's clock, the periodic sweep.

The ticket service calls the `on_*` hooks inside its own transaction (they change the ticket
and return audit entries; they never commit). The clock:

- created: first_response_due / resolution_due = created_at + target, in business time.
- first_response_at: the first public staff reply (an AI answer too when the setting
  SLA_AI_FIRST_ANSWER_COUNTS is on).
- paused while the ticket waits on the requester (after a public staff reply), and while it
  is resolved or closed; the requester's reply (or a reopen) resumes it, and the business
  time spent paused pushes both dues out (they are created_at + target + paused time).
- priority or category changed: dues recomputed from the new targets.

The periodic sweep (warnings, escalations, auto-close) is in portal/services/sla_sweep.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from portal.extensions import db
from portal.models import CATEGORIES, PRIORITIES, SLAPolicy, Ticket, TicketEvent
from portal.models.base import utcnow
from portal.services import business_time
from portal.services.business_time import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    current_calendar,
    format_duration,
)
from portal.services.errors import TicketError

log = logging.getLogger(__name__)

# A fresh install's targets (business hours): first response, resolution.
DEFAULT_TARGETS: dict[str, tuple[float | None, float | None]] = {
    "urgent": (1.0, 8.0),
    "high": (4.0, 24.0),
    "medium": (8.0, 40.0),
    "low": (16.0, 80.0),
}
MAX_TARGET_HOURS = 10_000.0
ACTIVE = ("open", "in_progress")

# Audit entries of the clock: (field, old, new, detail), written as the system's.
Entry = tuple[str, Any, Any, str | None]


def _audited(hook: Callable[..., list[Entry]]) -> Callable[..., list[Entry]]:
    """The hook's entries go into the ticket's timeline (the caller's transaction commits)."""

    @functools.wraps(hook)
    def run(ticket: Ticket, *args: Any, **kwargs: Any) -> list[Entry]:
        entries = hook(ticket, *args, **kwargs)
        for field, old, new, detail in entries:
            db.session.add(
                TicketEvent(
                    ticket=ticket,
                    actor_id=None,
                    actor_kind="system",
                    field=field,
                    old_value=None if old is None else str(old)[:255],
                    new_value=None if new is None else str(new)[:255],
                    detail=detail[:255] if detail else None,
                )
            )
        return entries

    return run


class SLAError(TicketError):
    pass


# ----------------------------------------------------------------------------- policies


@dataclass(frozen=True)
class Targets:
    first_response_hours: float | None
    resolution_hours: float | None


def _policy_rows() -> list[SLAPolicy]:
    return list(db.session.scalars(sa.select(SLAPolicy)))


def policy_table() -> dict[tuple[str, str | None], Targets]:
    """{(priority, category or None): Targets}; the built-in defaults while the table is
    empty (a database made without the migration's seed)."""
    rows = _policy_rows()
    if not rows:
        return {(p, None): Targets(*t) for p, t in DEFAULT_TARGETS.items()}
    return {
        (r.priority, r.category): Targets(r.first_response_hours, r.resolution_hours) for r in rows
    }


def targets_for(priority: str, category: str | None, table=None) -> Targets:
    """The category's row overrides the priority's default, target by target."""
    table = table if table is not None else policy_table()
    base = table.get((priority, None), Targets(None, None))
    special = table.get((priority, category)) if category else None
    if special is None:
        return base
    return Targets(
        special.first_response_hours
        if special.first_response_hours is not None
        else base.first_response_hours,
        special.resolution_hours if special.resolution_hours is not None else base.resolution_hours,
    )


def parse_hours(text: Any, *, label: str) -> float | None:
    """'' → None (no target / use the default); a positive number of hours, else SLAError."""
    raw = str(text if text is not None else "").replace("\x00", "").strip()
    if not raw:
        return None
    try:
        hours = float(raw.replace(",", "."))
    except ValueError:
        raise SLAError(f"{label}: enter a number of hours, or leave it blank.") from None
    if hours != hours or hours in (float("inf"), float("-inf")):
        raise SLAError(f"{label}: enter a number of hours, or leave it blank.")
    if hours <= 0:
        raise SLAError(f"{label}: more than 0 hours, or leave it blank for no target.")
    if hours > MAX_TARGET_HOURS:
        raise SLAError(f"{label}: at most {MAX_TARGET_HOURS:,.0f} hours.")
    return round(hours, 4)


def save_policies(values: dict[tuple[str, str | None], tuple[float | None, float | None]]) -> int:
    """Replace the targets named in `values` ({(priority, category|None): (fr, res)}).

    A category row with both targets blank is removed (the priority default applies). The
    values were checked by parse_hours; unknown priorities or categories raise SLAError and
    nothing is saved. Returns how many rows changed.
    """
    for priority, category in values:
        if priority not in PRIORITIES or (category is not None and category not in CATEGORIES):
            raise SLAError("Unknown priority or category.")
    existing = {(r.priority, r.category): r for r in _policy_rows()}
    if not existing:  # first save: materialise the defaults so the others stay as they were
        for p, (fr, res) in DEFAULT_TARGETS.items():
            row = SLAPolicy(
                priority=p, category=None, first_response_hours=fr, resolution_hours=res
            )
            db.session.add(row)
            existing[(p, None)] = row
    changed = 0
    for (priority, category), (fr, res) in values.items():
        row = existing.get((priority, category))
        if category is not None and fr is None and res is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            db.session.add(
                SLAPolicy(
                    priority=priority,
                    category=category,
                    first_response_hours=fr,
                    resolution_hours=res,
                )
            )
            changed += 1
        elif (row.first_response_hours, row.resolution_hours) != (fr, res):
            row.first_response_hours, row.resolution_hours = fr, res
            changed += 1
    db.session.commit()
    return changed


# ----------------------------------------------------------------------------- the clock


def _due(ticket: Ticket, hours: float | None, calendar: BusinessCalendar) -> datetime | None:
    if hours is None:
        return None
    seconds = hours * 3600 + (ticket.sla_paused_seconds or 0.0)
    try:
        return add_business_seconds(ticket.created_at, seconds, calendar)
    except ValueError:  # a calendar without working time: no promise can be kept or broken
        return None


def _next_due(ticket: Ticket) -> datetime | None:
    if ticket.sla_paused_at is not None or ticket.status not in ACTIVE:
        return None
    pending = [ticket.resolution_due]
    if ticket.first_response_at is None:
        pending.append(ticket.first_response_due)
    pending = [d for d in pending if d is not None]
    return min(pending) if pending else None


def _compute(ticket: Ticket, calendar: BusinessCalendar | None = None) -> None:
    calendar = calendar or current_calendar()
    targets = targets_for(ticket.priority, ticket.category)
    ticket.first_response_due = _due(ticket, targets.first_response_hours, calendar)
    ticket.resolution_due = _due(ticket, targets.resolution_hours, calendar)
    ticket.sla_next_due = _next_due(ticket)


def recompute(ticket: Ticket) -> None:
    """Recompute the dues from the ticket's created_at, targets and paused time (no audit
    entry: for data fix-ups such as the demo's backdating)."""
    _compute(ticket)


def _fmt(moment: datetime | None) -> str | None:
    return local_text(moment) or None


@_audited
def on_created(ticket: Ticket) -> list[Entry]:
    ticket.sla_paused_seconds = 0.0
    _compute(ticket)
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return []
    detail = "; ".join(
        part
        for part in (
            ticket.first_response_due and f"first response by {_fmt(ticket.first_response_due)}",
            ticket.resolution_due and f"resolution by {_fmt(ticket.resolution_due)}",
        )
        if part
    )
    return [("sla", None, "clock started", detail)]


@_audited
def on_fields_changed(ticket: Ticket, fields: set[str]) -> list[Entry]:
    """Priority or category changed: the targets may differ, so the dues are recomputed."""
    if not fields & {"priority", "category"}:
        return []
    old = (ticket.first_response_due, ticket.resolution_due)
    _compute(ticket)
    new = (ticket.first_response_due, ticket.resolution_due)
    if old == new:
        return []
    if ticket.sla_next_due is None or ticket.sla_next_due != _next_before(old, ticket):
        # A new promise: it gets its own warning and escalation.
        ticket.sla_warned_at = ticket.sla_escalated_at = None
    detail = "; ".join(
        f"{label} {_fmt(value) or 'none'}"
        for label, value in (("first response", new[0]), ("resolution", new[1]))
    )
    return [("sla", None, "due times recomputed", detail)]


def _next_before(old: tuple[datetime | None, datetime | None], ticket: Ticket) -> datetime | None:
    pending = [old[1]] + ([old[0]] if ticket.first_response_at is None else [])
    pending = [d for d in pending if d is not None]
    return min(pending) if pending else None


def _pause(ticket: Ticket, now: datetime, why: str) -> list[Entry]:
    if ticket.sla_paused_at is not None:
        return []
    ticket.sla_paused_at = now
    ticket.sla_next_due = None
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return []
    return [("sla", None, "paused", why)]


def _resume(ticket: Ticket, now: datetime, why: str) -> list[Entry]:
    if ticket.sla_paused_at is None:
        return []
    calendar = current_calendar()
    paused = business_seconds_between(ticket.sla_paused_at, now, calendar)
    ticket.sla_paused_at = None
    ticket.sla_paused_seconds = (ticket.sla_paused_seconds or 0.0) + paused
    _compute(ticket, calendar)
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return []
    return [
        (
            "sla",
            "paused",
            "running",
            f"{why}; due times moved by {format_duration(paused)} of business time paused"
            if paused >= 60
            else why,
        )
    ]


@_audited
def on_status(ticket: Ticket, old: str, new: str, now: datetime) -> list[Entry]:
    if new in ("resolved", "closed"):
        return _pause(ticket, now, f"ticket {new}")
    if old in ("resolved", "closed") and new in ACTIVE:
        return _resume(ticket, now, "ticket reopened")
    ticket.sla_next_due = _next_due(ticket)
    return []


@_audited
def on_reply(ticket: Ticket, response_type: str, *, internal: bool, now: datetime) -> list[Entry]:
    """After a reply's status change (if any) was applied."""
    if internal:
        return []
    entries: list[Entry] = []
    counts = response_type == "staff"
    if response_type == "ai":
        from portal.services.settings import get_setting

        counts = bool(get_setting("SLA_AI_FIRST_ANSWER_COUNTS"))
    if counts:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            late = ticket.first_response_due is not None and now > ticket.first_response_due
            if ticket.first_response_due is not None:
                entries.append(
                    (
                        "sla",
                        None,
                        "first response late" if late else "first response met",
                        f"due {_fmt(ticket.first_response_due)}",
                    )
                )
            # The clock now runs for resolution: a warning and escalation of its own.
            ticket.sla_warned_at = ticket.sla_escalated_at = None
        if ticket.status in ACTIVE:
            entries += _pause(ticket, now, "waiting on the requester")
    elif response_type == "user" and ticket.status in ACTIVE:
        entries += _resume(ticket, now, "the requester replied")
    ticket.sla_next_due = _next_due(ticket)
    return entries


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Clock:
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    paused: bool
    next_due: datetime | None
    seconds_left: float | None  # business seconds to next_due; negative when overdue
    first_response_breached: bool
    resolution_breached: bool

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached

    @property
    def has_targets(self) -> bool:
        return self.first_response_due is not None or self.resolution_due is not None

    @property
    def label(self) -> str:
        """'2 h 10 m left', 'overdue 35 m', 'paused', 'met', or '' without targets."""
        if not self.has_targets:
            return ""
        if self.paused:
            return "paused"
        if self.seconds_left is None:
            return "—"
        if self.seconds_left < 0:
            # Breached after the last business minute (e.g. Friday 17:00 seen on Saturday).
            if -self.seconds_left < 60:
                return "overdue"
            return f"overdue {format_duration(-self.seconds_left)}"
        return f"{format_duration(self.seconds_left)} left"

    @property
    def state(self) -> str:
        """CSS hook: ok, soon (within the warning), overdue, paused, none."""
        if not self.has_targets or self.seconds_left is None:
            return "paused" if self.paused else "none"
        if self.seconds_left < 0:
            return "overdue"
        return "soon" if self.seconds_left <= 3600 else "ok"


def clock(ticket: Ticket, *, now: datetime | None = None, calendar=None) -> Clock:
    now = now or utcnow()
    # A paused clock is judged at the moment it stopped (resolved tickets at their resolution).
    stopped = ticket.sla_paused_at if ticket.sla_paused_at is not None else now
    fr_due, res_due = ticket.first_response_due, ticket.resolution_due
    fr_breached = fr_due is not None and (ticket.first_response_at or stopped) > fr_due
    res_breached = res_due is not None and stopped > res_due  # is_breached(), in two parts
    next_due = ticket.sla_next_due
    left = None
    if next_due is not None:
        calendar = calendar or current_calendar()
        if next_due >= now:
            left = business_seconds_between(now, next_due, calendar)
        else:
            # Overdue by wall time since the breach, counted in business time too.
            left = -business_seconds_between(next_due, now, calendar)
            if left == 0:
                left = -1.0  # breached outside business hours: still overdue
    return Clock(
        first_response_due=fr_due,
        first_response_at=ticket.first_response_at,
        resolution_due=res_due,
        paused=ticket.sla_paused_at is not None and ticket.status in ACTIVE,
        next_due=next_due,
        seconds_left=left,
        first_response_breached=fr_breached,
        resolution_breached=res_breached,
    )


def local_text(moment: datetime | None) -> str:
    """A due time on the business calendar's clock, e.g. 'Tue 8 Dec 2026, 17:00 CET'."""
    if moment is None:
        return ""
    zone = current_calendar().zone
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M %Z}"


def is_breached(ticket: Ticket, *, now: datetime | None = None) -> bool:
    """A target missed (or, while the clock runs, passed): no calendar arithmetic needed."""
    stopped = ticket.sla_paused_at if ticket.sla_paused_at is not None else (now or utcnow())
    fr_due, res_due = ticket.first_response_due, ticket.resolution_due
    if fr_due is not None and (ticket.first_response_at or stopped) > fr_due:
        return True
    return res_due is not None and stopped > res_due


def breaching_before(within_seconds: float, *, now: datetime | None = None) -> datetime:
    """The instant `within_seconds` of business time from now (for "breaching within 1 h")."""
    now = now or utcnow()
    try:
        return add_business_seconds(now, within_seconds, current_calendar())
    except ValueError:
        return now


# The queue's SLA views (portal/services/queue.py VIEWS): their WHERE conditions.
VIEW_KEYS = ("breaching", "breached")


def view_clause(view: str, *, now: datetime | None = None):
    now = now or utcnow()
    if view == "breached":
        return sa.and_(Ticket.sla_next_due.is_not(None), Ticket.sla_next_due <= now)
    if view == "breaching":
        return sa.and_(
            Ticket.sla_next_due > now, Ticket.sla_next_due <= breaching_before(3600, now=now)
        )
    return sa.true()


__all__ = [
    "Clock",
    "SLAError",
    "Targets",
    "breaching_before",
    "business_time",
    "clock",
    "on_created",
    "on_fields_changed",
    "on_reply",
    "on_status",
    "parse_hours",
    "policy_table",
    "save_policies",
    "targets_for",
]
