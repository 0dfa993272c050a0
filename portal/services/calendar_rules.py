"""The business calendar settings' text forms, checked: time zone, working days and hours,
holiday country/region and closure dates. Each parse_* returns the value or raises ValueError
with a message a person can act on (the settings form shows it beside the field).

Its own module so that the settings (which validate with it) and business_time (which reads
the settings) do not import each other.
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


_DAY_RE = re.compile(r"^[a-z]{3}$")


def parse_timezone(text: str) -> str:
    name = (text or "").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {name!r}; use a name such as Europe/Berlin or UTC."
        ) from None
    return name


def parse_work_days(text: str) -> frozenset[int]:
    """'Mon-Fri', 'Mon,Tue,Thu', 'Sun-Thu' (a range may wrap the week)."""
    days: set[int] = set()
    parts = [p.strip().lower() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise ValueError("Name at least one working day, e.g. Mon-Fri.")
    for part in parts:
        ends = [e.strip()[:3] for e in part.split("-")]
        if len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
            raise ValueError(f"{part!r} is not a day or range of days (Mon, Tue, … or Mon-Fri).")
        first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
        day = first
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    return frozenset(days)


_HOURS_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_work_hours(text: str) -> tuple[int, int]:
    """'09:00-17:00' → (540, 1020); '00:00-24:00' is the whole day."""
    match = _HOURS_RE.match(text or "")
    if not match:
        raise ValueError("Working hours as HH:MM-HH:MM, e.g. 09:00-17:00.")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
        raise ValueError("Working hours as HH:MM-HH:MM, e.g. 09:00-17:00.")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        raise ValueError("Working hours must end after they start (within one day).")
    return start, end


def parse_holiday_region(country: str, subdiv: str = "") -> tuple[str, str]:
    """('DE', 'BY') checked against the holidays package; ('', '') means no public holidays."""
    country = (country or "").strip().upper()
    subdiv = (subdiv or "").strip().upper()
    if not country:
        if subdiv:
            raise ValueError("A region needs a country.")
        return "", ""
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(
            f"No public holidays known for country {country!r}; use a code such as DE or GB."
        )
    if subdiv and subdiv not in [s.upper() for s in supported[country]]:
        raise ValueError(f"{country} has no region {subdiv!r}.")
    return country, subdiv


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_closures(text: str) -> list[date]:
    """One YYYY-MM-DD a line (blank lines ignored); ValueError names the first bad line."""
    found: list[date] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            if not _DATE_RE.match(line):
                raise ValueError
            day = date.fromisoformat(line)
        except ValueError:
            shown = line if len(line) <= 40 else line[:40] + "…"
            raise ValueError(f"Line {number}: {shown!r} is not a date as YYYY-MM-DD.") from None
        if day not in found:
            found.append(day)
    return sorted(found)
