"""Business time: working days and hours in a time zone, minus public holidays and closures.

Pure arithmetic, no database writes. Every datetime in and out is naive UTC, as the models
store it (portal.models.base.utcnow); the calendar converts to its own zone internally, so a
working day is "09:00 to 17:00 on the wall clock in Berlin" whatever the DST offset that day.

    cal = current_calendar()                     # from the admin settings
    business_seconds_between(start, end, cal)    # business seconds in [start, end)
    add_business_seconds(start, 3600, cal)       # the instant one business hour after start

The parse_* functions validate the settings' text forms and raise ValueError with a message a
person can act on (the settings form shows it beside the field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# No working window in this many days: the calendar has no business time at all.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days (0 = Monday), a daily window in minutes after local midnight (end may be
    1440, "24:00"), a time zone, a holiday country/subdivision and extra closure dates."""

    timezone: str = "Europe/Berlin"
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    holiday_country: str = ""
    holiday_subdiv: str = ""
    closures: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_seconds(self) -> int:
        return (self.end_minute - self.start_minute) * 60

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.work_days or day in self.closures:
            return False
        return day not in _holidays(self.holiday_country, self.holiday_subdiv, day.year)

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working window of a local day as naive UTC instants (start, end)."""
        zone = self.zone
        midnight = datetime.combine(day, time(0))
        opens = (midnight + timedelta(minutes=self.start_minute)).replace(tzinfo=zone)
        closes = (midnight + timedelta(minutes=self.end_minute)).replace(tzinfo=zone)
        return _naive_utc(opens), _naive_utc(closes)

    def local_date(self, moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    def windows_from(
        self, start: datetime, *, max_days: int = MAX_DAYS
    ) -> Iterator[tuple[datetime, datetime]]:
        """Working windows (naive UTC) that end after `start`, in order, clipped to start."""
        day = self.local_date(start) - timedelta(days=1)  # a window may begin the UTC day before
        for _ in range(max_days):
            if self.is_working_day(day):
                opens, closes = self.window(day)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)

    def holiday_name(self, day: date) -> str | None:
        if day in self.closures:
            return "Closure"
        return _holidays(self.holiday_country, self.holiday_subdiv, day.year).get(day)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=64)
def _holidays(country: str, subdiv: str, year: int) -> dict[date, str]:
    if not country:
        return {}
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdiv or None, years=year)
    except NotImplementedError:
        return {}
    return dict(found.items())


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> float:
    """Business seconds in [start, end); 0 when end is not after start."""
    if end <= start or not calendar.work_days or calendar.day_seconds <= 0:
        return 0.0
    total = 0.0
    days = (end - start).days + 3
    for opens, closes in calendar.windows_from(start, max_days=days):
        if opens >= end:
            break
        total += (min(closes, end) - opens).total_seconds()
    return total


def add_business_seconds(start: datetime, seconds: float, calendar: BusinessCalendar) -> datetime:
    """The instant `seconds` of business time after `start` (start itself when seconds <= 0).

    Raises ValueError when the calendar has no working time within MAX_DAYS.
    """
    if seconds <= 0:
        return start
    remaining = float(seconds)
    for opens, closes in calendar.windows_from(start):
        length = (closes - opens).total_seconds()
        if remaining <= length:
            return opens + timedelta(seconds=remaining)
        remaining -= length
    raise ValueError("The business calendar has no working time.")


def is_business_time(moment: datetime, calendar: BusinessCalendar) -> bool:
    for opens, closes in calendar.windows_from(moment, max_days=3):
        return opens <= moment < closes
    return False


def format_duration(seconds: float) -> str:
    """'2 h 10 m', '35 m', '40 h': business durations stay in hours (a "day" would mislead)."""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} m"
    if hours:
        return f"{hours} h"
    return f"{minutes} m"


# --- parsing the settings' text forms -------------------------------------------------------

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


def calendar_from_values(
    *,
    timezone: str,
    work_days: str,
    work_hours: str,
    holiday_country: str = "",
    holiday_subdiv: str = "",
    closures: str | Iterable[date] = "",
) -> BusinessCalendar:
    start, end = parse_work_hours(work_hours)
    country, subdiv = parse_holiday_region(holiday_country, holiday_subdiv)
    closed = parse_closures(closures) if isinstance(closures, str) else list(closures)
    return BusinessCalendar(
        timezone=parse_timezone(timezone),
        work_days=parse_work_days(work_days),
        start_minute=start,
        end_minute=end,
        holiday_country=country,
        holiday_subdiv=subdiv,
        closures=frozenset(closed),
    )


@lru_cache(maxsize=8)
def _calendar_cached(values: tuple[str, ...]) -> BusinessCalendar:
    tz, days, hours, country, subdiv, closures = values
    try:
        return calendar_from_values(
            timezone=tz, work_days=days, work_hours=hours, holiday_country=country,
            holiday_subdiv=subdiv, closures=closures,
        )  # fmt: skip
    except ValueError:
        # Settings are validated on save; a row edited by hand falls back to the defaults.
        return BusinessCalendar()


def current_calendar() -> BusinessCalendar:
    """The business calendar the admin settings describe (needs an app context)."""
    from portal.services.settings import all_settings

    s = all_settings()
    values = (
        str(s.get("SLA_TIMEZONE") or "UTC"),
        str(s.get("SLA_WORK_DAYS") or "Mon-Fri"),
        str(s.get("SLA_WORK_HOURS") or "09:00-17:00"),
        str(s.get("SLA_HOLIDAY_COUNTRY") or ""),
        str(s.get("SLA_HOLIDAY_SUBDIV") or ""),
        str(s.get("SLA_CLOSURE_DATES") or ""),
    )
    return _calendar_cached(values)
