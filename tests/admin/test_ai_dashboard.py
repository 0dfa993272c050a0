"""Admin AI dashboard: figures and inline SVG charts from the usage log, suggestions and the
audit trail; per-category threshold overrides with 422s beside the fields."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.ai import usage
from portal.extensions import db
from portal.models import AISuggestion, AIThreshold, AIUsage
from portal.models.base import utcnow
from portal.services import ai_metrics, ai_suggestions
from portal.services import chat as chat_service
from portal.services import settings as settings_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.factories import make_ticket
from tests.helpers import text


def test_empty_dashboard_says_so(client, login_as, admin):
    login_as(admin)
    resp = client.get("/admin/ai")
    assert resp.status_code == 200
    html = text(resp)
    assert "No AI activity in the last 14 days yet." in html
    assert "No data in this period yet." in html
    assert "<script" not in html.split("</head>")[1]  # charts are SVG, no chart script


def test_usage_becomes_figures_and_svg_charts(client, login_as, admin):
    update_settings({"TICKET_AI_RESPONSE": False, "TICKET_CATEGORIZATION": False,
                     "TICKET_PRIORITY_DETECTION": False})  # fmt: skip
    db.session.execute(sa.delete(AIUsage))
    db.session.commit()
    for latency in (100, 200, 300, 400):
        usage.record(provider="local", model="tfidf", purpose="triage", latency_ms=latency)
    usage.record(
        provider="gemini",
        model="gemini-2.5-flash",
        purpose="draft",
        latency_ms=1000,
        tokens_in=1_000_000,
        tokens_out=0,
    )
    usage.record(provider="gemini", model="gemini-2.5-flash", purpose="draft", cache_hit=True)
    old = AIUsage(provider="local", model="tfidf", purpose="triage", latency_ms=5)
    old.created_at = utcnow() - timedelta(days=40)
    db.session.add(old)
    db.session.commit()

    login_as(admin)
    html = text(client.get("/admin/ai"))
    assert '<span class="n">6</span> calls' in html  # the 40-day-old row is outside 14 days
    assert '<span class="n">17%</span> cache hits' in html  # 1 of 6
    assert "300 / 1000 ms" in html  # nearest-rank p50 / p95 over the 5 real calls
    assert "$0.3000</span> estimated" in html  # 1M Flash input tokens; cache hits are free
    assert html.count("<svg") >= 7
    assert re.search(r'<rect class="bar"[^>]*><title>\d\d \w{3} · gemini: 2</title>', html)
    assert re.search(r"<title>\d\d \w{3} · local: 4</title>", html)
    assert "<polyline" not in html or "points=" in html
    # Beside each chart, its figures as a table: the day and each series' value.
    assert html.count('class="chart-data"') == html.count("<svg viewBox")  # each drawn chart
    calls = html.split('id="ai-chart-1-data"')[1].split("</details>")[0]
    assert re.search(
        r'<th scope="col">gemini</th><th scope="col">local</th>.*'
        r'<th scope="row">\d\d \w{3}</th><td class="num">2</td><td class="num">4</td>',
        calls,
        re.S,
    )

    html_90 = text(client.get("/admin/ai?days=90"))
    assert '<span class="n">7</span> calls' in html_90
    assert '<span class="n">6</span> calls' in text(client.get("/admin/ai?days=13"))  # → 14


def test_acceptance_rate_of_suggestions(client, login_as, admin, user, staff):
    update_settings({"TICKET_AI_RESPONSE": False})
    ticket = make_ticket(user)
    used, _ignored = (
        AISuggestion(ticket_id=ticket.id, kind="reply", provider="local", text="A"),
        AISuggestion(ticket_id=ticket.id, kind="reply", provider="local", text="B"),
    )
    db.session.add_all([used, _ignored])
    db.session.commit()
    reply = ticket_service.add_reply(ticket, staff, "A, edited")
    ai_suggestions.record_suggestion_use(used.id, reply)

    login_as(admin)
    html = text(client.get("/admin/ai"))
    assert "50%</span> suggestions used (1 of 2)" in html


def test_auto_apply_precision_counts_staff_corrections(client, login_as, admin, user, staff):
    update_settings({"TICKET_CATEGORIZATION": False, "TICKET_PRIORITY_DETECTION": False,
                     "TICKET_AI_RESPONSE": False})  # fmt: skip
    kept = make_ticket(user)
    corrected = make_ticket(user)
    for t in (kept, corrected):
        ticket_service.update_ticket(t, None, {"category": "billing"}, actor_kind="ai")
    ticket_service.update_ticket(corrected, staff, {"category": "technical"})

    login_as(admin)
    html = text(client.get("/admin/ai"))
    assert "50%</span> auto-apply precision (1 of 2 kept)" in html
    assert "category 50% (1/2)" in html


def test_chat_ratings_become_an_average_and_a_chart(client, login_as, admin, user):
    for rating in (5, 4, 2):
        conv = chat_service.start_conversation(user)
        chat_service.end_conversation(conv)
        chat_service.record_feedback(conv, rating, "<b>comment</b>")
    unrated = chat_service.start_conversation(user)
    chat_service.end_conversation(unrated)

    login_as(admin)
    html = text(client.get("/admin/ai"))
    assert '<span class="n">3.7 / 5</span> chat rating (3 rated)' in html
    assert "1★ 0, 2★ 1, 3★ 0, 4★ 1, 5★ 1" in html
    chart = html.split("Chat ratings by users")[1].split("</section>")[0]
    assert "<svg" in chart and "No data in this period yet." not in chart


def test_chart_table_rows_leave_out_days_without_data():
    from portal.admin.charts import Chart

    bars = Chart("Calls", "bar", ["01 Jan", "02 Jan", "03 Jan"],
                 [{"name": "local", "color": "#000", "values": [0, 3, 0]},
                  {"name": "gemini", "color": "#111", "values": [0, 1, 2]}])  # fmt: skip
    assert bars.table_rows == [
        {"label": "02 Jan", "values": ["3", "1"]},
        {"label": "03 Jan", "values": ["0", "2"]},
    ]
    line = Chart("Hit rate", "line", ["01 Jan", "02 Jan"],
                 [{"name": "hit rate", "color": "#000", "values": [None, 0.0]}], percent=True)  # fmt: skip
    assert line.table_rows == [{"label": "02 Jan", "values": ["0%"]}]  # 0% is data, None is not


def test_percentile_and_prices():
    assert ai_metrics.percentile([], 50) is None
    assert ai_metrics.percentile([5], 95) == 5
    assert ai_metrics.percentile([1, 2, 3, 4], 50) == 2
    assert ai_metrics.percentile(list(range(1, 101)), 95) == 95
    assert ai_metrics.price_for("local", "anything") == (0.0, 0.0)
    assert ai_metrics.price_for("gemini", "models/gemini-2.5-pro") == (1.25, 10.0)
    assert ai_metrics.price_for("gemini", "gemini-2.5-flash-lite-001") == (0.10, 0.40)


# ---- thresholds -------------------------------------------------------------------------------


def test_thresholds_are_saved_through_the_facade(client, login_as, admin):
    login_as(admin)
    resp = client.post("/admin/ai/thresholds", data={"billing": "0.85", "technical": " 0.5 "})
    assert resp.status_code == 303
    assert settings_service.threshold_for("billing") == 0.85
    assert settings_service.threshold_for("technical") == 0.5
    assert settings_service.threshold_for("general") == 0.7  # the global setting
    page = text(client.get("/admin/ai"))
    assert 'value="0.85"' in page and "Thresholds saved (2 changed)." in page

    client.post("/admin/ai/thresholds", data={"billing": "", "technical": "0.5"})
    assert db.session.get(AIThreshold, "billing") is None
    assert settings_service.threshold_for("billing") == 0.7


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "abc", "nan", "inf"])
def test_invalid_thresholds_are_422_beside_the_field(client, login_as, admin, bad, hx):
    login_as(admin)
    resp = client.post("/admin/ai/thresholds", data={"general": bad, "billing": "0.9"})
    assert resp.status_code == 422
    html = text(resp)
    assert '<p class="error" id="general-error">Enter a number from 0 to 1' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIThreshold)) == 0

    frag = client.post("/admin/ai/thresholds", data={"general": bad}, headers=hx)
    assert frag.status_code == 422
    assert b"<html" not in frag.data and b'id="ai-thresholds"' in frag.data


def test_threshold_form_over_htmx_answers_the_fragment(client, login_as, admin, hx):
    login_as(admin)
    resp = client.post("/admin/ai/thresholds", data={"bug_report": "0.6"}, headers=hx)
    assert resp.status_code == 200
    assert b'id="ai-thresholds"' in resp.data and b"<html" not in resp.data
    assert "Thresholds saved" in resp.headers["HX-Trigger"]
    assert settings_service.threshold_for("bug_report") == 0.6


def test_threshold_change_needs_csrf_and_admin(app, client, login_as, admin, staff):
    login_as(staff)
    assert client.post("/admin/ai/thresholds", data={"billing": "0.9"}).status_code == 403
    assert client.get("/admin/ai").status_code == 403
    login_as(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/admin/ai/thresholds", data={"billing": "0.9"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.get(AIThreshold, "billing") is None


def test_dashboard_is_dual_mode(client, login_as, admin, hx):
    login_as(admin)
    assert b"<html" in client.get("/admin/ai").data
    boosted = client.get("/admin/ai", headers=hx | {"HX-Boosted": "true"})
    assert b"<html" in boosted.data
    fragment = client.get("/admin/ai?days=30", headers=hx)
    assert b"<html" not in fragment.data and b'id="ai-dashboard"' in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
