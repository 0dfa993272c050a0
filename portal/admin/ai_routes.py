"""Admin AI dashboard: usage, cost, quality of suggestions and auto-apply, per-category thresholds.

Charts are drawn server-side as inline SVG (no chart library, no CDN, no inline script). The
numbers come from the AI layer's usage log and suggestions, and from the tickets' audit events
(an AI change to category or priority that staff later changed again counts as a correction).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from portal.admin import bp
from portal.ai import draft_calibration, gemini_calibration
from portal.extensions import db
from portal.htmx import render_page_or_partial, toast, wants_partial
from portal.models import CATEGORY_CHOICES, TicketEvent
from portal.models.ai import AISuggestion, AIThreshold, AIUsage
from portal.models.base import utcnow
from portal.services.settings import get_setting

RANGES = (7, 14, 30, 90)
DEFAULT_RANGE = 14
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
THRESHOLDS_PARTIAL = "admin/partials/_ai_thresholds.html"
PALETTE = ["#2754c5", "#6941c6", "#067647", "#b54708", "#b42318", "#475467"]


def price_for(provider: str, model: str) -> tuple[float, float]:
    if provider != "gemini":
        return (0.0, 0.0)
    name = (model or "").removeprefix("models/")
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
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---- chart geometry ------------------------------------------------------------------------

W, H = 640, 200
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 12, 28


@dataclass
class Chart:
    title: str
    kind: str  # "bar" or "line"
    labels: list[str]
    series: list[dict] = field(default_factory=list)  # {"name", "color", "values"}
    unit: str = ""
    y_max: float | None = None
    percent: bool = False
    money: bool = False
    width: int = W
    height: int = H

    @property
    def empty(self) -> bool:
        return not any(v for s in self.series for v in s["values"] if v is not None)

    def _top(self) -> float:
        if self.y_max is not None:
            return self.y_max
        if self.kind == "bar":
            totals = [
                sum((s["values"][i] or 0) for s in self.series) for i in range(len(self.labels))
            ]
            peak = max(totals, default=0)
        else:
            peak = max((v for s in self.series for v in s["values"] if v is not None), default=0)
        return _nice(peak)

    def _x(self, i: int) -> float:
        span = self.width - PAD_L - PAD_R
        step = span / max(len(self.labels), 1)
        return PAD_L + step * i + step / 2

    def _y(self, value: float) -> float:
        top = self._top() or 1
        return PAD_T + (self.height - PAD_T - PAD_B) * (1 - min(value, top) / top)

    def fmt(self, value: float | None) -> str:
        if value is None:
            return "no data"
        if self.percent:
            return f"{value * 100:.0f}%"
        if self.money:
            return f"${value:,.4f}" if 0 < abs(value) < 1 else f"${value:,.2f}"
        if abs(value) >= 100 or float(value).is_integer():
            return f"{value:,.0f}{self.unit}"
        return f"{value:,.2f}{self.unit}"

    @property
    def y_ticks(self) -> list[dict]:
        top = self._top()
        return [{"y": round(self._y(top * f), 1), "label": self.fmt(top * f)} for f in (0, 0.5, 1)]

    @property
    def x_ticks(self) -> list[dict]:
        n = len(self.labels)
        every = max(1, math.ceil(n / 8))
        return [  # counted back from today, so the newest day always has its label
            {"x": round(self._x(i), 1), "label": label}
            for i, label in enumerate(self.labels)
            if (n - 1 - i) % every == 0
        ]

    @property
    def bars(self) -> list[dict]:
        span = self.width - PAD_L - PAD_R
        width = max(span / max(len(self.labels), 1) * 0.7, 1)
        out = []
        for i, label in enumerate(self.labels):
            base = 0.0
            for s in self.series:
                value = s["values"][i] or 0
                if not value:
                    continue
                y_top, y_base = self._y(base + value), self._y(base)
                out.append(
                    {
                        "x": round(self._x(i) - width / 2, 1),
                        "y": round(y_top, 1),
                        "w": round(width, 1),
                        "h": round(max(y_base - y_top, 0.5), 1),
                        "color": s["color"],
                        "title": f"{label} · {s['name']}: {self.fmt(value)}",
                    }
                )
                base += value
        return out

    @property
    def lines(self) -> list[dict]:
        out = []
        for s in self.series:
            points, dots = [], []
            for i, value in enumerate(s["values"]):
                if value is None:
                    continue
                x, y = round(self._x(i), 1), round(self._y(value), 1)
                points.append(f"{x},{y}")
                dots.append(
                    {"x": x, "y": y, "title": f"{self.labels[i]} · {s['name']}: {self.fmt(value)}"}
                )
            out.append(
                {"name": s["name"], "color": s["color"], "points": " ".join(points), "dots": dots}
            )
        return out


def _nice(peak: float) -> float:
    if peak <= 0:
        return 1.0
    exponent = math.floor(math.log10(peak))
    for m in (1, 2, 2.5, 5, 10):
        top = m * 10**exponent
        if top >= peak:
            return float(top)
    return float(10 ** (exponent + 1))


# ---- data ----------------------------------------------------------------------------------


def _days(n: int) -> list[date]:
    today = utcnow().date()
    return [today - timedelta(days=n - 1 - i) for i in range(n)]


def usage_stats(days: list[date]) -> dict:
    start = datetime.combine(days[0], datetime.min.time())
    index = {d: i for i, d in enumerate(days)}
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
    start = datetime.combine(days[0], datetime.min.time())
    index = {d: i for i, d in enumerate(days)}
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
    from portal.models import TicketResponse

    return set(
        db.session.scalars(
            sa.select(TicketResponse.id).where(
                TicketResponse.id.in_(ids), TicketResponse.response_type == "ai"
            )
        )
    )


def auto_apply_stats(days: list[date]) -> dict:
    """Precision of the AI's own category/priority changes: kept unless staff changed them."""
    start = datetime.combine(days[0], datetime.min.time())
    index = {d: i for i, d in enumerate(days)}
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
    from portal.models import AIConversation

    start = datetime.combine(days[0], datetime.min.time())
    index = {d: i for i, d in enumerate(days)}
    n = len(days)
    feedback = AIConversation.context["feedback"]
    rows = db.session.execute(
        sa.select(feedback["rating"].as_integer(), feedback["at"].as_string()).where(
            AIConversation.is_active.is_(False),
            AIConversation.updated_at >= start,
            feedback["rating"].as_integer().is_not(None),
        )
    ).all()
    ratings: dict[int, list[int]] = defaultdict(list)
    distribution = dict.fromkeys(range(1, 6), 0)
    for rating, at in rows:
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


