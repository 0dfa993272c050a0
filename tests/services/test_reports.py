"""Report figures, exact against the known week in report_fixture (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from portal.services import report_breakdowns as breakdowns
from portal.services import reports
from tests.services import report_fixture as fx


@pytest.fixture
def week(app):
    return fx.build()


def _filters(**kw):
    return reports.ReportFilters.parse(since=fx.SINCE.isoformat(), until=fx.UNTIL.isoformat(), **kw)


def test_summary_matches_the_hand_worked_figures(week):
    s = reports.summary(_filters())
    for key, value in fx.REPORT.items():
        assert s[key] == value, key
    assert s["sla_first_response_met_pct"] == fx.SLA["first_response_met_pct"]
    assert s["sla_resolution_met_pct"] == fx.SLA["resolution_met_pct"]


def test_sla_attainment(week):
    assert reports.sla_attainment(_filters()) == fx.SLA


def test_volume_per_day(week):
    rows = reports.volume(_filters())
    assert [r["day"] for r in rows] == [date(2026, 3, d) for d in range(2, 10)]
    assert [r["created"] for r in rows] == fx.CREATED
    assert [r["resolved"] for r in rows] == fx.RESOLVED
    assert [r["backlog"] for r in rows] == fx.BACKLOG


def test_a_long_range_is_drawn_per_week(week):
    f = reports.ReportFilters.parse(since="2026-01-05", until="2026-04-26")
    rows = reports.volume(f)
    assert f.weekly and len(rows) == 16
    assert all(r["day"].weekday() == 0 for r in rows)
    by_week = {r["day"]: r for r in rows}
    assert by_week[date(2026, 2, 23)]["created"] == 1  # T7
    assert by_week[date(2026, 3, 2)]["created"] == 7
    assert by_week[date(2026, 3, 9)]["resolved"] == 1
    assert rows[-1]["backlog"] == 2
    assert sum(r["created"] for r in rows) == 8


def test_per_agent(week):
    rows = {r["name"]: r for r in breakdowns.agents(_filters())}
    alice, bob = rows["Alice Agent"], rows["Bob Agent"]
    assert (alice["created"], alice["resolved"], alice["first_responses"]) == (3, 3, 3)
    assert alice["first_response_median_h"] == 1.0
    assert alice["resolution_median_h"] == 10.0
    assert (alice["csat_responses"], alice["csat_average"]) == (3, 3.67)
    assert (bob["created"], bob["resolved"], bob["first_responses"]) == (3, 2, 2)
    assert bob["first_response_median_h"] == 1.0
    assert bob["resolution_median_h"] == 2.0
    assert (bob["csat_responses"], bob["csat_average"]) == (1, 3.0)
    assert rows["Unassigned"]["created"] == 1


def test_per_category(week):
    rows = {r["key"]: r for r in breakdowns.categories(_filters())}
    tech = rows["technical"]
    assert (tech["created"], tech["resolved"]) == (3, 4)
    assert tech["first_response_median_h"] == 0.5
    assert tech["resolution_median_h"] == 7.0
    assert (tech["csat_responses"], tech["csat_average"]) == (3, 3.67)
    assert (rows["billing"]["created"], rows["billing"]["resolved"]) == (2, 1)
    assert rows["billing"]["first_response_median_h"] == 2.0
    assert rows["general"]["created"] == 2 and rows["general"]["resolved"] == 0


def test_filters_narrow_every_figure(week):
    s = reports.summary(_filters(category="billing"))
    assert (s["tickets_created"], s["tickets_resolved"], s["first_responses"]) == (2, 1, 2)
    assert s["csat_responses"] == 1 and s["csat_average"] == 3.0
    bob = week["bob"]
    s = reports.summary(_filters(agent=str(bob.id)))
    assert (s["tickets_created"], s["tickets_resolved"]) == (3, 2)
    assert s["resolution_minutes_median"] == 120.0


def test_ai_share(week):
    ai = breakdowns.ai_share(_filters())
    assert ai["tickets"] == 7
    assert (ai["triaged"], ai["first_answered"], ai["deflected_chats"]) == (1, 1, 1)
    assert ai["triaged_pct"] == 14.3
    assert ai["deflected_pct"] == 12.5


def test_ratings_list_keeps_comments_for_staff(week):
    rows = breakdowns.ratings(_filters())
    assert [r["rating"] for r in rows] == [4, 2, 3, 5]  # newest first
    assert rows[2]["comment"].startswith("=HYPERLINK")
    assert rows[3]["agent"] == "Alice Agent"


def test_an_empty_range(week):
    s = reports.summary(reports.ReportFilters.parse(since="2025-01-01", until="2025-01-31"))
    assert s["tickets_created"] == s["tickets_resolved"] == s["first_responses"] == 0
    assert s["first_response_minutes_median"] is None
    assert s["csat_average"] is None and s["csat_responses"] == 0


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("2026-13-01", "", "since"),
        ("yesterday", "", "since"),
        ("2026-03-10", "2026-03-01", "since"),
        ("2020-01-01", "2023-01-01", "since"),
        ("", "1999-01-01", "until"),
        ("\ud800", "", "since"),
        ("2026-03-01" * 500, "", "since"),
    ],
)
def test_bad_ranges_are_refused(app, since, until, field):
    with pytest.raises(reports.ReportError) as e:
        reports.ReportFilters.parse(since=since, until=until)
    assert e.value.field == field


def test_percentile_interpolates_like_postgres():
    assert reports.percentile([], 0.5) is None
    assert reports.percentile([4.0], 0.9) == 4.0
    assert reports.percentile([1, 3, 4, 10, 12], 0.9) == pytest.approx(11.2)
    assert reports.percentile([1, 2, 3, 4], 0.5) == 2.5


def test_business_hours_agree_with_the_calendar_module(app):
    """The reports' fast path (one list of working windows, two binary searches per ticket)
    gives business_time's figures, across weekends, German holidays and the March DST change."""
    import random
    from datetime import datetime, timedelta

    from portal.services import business_time

    rng = random.Random(3)
    origin = datetime(2026, 3, 20, 6, 0)
    pairs = []
    for _ in range(300):
        start = origin + timedelta(minutes=rng.randint(0, 60 * 24 * 40))
        pairs.append((start, start + timedelta(minutes=rng.randint(0, 60 * 24 * 12))))
    pairs.append((origin, origin))
    calendar = business_time.current_calendar()
    expected = [business_time.business_seconds_between(a, b, calendar) / 3600 for a, b in pairs]
    assert reports.durations_business_hours(pairs) == pytest.approx(expected, abs=1e-9)
    assert reports.durations_business_hours([]) == []
