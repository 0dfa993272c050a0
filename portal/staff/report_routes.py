"""Reports for staff: /staff/reports (a GET form of filters) and a CSV of each table."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, abort, request

from portal.admin.charts import PALETTE, Chart
from portal.htmx import render_page_or_partial
from portal.models import CATEGORY_CHOICES
from portal.services import report_breakdowns as breakdowns
from portal.services import reports as report_service
from portal.services import users as user_service
from portal.staff import bp

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ReportChart(Chart):
    """The dashboard's chart, narrower (so it needs no shrinking on a phone) and with at most
    five day labels (15 px in the template: at least 12 px on a phone). A line of zeros (no backlog) is still drawn."""

    @property
    def empty(self) -> bool:
        if self.kind == "line":
            return all(v is None for s in self.series for v in s["values"])
        return super().empty

    @property
    def x_ticks(self) -> list[dict]:
        n = len(self.labels)
        every = max(1, -(-n // 5))
        ticks = []
        for i, label in enumerate(self.labels):
            if (n - 1 - i) % every:
                continue
            x = round(self._x(i), 1)
            # A label at the right edge is right-aligned, so it is never cut off.
            anchor = "end" if x > self.width - 28 else "middle"
            ticks.append(
                {"x": self.width - 2 if anchor == "end" else x, "label": label, "anchor": anchor}
            )
        return ticks

    def _top(self) -> float:
        # Counts: at least 0, 2, 4 on the axis, never "0.50 tickets".
        return max(super()._top(), 4.0)


def _filters() -> report_service.ReportFilters:
    a = request.args
    return report_service.ReportFilters.parse(
        since=a.get("since"), until=a.get("until"), category=a.get("category"), agent=a.get("agent")
    )


def _label(d: date, weekly: bool) -> str:
    return ("wk " if weekly else "") + d.strftime("%d %b")


def _charts(f, volume: list[dict], csat: dict) -> list[ReportChart]:
    labels = [_label(r["day"], f.weekly) for r in volume]
    period = "week" if f.weekly else "day"
    return [
        ReportChart(
            f"Tickets created and resolved per {period}",
            "line",
            labels,
            [
                {"name": "created", "color": PALETTE[0], "values": [r["created"] for r in volume]},
                {
                    "name": "resolved",
                    "color": PALETTE[2],
                    "values": [r["resolved"] for r in volume],
                },
            ],
            width=400,
            height=220,
        ),
        ReportChart(
            f"Backlog at the end of each {period}",
            "line",
            labels,
            [
                {
                    "name": "open tickets",
                    "color": PALETTE[3],
                    "values": [r["backlog"] for r in volume],
                }
            ],
            width=400,
            height=220,
        ),
        ReportChart(
            "Satisfaction ratings (1 = very dissatisfied, 5 = very satisfied)",
            "bar",
            [str(k) for k in csat["distribution"]],
            [
                {
                    "name": "ratings",
                    "color": PALETTE[1],
                    "values": list(csat["distribution"].values()),
                }
            ],
            width=400,
            height=220,
        ),
    ]


def _context(f) -> dict:
    volume = report_service.volume(f)
    d = report_service.durations(f)
    csat = report_service.csat(f)
    first, res = d.first_hours(), d.resolution_hours()
    p = report_service.percentile
    return {
        "volume": volume,
        "empty": not any(r["created"] or r["resolved"] for r in volume) and not csat["count"],
        "speed": {
            "first_responses": len(first),
            "first_median": p(first, 0.5),
            "first_p90": p(first, 0.9),
            "resolutions": len(res),
            "resolution_median": p(res, 0.5),
            "resolution_p90": p(res, 0.9),
        },
        "sla": report_service.sla_attainment(f),
        "csat": csat,
        "ratings": breakdowns.ratings(f, limit=10),
        "agent_rows": breakdowns.agents(f, d),
        "category_rows": breakdowns.categories(f, d),
        "ai": breakdowns.ai_share(f),
        "charts": _charts(f, volume, csat),
        "totals": {
            "created": sum(r["created"] for r in volume),
            "resolved": sum(r["resolved"] for r in volume),
            "backlog": volume[-1]["backlog"] if volume else 0,
        },
    }


@bp.get("/reports")
def report_index():
    error = None
    try:
        f = _filters()
        ctx = _context(f)
    except report_service.ReportError as e:
        f, ctx, error = None, {}, e
    return render_page_or_partial(
        "staff/reports.html",
        "staff/partials/_reports.html",
        status=422 if error else 200,
        f=f,
        error=error,
        args=request.args,
        categories=CATEGORY_CHOICES,
        staff=user_service.staff_members(),
        tables=report_service.TABLES,
        **ctx,
    )


# ---------------------------------------------------------------------------- CSV


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading '."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _hours(v) -> str:
    return "" if v is None else f"{v:.2f}"


def _csv_rows(name: str, f) -> tuple[list[str], list[list]]:
    if name == "volume":
        head = ["week starting" if f.weekly else "day", "created", "resolved", "backlog at end"]
        return head, [
            [r["day"].isoformat(), r["created"], r["resolved"], r["backlog"]]
            for r in report_service.volume(f)
        ]
    if name in ("agents", "categories"):
        rows = breakdowns.agents(f) if name == "agents" else breakdowns.categories(f)
        head = [
            "agent" if name == "agents" else "category",
            "created",
            "resolved",
            "first responses",
            "median first response (business h)",
            "median resolution (business h)",
            "ratings",
            "average rating",
        ]
        return head, [
            [
                r["name"],
                r["created"],
                r["resolved"],
                r["first_responses"],
                _hours(r["first_response_median_h"]),
                _hours(r["resolution_median_h"]),
                r["csat_responses"],
                "" if r["csat_average"] is None else r["csat_average"],
            ]
            for r in rows
        ]
    if name == "csat":
        c = report_service.csat(f)
        return ["rating", "responses"], [[k, v] for k, v in c["distribution"].items()]
    if name == "ratings":
        head = ["rated at (UTC)", "ticket", "resolution", "rating", "agent", "category", "comment"]
        return head, [
            [
                r["at"].strftime("%Y-%m-%d %H:%M"),
                r["ticket_id"],
                r["resolution"],
                r["rating"],
                r["agent"],
                r["category"],
                r["comment"],
            ]
            for r in breakdowns.ratings(f)
        ]
    abort(404)


@bp.get("/reports/<name>.csv")
def report_csv(name: str):
    if name not in report_service.TABLES:
        abort(404)
    try:
        f = _filters()
    except report_service.ReportError as e:
        abort(Response(e.message + "\n", 422, mimetype="text/plain"))
    head, rows = _csv_rows(name, f)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    filename = f"report-{name}-{f.since.isoformat()}-to-{f.until.isoformat()}.csv"
    resp = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
