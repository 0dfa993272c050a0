"""In Chromium against the live server: the AI's first answer arriving on the user's page
without a reload, "talk to a person", and the staff panel's insert → send → feedback."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import AISuggestion, Ticket
from portal.services import kb as kb_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _seed(app, **settings):
    with app.app_context():
        update_settings({"AI_CONFIDENCE_THRESHOLD": 0.2, **settings})
        writer = make_user("staff", name="Kim Writer")
        kb_service.create_article(
            writer,
            title="Resetting your password",
            body="If you forgot your password, choose 'Forgot password' on the login page. "
            "We email a password reset link; check your spam folder if the reset email is late.",
            category="technical",
        )


def _new_ticket(page, title, description):
    page.goto("/tickets/new")
    page.fill("#title", title)
    page.fill("#description", description)
    page.click("#ticket-form button.primary")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    return int(re.search(r"/tickets/(\d+)/", page.url).group(1))


def test_first_answer_then_talk_to_a_person(live, new_page, login, screenshot):
    _seed(live.app)
    user = live.add_user("user", name="Uma User")
    page = login(new_page(), user)
    ticket_id = _new_ticket(
        page, "Forgot my password", "I forgot my password and the reset email never arrives."
    )
    answer = page.locator(".response-ai")
    expect(answer).to_contain_text("Resetting your password")
    expect(answer.locator(".tag-ai")).to_contain_text("Written by AI")
    expect(answer.locator(".sources a")).to_have_attribute("href", re.compile(r"^/kb/\d+/$"))
    screenshot(page, "ai-first-answer")

    page.click("text=Talk to a person")
    expect(page.locator(f"#ticket-{ticket_id}-ai-actions")).to_contain_text(
        "You asked to talk to a person"
    )
    with live.app.app_context():
        assert db.session.get(Ticket, ticket_id).needs_human is True


def test_a_reply_arrives_without_a_reload(live, new_page, login):
    _seed(live.app, TICKET_AI_RESPONSE=False)
    user = live.add_user("user", name="Uma User")
    page = login(new_page(), user)
    ticket_id = _new_ticket(page, "Wifi drops", "The wifi in the library drops every hour.")
    expect(page.locator(".thread .empty")).to_be_visible()
    page.evaluate("window.__marker = 'same-document'")
    with live.app.app_context():
        staff = make_user("staff", name="Sam Staff")
        ticket_service.add_reply(db.session.get(Ticket, ticket_id), staff, "Looking into it.")
    expect(page.locator(".response-staff")).to_contain_text("Looking into it.", timeout=8000)
    assert page.evaluate("window.__marker") == "same-document"


def test_staff_insert_suggestion_send_and_rate(live, new_page, login, screenshot):
    _seed(live.app, AI_CONFIDENCE_THRESHOLD=1.0)  # nothing auto-posted: a draft waits
    user = live.add_user("user", name="Uma User")
    staff = live.add_user("staff", name="Sam Staff")
    user_page = login(new_page(), user)
    ticket_id = _new_ticket(
        user_page, "Password reset email", "I forgot my password; the reset email never comes."
    )

    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")
    suggestion = page.locator(f"#ticket-{ticket_id}-ai-suggestion")
    expect(suggestion).to_contain_text("Suggested reply")
    expect(suggestion).to_contain_text("below the 100% threshold")
    screenshot(page, "ai-staff-panel")
    page.click("text=Insert into reply")
    box = page.locator("#reply textarea[name=content]")
    expect(box).to_have_value(re.compile(r"Resetting your password"))
    suggestion_id = page.locator("#reply input[name=suggestion_id]").input_value()
    assert suggestion_id.isdigit()
    box.fill(box.input_value() + "\n\nSam")
    page.click("#reply button.primary")
    expect(page.locator(".response-staff")).to_contain_text("Sam")
    with live.app.app_context():
        row = db.session.get(AISuggestion, int(suggestion_id))
        assert row.status == "used" and 0.9 < row.edit_similarity < 1

    # The panel below the reply box loads when it scrolls into view, as a person would scroll.
    page.locator(f"#ticket-{ticket_id}-ai").scroll_into_view_if_needed()
    page.locator(f"#ticket-{ticket_id}-ai-feedback label", has_text="Thumbs up").click()
    page.fill(f"#ticket-{ticket_id}-ai-feedback textarea", "Good start")
    page.click(f"#ticket-{ticket_id}-ai-feedback button")
    expect(page.locator(f"#ticket-{ticket_id}-ai-feedback")).to_contain_text("recorded")
    with live.app.app_context():
        from portal.models import AIFeedback

        assert db.session.scalars(sa.select(AIFeedback.rating)).all() == [1]


def test_admin_dashboard_draws_charts_and_saves_thresholds(live, new_page, login, screenshot):
    from portal.ai import usage

    with live.app.app_context():
        for i in range(12):
            usage.record(
                provider="local" if i % 3 else "gemini",
                model="gemini-2.5-flash" if i % 3 == 0 else "tfidf",
                purpose="triage",
                latency_ms=50 + 40 * i,
                tokens_in=0 if i % 3 else 1200,
                tokens_out=0 if i % 3 else 300,
                cache_hit=i % 4 == 0,
            )
    admin = live.add_user("admin", name="Ada Admin")
    page = login(new_page(), admin)
    page.click(".topbar >> text=AI dashboard")
    expect(page.locator("h1")).to_have_text("AI dashboard")
    expect(page.locator("#ai-chart-1 rect.bar").first).to_be_visible()
    expect(page.locator("#ai-chart-3 polyline")).to_have_count(0)  # one day: dots, no line
    expect(page.locator("#ai-chart-3 circle")).to_have_count(2)
    screenshot(page, "ai-admin-dashboard")

    page.fill("#billing", "2")
    page.click("#ai-thresholds button.primary")
    expect(page.locator("#billing-error")).to_have_text(
        "Enter a number from 0 to 1, or leave it blank."
    )
    page.fill("#billing", "0.9")
    page.click("#ai-thresholds button.primary")
    expect(page.locator("#billing-error")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Thresholds saved (1 changed).")
    with live.app.app_context():
        from portal.services import settings as settings_service

        assert settings_service.threshold_for("billing") == 0.9
