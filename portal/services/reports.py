"""The figures a support lead reads every Monday: volume, speed, promises kept, satisfaction.

Read-only, and every query of the reports page, its CSV export and the API's summary is here,
so a daily roll-up can later replace these queries in one place. Counts are SQL aggregates
grouped by day (indexed on tickets.created_at and tickets.resolved_at); only the rows a
duration needs (a ticket's creation, first response and resolution instants, for the tickets
of the range) are read into Python, because business hours are calendar arithmetic
(portal.services.business_time) that SQL cannot do.

Definitions (the page repeats them):
- created: tickets created in the range; resolved: tickets whose (latest) resolution falls in
  it; backlog: tickets not yet resolved or closed at the end of each day, by their current state
  (a ticket resolved, then reopened, counts as open from its creation).
- first response: the first public staff reply (the ticket's first_response_at when the SLA
  module records it), counted for the tickets first answered in the range; resolution time
  for the tickets resolved in it. Both in business hours of the business calendar.
- SLA attainment: of the tickets created in the range with a target, the share answered by
  first_response_due (resolved by resolution_due); tickets still inside their target are left
  out until they meet or miss it, and so are tickets closed without an answer (resolution).
- CSAT: ratings given in the range (one per resolution), by the agent handling the ticket then.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    CATEGORIES,
    Ticket,
    TicketResponse,
    TicketSatisfaction,
)
from portal.models.base import MAX_ID, utcnow
from portal.services import business_time

DEFAULT_DAYS = 30
MAX_DAYS = 2 * 366  # a longer range is refused (422): use two reports
WEEKLY_AFTER_DAYS = 92  # longer ranges are drawn per week
RATINGS_ROWS_MAX = 5000  # the ratings table (page and CSV) lists at most this many
TABLES = ("volume", "agents", "categories", "csat", "ratings")
ACTIVE = ("open", "in_progress")
DONE = ("resolved", "closed")


class ReportError(ValueError):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _parse_day(value: str | None, field_name: str, label: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        if len(text) != 10 or not text.isascii():
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"{label}: write a date as YYYY-MM-DD.", field=field_name) from None
    if not 2000 <= day.year <= 2100:
        raise ReportError(f"{label}: choose a date between 2000 and 2100.", field=field_name)
    return day


@dataclass(frozen=True)
class ReportFilters:
    since: date
    until: date  # included
    category: str | None = None
    agent_id: int | None = None

    @classmethod
    def parse(
        cls,
        *,
        since: str | None,
        until: str | None,
        category: str | None = None,
        agent: str | None = None,
        today: date | None = None,
    ) -> ReportFilters:
        """From a query string; ReportError (with the field) for anything a person can fix."""
        today = today or utcnow().date()
        end = _parse_day(until, "until", "To") or today
        start = _parse_day(since, "since", "From") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise ReportError("The start date is after the end date.", field="since")
        if (end - start).days + 1 > MAX_DAYS:
            raise ReportError(
                f"Choose a range of at most {MAX_DAYS} days (about two years).", field="since"
            )
        category = (category or "").strip() or None
        if category is not None and category not in CATEGORIES:
            raise ReportError("Choose a category from the list.", field="category")
        agent_id = None
        if (agent or "").strip():
            text = agent.strip()
            agent_id = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
            if not 0 < agent_id <= MAX_ID:
                raise ReportError("Choose an agent from the list.", field="agent")
        return cls(start, end, category, agent_id)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, datetime.min.time())

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.until + timedelta(days=1), datetime.min.time())

    @property
    def days(self) -> list[date]:
        n = (self.until - self.since).days + 1
        return [self.since + timedelta(days=i) for i in range(n)]

    @property
    def weekly(self) -> bool:
        return len(self.days) > WEEKLY_AFTER_DAYS

    def args(self) -> dict:
        """The query string that reproduces these filters (CSV links, the API)."""
        out = {"since": self.since.isoformat(), "until": self.until.isoformat()}
        if self.category:
            out["category"] = self.category
        if self.agent_id:
            out["agent"] = str(self.agent_id)
        return out

    def tickets(self, stmt: sa.Select) -> sa.Select:
        if self.category:
            stmt = stmt.where(Ticket.category == self.category)
        if self.agent_id:
            stmt = stmt.where(Ticket.assigned_to_id == self.agent_id)
        return stmt


# ---------------------------------------------------------------------------- helpers


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont (so the
    figures agree whichever database answered); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * p
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _day(value) -> date:
    # SQLite's date() answers a string, PostgreSQL's a date.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def has_sla_columns() -> bool:
    """The SLA module's ticket columns (first_response_due, resolution_due,
    first_response_at); before they exist the report shows no SLA attainment."""
    return all(
        hasattr(Ticket, c) for c in ("first_response_due", "resolution_due", "first_response_at")
    )


def _first_response_col():
    """The instant of a ticket's first response: the SLA column when there is one, else the
    first public staff reply."""
    if hasattr(Ticket, "first_response_at"):
        return Ticket.first_response_at
    return (
        sa.select(sa.func.min(TicketResponse.created_at))
        .where(
            TicketResponse.ticket_id == Ticket.id,
            TicketResponse.response_type == "staff",
            TicketResponse.is_internal.is_(False),
        )
        .correlate(Ticket)
        .scalar_subquery()
    )


def durations_business_hours(pairs: list[tuple[datetime, datetime]]) -> list[float]:
    """Business hours between each (start, end), by the current business calendar.

    The calendar's working windows over the whole span are listed once, with the business
    seconds before each; a duration is then two binary searches (the same sum as
    business_time.business_seconds_between, without walking the calendar per ticket).
    """
    if not pairs:
        return []
    calendar = business_time.current_calendar()
    first = min(start for start, _ in pairs)
    last = max(end for _, end in pairs)
    starts: list[datetime] = []
    ends: list[datetime] = []
    before: list[float] = []  # business seconds in the windows before each window
    total = 0.0
    days = (last - first).days + 3
    for opens, closes in calendar.windows_from(first, max_days=days):
        if opens >= last:
            break
        starts.append(opens)
        ends.append(closes)
        before.append(total)
        total += (closes - opens).total_seconds()

    def upto(moment: datetime) -> float:
        i = bisect.bisect_right(starts, moment) - 1
        if i < 0:
            return 0.0
        return before[i] + (min(moment, ends[i]) - starts[i]).total_seconds()

    return [max(upto(end) - upto(start), 0.0) / 3600 for start, end in pairs]


def _daily(stmt: sa.Select, col) -> dict[date, int]:
    day = sa.func.date(col)
    return {
        _day(d): n
        for d, n in db.session.execute(stmt.add_columns(day, sa.func.count()).group_by(day))
    }


def _done_daily(f: ReportFilters) -> dict[date, int]:
    base = f.tickets(sa.select().select_from(Ticket))
    resolved = _daily(
        base.where(
            Ticket.status.in_(DONE), Ticket.resolved_at >= f.start, Ticket.resolved_at < f.end
        ),
        Ticket.resolved_at,
    )
    closed = _daily(
        base.where(
            Ticket.status == "closed",
            Ticket.resolved_at.is_(None),
            Ticket.last_activity_at >= f.start,
            Ticket.last_activity_at < f.end,
        ),
        Ticket.last_activity_at,
    )
    return {d: resolved.get(d, 0) + closed.get(d, 0) for d in set(resolved) | set(closed)}


def _backlog_at(f: ReportFilters, moment: datetime) -> int:
    """Tickets created before `moment` and not yet resolved or closed at it (current state).
    Reads the active tickets and those finished after `moment`: both index ranges."""
    count = sa.select(sa.func.count()).select_from(Ticket)
    active = db.session.scalar(
        f.tickets(count).where(Ticket.status.in_(ACTIVE), Ticket.created_at < moment)
    )
    later = db.session.scalar(
        f.tickets(count).where(
            Ticket.status.in_(DONE), Ticket.resolved_at >= moment, Ticket.created_at < moment
        )
    )
    later_closed = db.session.scalar(
        f.tickets(count).where(
            Ticket.status == "closed",
            Ticket.resolved_at.is_(None),
            Ticket.last_activity_at >= moment,
            Ticket.created_at < moment,
        )
    )
    return (active or 0) + (later or 0) + (later_closed or 0)


# ---------------------------------------------------------------------------- sections


def volume(f: ReportFilters) -> list[dict]:
    """Per day (or per week for long ranges): created, resolved, backlog at the end."""
    base = f.tickets(sa.select().select_from(Ticket))
    created = _daily(
        base.where(Ticket.created_at >= f.start, Ticket.created_at < f.end), Ticket.created_at
    )
    resolved = _daily(
        base.where(
            Ticket.resolved_at >= f.start,
            Ticket.resolved_at < f.end,
            Ticket.status.in_(DONE),
        ),
        Ticket.resolved_at,
    )
    done = _done_daily(f)
    # The backlog at the range's end, then day by day backwards.
    backlog = _backlog_at(f, f.end)
    ends = {}
    for d in reversed(f.days):
        ends[d] = backlog
        backlog -= created.get(d, 0) - done.get(d, 0)
    rows = [
        {
            "day": d,
            "created": created.get(d, 0),
            "resolved": resolved.get(d, 0),
            "backlog": ends[d],
        }
        for d in f.days
    ]
    if not f.weekly:
        return rows
    weeks: dict[date, dict] = {}
    for r in rows:
        monday = r["day"] - timedelta(days=r["day"].weekday())
        w = weeks.setdefault(monday, {"day": monday, "created": 0, "resolved": 0, "backlog": 0})
        w["created"] += r["created"]
        w["resolved"] += r["resolved"]
        w["backlog"] = r["backlog"]  # at the end of the week's last day in range
    return list(weeks.values())


@dataclass
class Durations:
    """Business hours to first response and to resolution, with each ticket's group keys."""

    first: list[tuple[str | None, int | None, float]] = field(default_factory=list)
    resolution: list[tuple[str | None, int | None, float]] = field(default_factory=list)

    def first_hours(self, key=None) -> list[float]:
        return [h for c, a, h in self.first if key is None or key(c, a)]

    def resolution_hours(self, key=None) -> list[float]:
        return [h for c, a, h in self.resolution if key is None or key(c, a)]


