"""The reports' breakdowns: per agent, per category, the AI's share and the ratings list.

Part of the report query layer (portal.services.reports holds the filters, the daily counts,
the durations and the summary); read-only like it.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import (
    LABELS,
    AIConversation,
    Ticket,
    TicketEvent,
    TicketResponse,
    TicketSatisfaction,
    User,
)
from portal.services.reports import (
    RATINGS_ROWS_MAX,
    Durations,
    ReportFilters,
    durations,
    percentile,
    ratings_stmt,
    round_or_none,
)


def ratings(f: ReportFilters, limit: int = RATINGS_ROWS_MAX) -> list[dict]:
    """The ratings given in the range, newest first, with comment and agent (staff only)."""
    agent = sa.orm.aliased(User)
    stmt = (
        ratings_stmt(f)
        .add_columns(
            TicketSatisfaction.created_at,
            TicketSatisfaction.ticket_id,
            TicketSatisfaction.resolution,
            TicketSatisfaction.rating,
            TicketSatisfaction.comment,
            agent.name,
            Ticket.category,
        )
        .outerjoin(agent, agent.id == TicketSatisfaction.agent_id)
        .order_by(TicketSatisfaction.created_at.desc(), TicketSatisfaction.id.desc())
        .limit(limit)
    )
    return [
        {
            "at": at,
            "ticket_id": tid,
            "resolution": res,
            "rating": rating,
            "comment": comment or "",
            "agent": name or "Unassigned",
            "category": LABELS.get(cat, "Uncategorised") if cat else "Uncategorised",
        }
        for at, tid, res, rating, comment, name, cat in db.session.execute(stmt)
    ]


def _group_counts(f: ReportFilters, col) -> dict:
    created = dict(
        db.session.execute(
            f.tickets(sa.select(col, sa.func.count()))
            .where(Ticket.created_at >= f.start, Ticket.created_at < f.end)
            .group_by(col)
        ).all()
    )
    resolved = dict(
        db.session.execute(
            f.tickets(sa.select(col, sa.func.count()))
            .where(
                Ticket.resolved_at >= f.start,
                Ticket.resolved_at < f.end,
                Ticket.status.in_(("resolved", "closed")),
            )
            .group_by(col)
        ).all()
    )
    return {"created": created, "resolved": resolved}


def _group_rows(f: ReportFilters, d: Durations, *, by_agent: bool) -> list[dict]:
    col = Ticket.assigned_to_id if by_agent else Ticket.category
    counts = _group_counts(f, col)
    rating_col = TicketSatisfaction.agent_id if by_agent else Ticket.category
    rated = {
        key: (n, total)
        for key, n, total in db.session.execute(
            ratings_stmt(f)
            .add_columns(rating_col, sa.func.count(), sa.func.sum(TicketSatisfaction.rating))
            .group_by(rating_col)
        )
    }
    keys = set(counts["created"]) | set(counts["resolved"]) | set(rated)
    keys |= {a if by_agent else c for c, a, _ in d.first + d.resolution}
    names = {}
    if by_agent:
        ids = [k for k in keys if k is not None]
        names = (
            dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(ids))).all())
            if ids
            else {}
        )
    rows = []
    for key in keys:

        def mine(c, a, key=key):
            return (a if by_agent else c) == key

        first = d.first_hours(mine)
        res = d.resolution_hours(mine)
        n_rated, total = rated.get(key, (0, 0))
        if by_agent:
            name = names.get(key, f"user {key}") if key is not None else "Unassigned"
        else:
            name = LABELS.get(key, key) if key else "Uncategorised"
        rows.append(
            {
                "key": key,
                "name": name,
                "created": counts["created"].get(key, 0),
                "resolved": counts["resolved"].get(key, 0),
                "first_responses": len(first),
                "first_response_median_h": round_or_none(percentile(first, 0.5)),
                "resolution_median_h": round_or_none(percentile(res, 0.5)),
                "csat_responses": n_rated,
                "csat_average": round(total / n_rated, 2) if n_rated else None,
            }
        )
    rows.sort(key=lambda r: (-r["created"], -r["resolved"], r["name"]))
    return rows


def agents(f: ReportFilters, d: Durations | None = None) -> list[dict]:
    return _group_rows(f, d or durations(f), by_agent=True)


def categories(f: ReportFilters, d: Durations | None = None) -> list[dict]:
    return _group_rows(f, d or durations(f), by_agent=False)


def ai_share(f: ReportFilters) -> dict:
    """Tickets created in the range that the AI triaged (changed category or priority itself)
    or answered with a first answer; AI chats that ended without becoming a ticket (deflected:
    the assistant answers from help articles)."""
    triaged = sa.exists().where(
        TicketEvent.ticket_id == Ticket.id,
        TicketEvent.actor_kind == "ai",
        TicketEvent.field.in_(("category", "priority")),
    )
    answered = sa.exists().where(
        TicketResponse.ticket_id == Ticket.id,
        TicketResponse.response_type == "ai",
        TicketResponse.is_internal.is_(False),
    )
    total, n_triaged, n_answered = db.session.execute(
        f.tickets(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((triaged, 1), else_=0)),
                sa.func.sum(sa.case((answered, 1), else_=0)),
            )
        ).where(Ticket.created_at >= f.start, Ticket.created_at < f.end)
    ).one()
    deflected = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AIConversation)
        .where(
            AIConversation.created_at >= f.start,
            AIConversation.created_at < f.end,
            AIConversation.ticket_id.is_(None),
            AIConversation.is_active.is_(False),
        )
    )
    total, n_triaged, n_answered = int(total or 0), int(n_triaged or 0), int(n_answered or 0)

    def pct(n, of):
        return round(100 * n / of, 1) if of else None

    return {
        "tickets": total,
        "triaged": n_triaged,
        "triaged_pct": pct(n_triaged, total),
        "first_answered": n_answered,
        "first_answered_pct": pct(n_answered, total),
        "deflected_chats": int(deflected or 0),
        "deflected_pct": pct(int(deflected or 0), int(deflected or 0) + total),
    }
