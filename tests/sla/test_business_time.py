"""Business-time arithmetic: weekends, public holidays, closures, DST, midnight, off hours.

All datetimes are naive UTC, as stored; the calendar works on Berlin's wall clock.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime as D

import pytest

from portal.services.business_time import (
    BusinessCalendar,
    add_business_seconds,
    business_seconds_between,
    calendar_from_values,
    format_duration,
    is_business_time,
    parse_closures,
    parse_holiday_region,
    parse_timezone,
    parse_work_days,
    parse_work_hours,
)

H = 3600
BERLIN = BusinessCalendar(timezone="Europe/Berlin", holiday_country="DE")  # Mon-Fri 09-17


def test_a_weekend_is_skipped():
    # Fri 20 Mar 2026 16:00 CET (15:00 UTC): one hour on Friday, one on Monday.
    start = D(2026, 3, 20, 15, 0)
    assert add_business_seconds(start, 2 * H, BERLIN) == D(2026, 3, 23, 9, 0)  # Mon 10:00 CET
    assert business_seconds_between(start, D(2026, 3, 23, 9, 0), BERLIN) == 2 * H
    # The whole weekend holds no business time.
    assert business_seconds_between(D(2026, 3, 21, 0, 0), D(2026, 3, 23, 0, 0), BERLIN) == 0


def test_spring_dst_change_over_the_weekend():
    # Fri 27 Mar 16:00 CET = 15:00 UTC; clocks go forward on Sun 29 Mar; Mon 10:00 CEST = 08:00 UTC.
    start = D(2026, 3, 27, 15, 0)
    assert add_business_seconds(start, 2 * H, BERLIN) == D(2026, 3, 30, 8, 0)
    assert business_seconds_between(start, D(2026, 3, 30, 8, 0), BERLIN) == 2 * H
    # A working day after the change is still 09:00-17:00 local: 07:00-15:00 UTC.
    assert business_seconds_between(D(2026, 3, 30, 0, 0), D(2026, 3, 31, 0, 0), BERLIN) == 8 * H
    assert not is_business_time(D(2026, 3, 30, 6, 59), BERLIN)
    assert is_business_time(D(2026, 3, 30, 7, 0), BERLIN)


def test_autumn_dst_change_over_the_weekend():
    # Fri 23 Oct 16:00 CEST = 14:00 UTC; clocks go back on Sun 25 Oct; Mon 10:00 CET = 09:00 UTC.
    start = D(2026, 10, 23, 14, 0)
    assert add_business_seconds(start, 2 * H, BERLIN) == D(2026, 10, 26, 9, 0)
    assert business_seconds_between(start, D(2026, 10, 26, 9, 0), BERLIN) == 2 * H


def test_the_dst_days_themselves_are_23_and_25_hours_long_around_the_clock():
    always = BusinessCalendar(
        timezone="Europe/Berlin", work_days=frozenset(range(7)), start_minute=0, end_minute=1440
    )
    # Sun 29 Mar 2026 local midnight to Mon local midnight: 23 real hours.
    assert business_seconds_between(D(2026, 3, 28, 23, 0), D(2026, 3, 29, 22, 0), always) == 23 * H
    # Sun 25 Oct 2026: 25 real hours.
    assert (
        business_seconds_between(D(2026, 10, 24, 22, 0), D(2026, 10, 25, 23, 0), always) == 25 * H
    )


def test_public_holidays_are_skipped():
    # Easter 2026: Good Friday 3 Apr and Easter Monday 6 Apr are German public holidays.
    start = D(2026, 4, 2, 14, 0)  # Thu 16:00 CEST
    assert add_business_seconds(start, 2 * H, BERLIN) == D(2026, 4, 7, 8, 0)  # Tue 10:00 CEST
    no_holidays = BusinessCalendar(timezone="Europe/Berlin")
    assert add_business_seconds(start, 2 * H, no_holidays) == D(2026, 4, 3, 8, 0)  # Fri 10:00


def test_a_regional_holiday_needs_its_region():
    # Epiphany (6 Jan, a Tuesday in 2026) is a holiday in Bavaria, not in all of Germany.
    bavaria = BusinessCalendar(timezone="Europe/Berlin", holiday_country="DE", holiday_subdiv="BY")
    start = D(2026, 1, 5, 15, 0)  # Mon 16:00 CET
    assert add_business_seconds(start, 2 * H, BERLIN) == D(2026, 1, 6, 9, 0)
    assert add_business_seconds(start, 2 * H, bavaria) == D(2026, 1, 7, 9, 0)


def test_closure_dates_are_skipped():
    closed = BusinessCalendar(timezone="Europe/Berlin", closures=frozenset({date(2026, 3, 23)}))
    assert add_business_seconds(D(2026, 3, 20, 15, 0), 2 * H, closed) == D(2026, 3, 24, 9, 0)


def test_created_out_of_hours_starts_at_the_next_opening():
    # Sat 21 Mar 2026 noon: the clock starts Mon 09:00 CET (08:00 UTC).
    assert add_business_seconds(D(2026, 3, 21, 11, 0), H, BERLIN) == D(2026, 3, 23, 9, 0)
    # Tue 23:30 CET (22:30 UTC): Wed 09:00 + 1 h.
    assert add_business_seconds(D(2026, 3, 24, 22, 30), H, BERLIN) == D(2026, 3, 25, 9, 0)
    # Before opening on a working day: the same day.
    assert add_business_seconds(D(2026, 3, 24, 5, 0), H, BERLIN) == D(2026, 3, 24, 9, 0)


def test_a_day_long_window_runs_across_midnight():
    always = BusinessCalendar(
        timezone="Europe/Berlin", work_days=frozenset(range(7)), start_minute=0, end_minute=1440
    )
    # Tue 24 Mar 23:30 CET (22:30 UTC) + 1 h = Wed 00:30 CET (23:30 UTC).
    assert add_business_seconds(D(2026, 3, 24, 22, 30), H, always) == D(2026, 3, 24, 23, 30)
    assert business_seconds_between(D(2026, 3, 24, 22, 30), D(2026, 3, 24, 23, 30), always) == H


def test_a_year_of_german_business_hours():
    # 2026: 261 weekdays, 7 of them national holidays, 8 h each.
    assert business_seconds_between(D(2025, 12, 31, 23), D(2026, 12, 31, 23), BERLIN) == 254 * 8 * H


def test_arithmetic_is_consistent():
    start = D(2026, 3, 26, 10, 17)
    for seconds in (1, 59, 3600, 7 * H + 59, 8 * H, 8 * H + 1, 40 * H, 123 * H + 7):
        end = add_business_seconds(start, seconds, BERLIN)
        assert business_seconds_between(start, end, BERLIN) == pytest.approx(seconds)


def test_reversed_or_empty_spans():
    start = D(2026, 3, 26, 10, 0)
    assert business_seconds_between(start, start, BERLIN) == 0
    assert business_seconds_between(start, D(2026, 3, 25), BERLIN) == 0
    assert add_business_seconds(start, 0, BERLIN) == start
    nowhere = BusinessCalendar(work_days=frozenset())
    assert business_seconds_between(start, D(2026, 4, 25), nowhere) == 0
    with pytest.raises(ValueError):
        add_business_seconds(start, H, nowhere)


def test_durations_read_like_a_person_would_say_them():
    assert format_duration(2 * H + 10 * 60) == "2 h 10 m"
    assert format_duration(35 * 60) == "35 m"
    assert format_duration(-35 * 60) == "35 m"
    assert format_duration(40 * H) == "40 h"


def test_parsing_the_settings():
    assert parse_work_days("Mon-Fri") == frozenset(range(5))
    assert parse_work_days("sun-thu") == frozenset({6, 0, 1, 2, 3})
    assert parse_work_days("Mon, Wed,Fri") == frozenset({0, 2, 4})
    assert parse_work_hours("09:00-17:00") == (540, 1020)
    assert parse_work_hours("00:00-24:00") == (0, 1440)
    assert parse_closures("2026-12-24\n\n 2026-12-31 \n2026-12-24") == [
        date(2026, 12, 24),
        date(2026, 12, 31),
    ]
    assert parse_holiday_region("de", "by") == ("DE", "BY")
    assert parse_holiday_region("", "") == ("", "")
    cal = calendar_from_values(
        timezone="America/New_York", work_days="Mon-Thu", work_hours="08:30-16:30",
        holiday_country="US", closures="2026-07-03",
    )  # fmt: skip
    assert cal.start_minute == 510 and cal.work_days == frozenset(range(4))


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_closures, "2026-12-24\n24.12.2026", "Line 2: '24.12.2026'"),
        (parse_closures, "2026-02-30", "Line 1: '2026-02-30'"),
        (parse_closures, "2026-1-5", "Line 1"),
        (parse_work_hours, "17:00-09:00", "end after"),
        (parse_work_hours, "9-5", "HH:MM"),
        (parse_work_hours, "09:00-25:00", "HH:MM"),
        (parse_work_days, "Funday", "not a day"),
        (parse_work_days, "", "at least one"),
        (parse_timezone, "Mars/Olympus", "Unknown time zone"),
        (parse_timezone, "../../etc/passwd", "Unknown time zone"),
    ],
)
def test_bad_settings_are_refused_with_a_message(parse, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse(text)


def test_bad_holiday_regions():
    with pytest.raises(ValueError, match="No public holidays known"):
        parse_holiday_region("XX")
    with pytest.raises(ValueError, match="no region"):
        parse_holiday_region("DE", "ZZ")