def build_charts(
    days: list[date], usage: dict, sugg: dict, auto: dict, chats: dict | None = None
) -> list[Chart]:
    labels = [d.strftime("%d %b") for d in days]
    providers = sorted(usage["calls"])
    colors = {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(providers)}
    hit_rate = [
        usage["hits"][i] / usage["total"][i] if usage["total"][i] else None
        for i in range(len(days))
    ]
    return [
        Chart(
            "Calls per provider per day",
            "bar",
            labels,
            [{"name": p, "color": colors[p], "values": usage["calls"][p]} for p in providers],
        ),
        Chart(
            "Cache hit rate",
            "line",
            labels,
            [{"name": "hit rate", "color": PALETTE[2], "values": hit_rate}],
            y_max=1.0,
            percent=True,
        ),
        Chart(
            "Latency (model calls, excluding cache hits)",
            "line",
            labels,
            [
                {"name": "p50", "color": PALETTE[0], "values": usage["p50"]},
                {"name": "p95", "color": PALETTE[4], "values": usage["p95"]},
            ],
            unit=" ms",
        ),
        Chart(
            "Tokens per day",
            "bar",
            labels,
            [{"name": "tokens", "color": PALETTE[1], "values": usage["tokens"]}],
        ),
        Chart(
            "Estimated cost per day (USD)",
            "bar",
            labels,
            [{"name": "cost", "color": PALETTE[3], "values": usage["cost"]}],
            money=True,
        ),
        Chart(
            "Acceptance rate of reply suggestions",
            "line",
            labels,
            [{"name": "used by staff", "color": PALETTE[1], "values": sugg["rate"]}],
            y_max=1.0,
            percent=True,
        ),
        Chart(
            "Auto-apply precision (kept after staff review)",
            "line",
            labels,
            [{"name": "precision", "color": PALETTE[2], "values": auto["precision"]}],
            y_max=1.0,
            percent=True,
        ),
        Chart(
            "Chat ratings by users (average, 1-5)",
            "line",
            labels,
            [
                {
                    "name": "average rating",
                    "color": PALETTE[3],
                    "values": (chats or {}).get("average", [None] * len(days)),
                }
            ],
            y_max=5.0,
        ),
    ]


