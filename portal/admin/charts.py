"""Inline SVG chart geometry for the admin AI dashboard.

Drawn server-side so the page needs no chart library, no CDN and no inline script; the
templates (admin/partials/_ai_chart.html) read the attributes of `Chart`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

W, H = 640, 240
# Axis labels sit inside the plot, above their grid lines (so a long label such as "$0.0040"
# never runs off the left edge), and the bottom margin fits the x labels at the largest
# font size static/css/app.css gives them: labels stay at least 12 px on screen however
# narrow the chart is drawn (see the .ai-chart container queries there).
PAD_L, PAD_R, PAD_T, PAD_B = 8, 8, 30, 38
X_LABELS = 5  # at most, so that labels never touch at the largest font size
PALETTE = ["#2754c5", "#6941c6", "#067647", "#b54708", "#b42318", "#475467"]


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
    def x_label_y(self) -> int:
        return self.height - 10

    @property
    def x_ticks(self) -> list[dict]:
        n = len(self.labels)
        every = max(1, math.ceil(n / X_LABELS))
        half = (self.width - PAD_L - PAD_R) / max(n, 1) / 2
        ticks = []
        # Counted back from today, so the newest day always has its label. The first and last
        # labels are aligned to the plot's edges so that they are never cut off.
        for i, label in enumerate(self.labels):
            if (n - 1 - i) % every:
                continue
            x, anchor = self._x(i), "middle"
            if i == n - 1 and n > 1:
                x, anchor = x + half, "end"
            elif i == 0 and n > 1:
                x, anchor = x - half, "start"
            # Every other label (counted back from today) gives way on a narrow chart.
            alt = ((n - 1 - i) // every) % 2 == 1
            ticks.append({"x": round(x, 1), "label": label, "anchor": anchor, "alt": alt})
        return ticks

    @property
    def table_rows(self) -> list[dict]:
        """The chart's figures as table rows, one per day with data: {"label", "values"}.

        A day is left out when no series has a value for it (None; for bars also 0).
        """
        rows = []
        for i, label in enumerate(self.labels):
            values = [s["values"][i] for s in self.series]
            if any(v is not None and (self.kind == "line" or v) for v in values):
                rows.append({"label": label, "values": [self.fmt(v) for v in values]})
        return rows

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
    """The smallest round axis top (1, 2, 2.5 or 5 times a power of ten) at or above peak."""
    if peak <= 0:
        return 1.0
    exponent = math.floor(math.log10(peak))
    for m in (1, 2, 2.5, 5, 10):
        top = m * 10**exponent
        if top >= peak:
            return float(top)
    return float(10 ** (exponent + 1))


def build_charts(
    days: list[date], usage: dict, sugg: dict, auto: dict, chats: dict | None = None
) -> list[Chart]:
    """The dashboard's charts, in page order, from the ai_metrics figures for `days`."""
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
