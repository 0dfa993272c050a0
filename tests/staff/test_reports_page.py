"""/staff/reports, its CSV exports and GET /api/reports/summary: figures, roles, bad input."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.api.auth import create_token
from tests.helpers import text
from tests.services import report_fixture as fx

RANGE = f"since={fx.SINCE.isoformat()}&until={fx.UNTIL.isoformat()}"


@pytest.fixture
def week(app):
    return fx.build()


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


def test_the_page_shows_the_figures(client, login_as, week):
    login_as(week["alice"])
    resp = client.get(f"/staff/reports?{RANGE}")
    assert resp.status_code == 200
    page = text(resp)
    cards = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Created 7" in cards and "Resolved 5" in cards and "Open at the end 2" in cards
    assert "First response, median 1.0 h" in cards and "p90 2.0 h" in cards
    assert "Resolution, median 4.0 h" in cards and "p90 11.2 h" in cards
    assert "Satisfaction 3.5 / 5" in cards and "4 ratings" in cards
    assert "Alice Agent" in page and "Bob Agent" in page
    # Each chart is an image with a name, a legend and a data table beside it.
    assert page.count('role="img"') == 3
    assert page.count("Data table") == 3
    assert 'font-size="15"' in page and 'font-size="11"' not in page
    # The comment with a formula is shown as text, escaped.
    assert "=HYPERLINK(&#34;http://evil.test&#34;" in page or "=HYPERLINK(&quot;" in page
    for table in ("volume", "agents", "categories", "csat", "ratings"):
        assert f"/staff/reports/{table}.csv?since=2026-03-02&amp;until=2026-03-09" in page


def test_default_range_is_the_last_30_days_and_empty_state(client, login_as, staff):
    login_as(staff)
    page = text(client.get("/staff/reports"))
    assert "No tickets in this range" in page
    assert re.search(r'id="since" name="since" value="\d{4}-\d\d-\d\d"', page)


@pytest.mark.parametrize(
    "query",
    ["since=2026-02-30", "since=2026-03-10&until=2026-03-01", "since=2020-01-01&until=2024-01-01",
     "category=nonsense", "agent=abc", "agent=" + "9" * 50, "since=%ED%A0%80"],
)  # fmt: skip
def test_bad_filters_are_422_with_the_message_beside_the_field(client, login_as, staff, query):
    login_as(staff)
    resp = client.get(f"/staff/reports?{query}")
    assert resp.status_code == 422
    assert 'class="error"' in text(resp) and "Show report" in text(resp)
    assert client.get(f"/staff/reports/volume.csv?{query}").status_code == 422


def test_filters_by_agent_and_category(client, login_as, week):
    login_as(week["alice"])
    page = text(client.get(f"/staff/reports?{RANGE}&agent={week['bob'].id}"))
    cards = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Created 3" in cards and "Resolved 2" in cards
    page = text(client.get(f"/staff/reports?{RANGE}&category=billing"))
    assert "Created 2" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_csv_exports(client, login_as, week):
    login_as(week["bob"])
    resp = client.get(f"/staff/reports/volume.csv?{RANGE}")
    assert resp.headers["Content-Disposition"] == (
        'attachment; filename="report-volume-2026-03-02-to-2026-03-09.csv"'
    )
    rows = _csv(resp)
    assert rows[0] == ["day", "created", "resolved", "backlog at end"]
    assert rows[1] == ["2026-03-02", "2", "2", "1"]
    assert [int(r[3]) for r in rows[1:]] == fx.BACKLOG
    agents = {r[0]: r for r in _csv(client.get(f"/staff/reports/agents.csv?{RANGE}"))[1:]}
    assert agents["Alice Agent"][1:] == ["3", "3", "3", "1.00", "10.00", "3", "3.67"]
    csat = _csv(client.get(f"/staff/reports/csat.csv?{RANGE}"))
    assert csat[1:] == [["1", "0"], ["2", "1"], ["3", "1"], ["4", "1"], ["5", "1"]]
    cats = _csv(client.get(f"/staff/reports/categories.csv?{RANGE}&category=billing"))
    assert [r[0] for r in cats[1:]] == ["Billing"]


def test_csv_cells_that_look_like_formulas_are_escaped(client, login_as, week):
    from portal.services import satisfaction

    t1 = week["tickets"]["T1"]
    with fx.at(2, 14):
        satisfaction.rate(t1, week["user"], 5, "+1 great, -2 for the wait, @team")
    login_as(week["alice"])
    rows = _csv(client.get(f"/staff/reports/ratings.csv?{RANGE}"))
    assert rows[0][-1] == "comment"
    comments = sorted(r[-1] for r in rows[1:])
    assert '\'=HYPERLINK("http://evil.test","click")' in comments
    assert "'+1 great, -2 for the wait, @team" in comments
    assert all(not c.startswith(("=", "+", "-", "@")) for r in rows[1:] for c in r)


def test_unknown_csv_table_is_404(client, login_as, staff):
    login_as(staff)
    assert client.get("/staff/reports/users.csv").status_code == 404


def test_end_users_never_reach_reports(client, login_as, week):
    login_as(week["user"])
    for url in ("/staff/reports", f"/staff/reports/ratings.csv?{RANGE}"):
        resp = client.get(url)
        assert resp.status_code == 403
        assert "HYPERLINK" not in text(resp) and "Quick and kind" not in text(resp)
    resp = client.get(f"/api/reports/summary?{RANGE}", headers=_bearer(week["user"]))
    assert resp.status_code == 403 and "csat_average" not in resp.json


def test_the_staff_nav_links_reports(client, login_as, staff, user):
    login_as(staff)
    assert 'href="/staff/reports">Reports</a>' in text(client.get("/staff/"))
    login_as(user)
    assert "/staff/reports" not in text(client.get("/tickets/"))


# --- API -------------------------------------------------------------------------------------


def _bearer(user):
    return {"Authorization": f"Bearer {create_token(user, 'test')}"}


def test_api_summary(client, week):
    resp = client.get(f"/api/reports/summary?{RANGE}", headers=_bearer(week["alice"]))
    assert resp.status_code == 200
    for key, value in fx.REPORT.items():
        assert resp.json[key] == value, key
    for key in ("sla_first_response_met_pct", "csat_average", "first_response_minutes_median"):
        assert key in resp.json


def test_api_summary_nulls_when_undefined(client, staff):
    resp = client.get(
        "/api/reports/summary?since=2026-01-01&until=2026-01-31", headers=_bearer(staff)
    )
    assert resp.status_code == 200
    j = resp.json
    assert j["tickets_created"] == 0 and j["csat_responses"] == 0
    assert j["csat_average"] is None and j["first_response_minutes_median"] is None
    assert j["resolution_minutes_median"] is None


@pytest.mark.parametrize(
    "query",
    ["since=2026-02-31", "since=03/01/2026", "since=2026-03-10&until=2026-03-01",
     "since=2020-01-01&until=2023-01-02", "until=" + "2" * 500, "agent=-1", "category=x"],
)  # fmt: skip
def test_api_summary_bad_input_is_422(client, staff, query):
    resp = client.get(f"/api/reports/summary?{query}", headers=_bearer(staff))
    assert resp.status_code == 422
    assert set(resp.json) == {"error", "field", "status"}
