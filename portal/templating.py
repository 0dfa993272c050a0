"""Jinja filters: dates, labels. Nothing here marks user or model text safe."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from portal.models import LABELS
from portal.models.base import utcnow


def timeago(value: datetime | None) -> str:
    if value is None:
        return "—"
    seconds = int((utcnow() - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def datetime_text(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def label(value: str | None) -> str:
    if value is None:
        return "Uncategorised"
    return LABELS.get(value, value)


def confidence(value: float | None) -> str:
    """A model's probability as a whole percent, never "100%" or "0%": a calibrated
    probability of 1.0 still means "very likely", and staff should read it so."""
    if value is None:
        return "—"
    return f"{min(99, max(1, round(float(value) * 100)))}%"


def sla_clock(ticket):
    """The ticket's SLA clock for templates (the queue's Due column, the ticket page)."""
    from portal.services import sla

    return sla.clock(ticket)


def sla_time(moment) -> str:
    """A due time on the business calendar's own clock (the SLA's time zone)."""
    from portal.services import sla

    return sla.local_text(moment)


def register(app: Flask) -> None:
    app.add_template_global(sla_clock)
    app.add_template_filter(sla_time)
    app.add_template_filter(confidence)
    app.add_template_filter(timeago)
    app.add_template_filter(datetime_text, "datetime")
    app.add_template_filter(label)