# ---- thresholds ------------------------------------------------------------------------------


class ThresholdForm(FlaskForm):
    """One optional field per category: blank uses the global threshold."""


for _value, _label in CATEGORY_CHOICES:
    setattr(ThresholdForm, _value, StringField(_label))


def current_overrides() -> dict[str, float]:
    return {row.category: row.threshold for row in db.session.scalars(sa.select(AIThreshold))}


def parse_overrides(form: ThresholdForm) -> dict[str, float | None]:
    """{category: value or None}; appends a message beside each invalid field."""
    values: dict[str, float | None] = {}
    for category, _ in CATEGORY_CHOICES:
        f = getattr(form, category)
        text = (f.data or "").strip()
        if not text:
            values[category] = None
            continue
        try:
            number = float(text)
        except ValueError:
            f.errors.append("Enter a number from 0 to 1, or leave it blank.")
            continue
        if not math.isfinite(number) or not 0 <= number <= 1:
            f.errors.append("Enter a number from 0 to 1, or leave it blank.")
            continue
        values[category] = number
    return values


def save_overrides(values: dict[str, float | None]) -> int:
    """Store through the AI facade (its per-category AIThreshold rows); returns changes."""
    from portal.services import ai_workflow

    service = ai_workflow.facade()
    current = current_overrides()
    changed = 0
    for category, value in values.items():
        if current.get(category) == value:
            continue
        service.set_threshold(category, value)
        changed += 1
    return changed


# ---- views ---------------------------------------------------------------------------------


def _range() -> int:
    value = request.args.get("days", DEFAULT_RANGE, type=int)
    return value if value in RANGES else DEFAULT_RANGE


def _dashboard(
    form: ThresholdForm | None = None,
    status: int = 200,
    partial: str = "admin/partials/_ai_dashboard.html",
):
    n = _range()
    days = _days(n)
    usage = usage_stats(days)
    sugg = suggestion_stats(days)
    auto = auto_apply_stats(days)
    chats = chat_rating_stats(days)
    overrides = current_overrides()
    if form is None:
        form = ThresholdForm(
            formdata=None,
            data={
                c: ("" if c not in overrides else f"{overrides[c]:g}") for c, _ in CATEGORY_CHOICES
            },
        )
    total_calls = sum(usage["total"])
    return render_page_or_partial(
        "admin/ai.html",
        partial,
        status=status,
        days=n,
        ranges=RANGES,
        charts=build_charts(days, usage, sugg, auto, chats),
        chats=chats,
        usage=usage,
        sugg=sugg,
        auto=auto,
        total_calls=total_calls,
        total_hits=sum(usage["hits"]),
        total_errors=sum(usage["errors"]),
        total_tokens=sum(usage["tokens"]),
        total_cost=sum(usage["cost"]),
        form=form,
        overrides=overrides,
        global_threshold=get_setting("AI_CONFIDENCE_THRESHOLD"),
        categories=CATEGORY_CHOICES,
        draft_calibration=draft_calibration.current(),
        draft_calibration_needed=draft_calibration.MIN_OUTCOMES,
        gemini_calibration=gemini_calibration.current(),
        gemini_calibration_needed=gemini_calibration.MIN_OUTCOMES,
    )


@bp.get("/ai")
def ai_dashboard():
    return _dashboard()


@bp.post("/ai/thresholds")
def ai_thresholds_update():
    form = ThresholdForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    values = parse_overrides(form)
    if any(getattr(form, c).errors for c, _ in CATEGORY_CHOICES):
        resp = _dashboard(form, 422, THRESHOLDS_PARTIAL)
        return toast(resp, "Some thresholds need fixing.", "error") if wants_partial() else resp
    changed = save_overrides(values)
    message = f"Thresholds saved ({changed} changed)."
    if wants_partial():
        return toast(_dashboard(None, 200, THRESHOLDS_PARTIAL), message)
    flash(message, "success")
    return redirect(url_for("admin.ai_dashboard"), 303)
