"""Figures for the admin AI dashboard, read from the usage log, the suggestions, the tickets'
audit events and the chat feedback. Read-only: nothing here writes.

An AI change to category or priority that staff later changed again counts as a correction.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from portal.ai import draft_calibration, gemini_calibration
from portal.ai.calibration import IsotonicCalibration
from portal.extensions import db
from portal.models import AIConversation, TicketEvent, TicketResponse
from portal.models.ai import AISuggestion, AIUsage
from portal.models.base import utcnow

# Bounds the rows read for the latency percentiles, so a busy 90-day range stays cheap.
LATENCY_ROWS_MAX = 200_000

# Estimated USD per million tokens (input, output). Local calls cost nothing; cache hits make
# no call. Unknown Gemini models are priced like Flash and the page says it is an estimate.
PRICES_PER_MILLION = {
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
}
DEFAULT_GEMINI_PRICE = PRICES_PER_MILLION["gemini-2.5-flash"]


def price_for(provider: str, model: str) -> tuple[float, float]:
    if provider != "gemini":
        return (0.0, 0.0)
    name = (model or "").removeprefix("models/")
    # Longest first, so "gemini-2.5-flash-lite-001" is not priced as "gemini-2.5-flash".
    for known in sorted(PRICES_PER_MILLION, key=len, reverse=True):
        if name.startswith(known):
            return PRICES_PER_MILLION[known]
    return DEFAULT_GEMINI_PRICE


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _day(value) -> date:
    # SQLite's date() answers a string, other databases a date; JSON timestamps are strings.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def days_back(n: int) -> list[date]:
    """The last n days, oldest first, ending today (UTC)."""
    today = utcnow().date()
    return [today - timedelta(days=n - 1 - i) for i in range(n)]


def _window(days: list[date]) -> tuple[datetime, dict[date, int]]:
    """Where the period starts, and each day's position in the per-day lists."""
    return datetime.combine(days[0], datetime.min.time()), {d: i for i, d in enumerate(days)}


@dataclass(frozen=True)
class CalibrationStatus:
    draft: IsotonicCalibration
    draft_needed: int
    article: IsotonicCalibration  # answers quoting a help article (first answers)
    gemini: IsotonicCalibration
    gemini_needed: int


def calibration_status() -> CalibrationStatus:
    """The current confidence calibrations and how many outcomes each needs to be ready."""
    return CalibrationStatus(
        draft=draft_calibration.current(),
        draft_needed=draft_calibration.MIN_OUTCOMES,
        article=draft_calibration.article_current(),
        gemini=gemini_calibration.current(),
        gemini_needed=gemini_calibration.MIN_OUTCOMES,
    )


def usage_stats(days: list[date]) -> dict:
    start, index = _window(days)
    n = len(days)
    day_col = sa.func.date(AIUsage.created_at)
    rows = db.session.execute(
        sa.select(
            day_col,
            AIUsage.provider,
            AIUsage.model,
            sa.func.count(),
            sa.func.sum(sa.case((AIUsage.cache_hit.is_(True), 1), else_=0)),
            sa.func.sum(sa.case((AIUsage.cache_hit.is_(True), 0), else_=AIUsage.tokens_in)),
            sa.func.sum(sa.case((AIUsage.cache_hit.is_(True), 0), else_=AIUsage.tokens_out)),
            sa.func.sum(sa.case((AIUsage.outcome == "ok", 0), else_=1)),
        )
        .where(AIUsage.created_at >= start)
        .group_by(day_col, AIUsage.provider, AIUsage.model)
    ).all()
    calls: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    hits, total, errors = [0] * n, [0] * n, [0] * n
    tokens, cost = [0] * n, [0.0] * n
    for day, provider, model, count, hit, t_in, t_out, err in rows:
        i = index.get(_day(day))
        if i is None:
            continue
        calls[provider or "unknown"][i] += count
        total[i] += count
        hits[i] += hit or 0
        errors[i] += err or 0
        tokens[i] += (t_in or 0) + (t_out or 0)
        p_in, p_out = price_for(provider, model)
        cost[i] += ((t_in or 0) * p_in + (t_out or 0) * p_out) / 1_000_000

    latencies: dict[int, list[int]] = defaultdict(list)
    lat_rows = db.session.execute(
        sa.select(AIUsage.created_at, AIUsage.latency_ms)
        .where(AIUsage.created_at >= start, AIUsage.cache_hit.is_(False))
        .limit(LATENCY_ROWS_MAX)
    )
    all_latencies = []
    for created, latency in lat_rows:
        i = index.get(_day(created))
        if i is not None and latency is not None:
            latencies[i].append(latency)
            all_latencies.append(latency)
    return {
        "calls": dict(calls),
        "total": total,
        "hits": hits,
        "errors": errors,
        "tokens": tokens,
        "cost": cost,
        "p50": [percentile(latencies[i], 50) for i in range(n)],
        "p95": [percentile(latencies[i], 95) for i in range(n)],
        "all_p50": percentile(all_latencies, 50),
        "all_p95": percentile(all_latencies, 95),
    }