def durations(f: ReportFilters) -> Durations:
    first_at = _first_response_col()
    fr = db.session.execute(
        f.tickets(
            sa.select(Ticket.category, Ticket.assigned_to_id, Ticket.created_at, first_at)
        ).where(first_at >= f.start, first_at < f.end)
    ).all()
    res = db.session.execute(
        f.tickets(
            sa.select(Ticket.category, Ticket.assigned_to_id, Ticket.created_at, Ticket.resolved_at)
        ).where(
            Ticket.resolved_at >= f.start,
            Ticket.resolved_at < f.end,
            Ticket.status.in_(("resolved", "closed")),
        )
    ).all()
    fr_hours = durations_business_hours([(r[2], r[3]) for r in fr])
    res_hours = durations_business_hours([(r[2], r[3]) for r in res])
    return Durations(
        first=[(r[0], r[1], h) for r, h in zip(fr, fr_hours, strict=True)],
        resolution=[(r[0], r[1], h) for r, h in zip(res, res_hours, strict=True)],
    )


def sla_attainment(f: ReportFilters, now: datetime | None = None) -> dict | None:
    """Met / missed for first response and resolution; None before the SLA columns exist."""
    if not has_sla_columns():
        return None
    now = now or utcnow()
    fr_at, fr_due = Ticket.first_response_at, Ticket.first_response_due
    res_due = Ticket.resolution_due
    resolved_at = sa.case(
        (Ticket.status.in_(("resolved", "closed")), Ticket.resolved_at), else_=None
    )

    def met_missed(done, due):
        met = sa.func.sum(sa.case((sa.and_(done.is_not(None), done <= due), 1), else_=0))
        missed = sa.func.sum(
            sa.case(
                (
                    sa.and_(
                        due.is_not(None),
                        sa.or_(
                            done > due,
                            # Still open past its due; a ticket closed without an answer (or
                            # a resolution) has no promise left to keep and is not counted.
                            sa.and_(done.is_(None), due < now, Ticket.status.in_(ACTIVE)),
                        ),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        return met, missed

    row = db.session.execute(
        f.tickets(sa.select(*met_missed(fr_at, fr_due), *met_missed(resolved_at, res_due))).where(
            Ticket.created_at >= f.start, Ticket.created_at < f.end
        )
    ).one()
    fr_met, fr_missed, res_met, res_missed = (int(v or 0) for v in row)

    def pct(met, missed):
        return round(100 * met / (met + missed), 1) if met + missed else None

    return {
        "first_response_met": fr_met,
        "first_response_missed": fr_missed,
        "first_response_met_pct": pct(fr_met, fr_missed),
        "resolution_met": res_met,
        "resolution_missed": res_missed,
        "resolution_met_pct": pct(res_met, res_missed),
    }


def ratings_stmt(f: ReportFilters) -> sa.Select:
    stmt = (
        sa.select()
        .select_from(TicketSatisfaction)
        .join(Ticket, Ticket.id == TicketSatisfaction.ticket_id)
        .where(TicketSatisfaction.created_at >= f.start, TicketSatisfaction.created_at < f.end)
    )
    if f.category:
        stmt = stmt.where(Ticket.category == f.category)
    if f.agent_id:
        stmt = stmt.where(TicketSatisfaction.agent_id == f.agent_id)
    return stmt


def csat(f: ReportFilters) -> dict:
    rows = db.session.execute(
        ratings_stmt(f)
        .add_columns(TicketSatisfaction.rating, sa.func.count())
        .group_by(TicketSatisfaction.rating)
    ).all()
    distribution = dict.fromkeys(range(1, 6), 0)
    for rating, n in rows:
        if rating in distribution:
            distribution[rating] = n
    count = sum(distribution.values())
    total = sum(r * n for r, n in distribution.items())
    return {
        "count": count,
        "average": round(total / count, 2) if count else None,
        "satisfied_pct": round(100 * (distribution[4] + distribution[5]) / count, 1)
        if count
        else None,
        "distribution": distribution,
    }


def round_or_none(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _minutes(hours: float | None) -> float | None:
    return None if hours is None else round(hours * 60, 1)


def summary(f: ReportFilters) -> dict:
    """The API's summary (GET /api/reports/summary): null where a figure is undefined."""
    vol = volume(f)
    d = durations(f)
    sla = sla_attainment(f)
    c = csat(f)
    first, res = d.first_hours(), d.resolution_hours()
    return {
        "since": f.since.isoformat(),
        "until": f.until.isoformat(),
        "category": f.category,
        "agent": f.agent_id,
        "tickets_created": sum(r["created"] for r in vol),
        "tickets_resolved": sum(r["resolved"] for r in vol),
        "backlog_at_end": vol[-1]["backlog"] if vol else 0,
        "first_responses": len(first),
        "first_response_minutes_median": _minutes(percentile(first, 0.5)),
        "first_response_minutes_p90": _minutes(percentile(first, 0.9)),
        "resolution_minutes_median": _minutes(percentile(res, 0.5)),
        "resolution_minutes_p90": _minutes(percentile(res, 0.9)),
        "sla_first_response_met_pct": sla["first_response_met_pct"] if sla else None,
        "sla_resolution_met_pct": sla["resolution_met_pct"] if sla else None,
        "csat_responses": c["count"],
        "csat_average": c["average"],
        "csat_distribution": {str(k): v for k, v in c["distribution"].items()},
        "business_hours": True,
    }