def suggestion_stats(days: list[date]) -> dict:
    """Reply drafts staff saw (not the ones posted automatically) and how many they used."""
    start, index = _window(days)
    n = len(days)
    offered, used, similarity = [0] * n, [0] * n, defaultdict(list)
    rows = db.session.execute(
        sa.select(
            AISuggestion.created_at,
            AISuggestion.status,
            AISuggestion.edit_similarity,
            AISuggestion.response_id,
        ).where(AISuggestion.created_at >= start, AISuggestion.kind == "reply")
    ).all()
    auto_posted = _auto_posted_response_ids({r.response_id for r in rows if r.response_id})
    for created, status, sim, response_id in rows:
        i = index.get(_day(created))
        if i is None or (response_id and response_id in auto_posted):
            continue
        offered[i] += 1
        if status in ("used", "accepted"):
            used[i] += 1
            if sim is not None:
                similarity[i].append(sim)
    rate = [used[i] / offered[i] if offered[i] else None for i in range(n)]
    sims = [s for i in range(n) for s in similarity[i]]
    return {
        "offered": offered,
        "used": used,
        "rate": rate,
        "total_offered": sum(offered),
        "total_used": sum(used),
        "mean_similarity": sum(sims) / len(sims) if sims else None,
    }


def _auto_posted_response_ids(ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(TicketResponse.id).where(
                TicketResponse.id.in_(ids), TicketResponse.response_type == "ai"
            )
        )
    )


def auto_apply_stats(days: list[date]) -> dict:
    """Precision of the AI's own category/priority changes: kept unless staff changed them."""
    start, index = _window(days)
    n = len(days)
    fields = ("category", "priority")
    ai_events = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.field, TicketEvent.created_at, TicketEvent.id)
        .where(
            TicketEvent.actor_kind == "ai",
            TicketEvent.field.in_(fields),
            TicketEvent.created_at >= start,
        )
        .order_by(TicketEvent.id)
    ).all()
    later_human: dict[tuple[int, str], list[int]] = defaultdict(list)
    if ai_events:
        ticket_ids = {e.ticket_id for e in ai_events}
        for ticket_id, fld, event_id in db.session.execute(
            sa.select(TicketEvent.ticket_id, TicketEvent.field, TicketEvent.id).where(
                TicketEvent.ticket_id.in_(ticket_ids),
                TicketEvent.field.in_(fields),
                TicketEvent.actor_kind == "user",
            )
        ):
            later_human[(ticket_id, fld)].append(event_id)
    applied, kept = [0] * n, [0] * n
    by_field = {f: [0, 0] for f in fields}  # applied, kept
    for ticket_id, fld, created, event_id in ai_events:
        i = index.get(_day(created))
        if i is None:
            continue
        corrected = any(h > event_id for h in later_human[(ticket_id, fld)])
        applied[i] += 1
        by_field[fld][0] += 1
        if not corrected:
            kept[i] += 1
            by_field[fld][1] += 1
    return {
        "applied": applied,
        "kept": kept,
        "precision": [kept[i] / applied[i] if applied[i] else None for i in range(n)],
        "total_applied": sum(applied),
        "total_kept": sum(kept),
        "by_field": {f: (a, k, (k / a if a else None)) for f, (a, k) in by_field.items()},
    }


def chat_rating_stats(days: list[date]) -> dict:
    """Users' 1-5 ratings of ended AI chats, by the day they rated."""
    start, index = _window(days)
    n = len(days)
    # The stored JSON as text, parsed here: the databases' own JSON functions fail on a lone
    # surrogate ("\ud800") stored before input was checked (SQLite cannot decode the value,
    # PostgreSQL refuses the document), and one such chat must not take the dashboard down.
    raw = sa.cast(AIConversation.context, sa.Text)
    texts = db.session.scalars(
        sa.select(raw).where(
            AIConversation.is_active.is_(False),
            AIConversation.updated_at >= start,
            raw.contains('"feedback"'),
        )
    ).all()
    rows = []
    for text in texts:
        try:
            value = json.loads(text or "{}").get("feedback")
        except (ValueError, AttributeError):
            continue
        rows.append(value)
    ratings: dict[int, list[int]] = defaultdict(list)
    distribution = dict.fromkeys(range(1, 6), 0)
    for row in rows:
        if not isinstance(row, dict):
            continue
        rating, at = row.get("rating"), row.get("at")
        try:
            i = index.get(_day(at))
        except ValueError:
            continue
        if i is None or rating not in distribution:
            continue
        ratings[i].append(rating)
        distribution[rating] += 1
    every = [r for i in range(n) for r in ratings[i]]
    return {
        "average": [sum(ratings[i]) / len(ratings[i]) if ratings[i] else None for i in range(n)],
        "count": len(every),
        "overall": sum(every) / len(every) if every else None,
        "distribution": distribution,
    }
