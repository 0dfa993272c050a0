"""In Chromium: what GET no longer writes still happens by POST when the page loads (the
staff AI panel's suggestion, a help article's view), once; and a common password is refused
beside the field."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal import events
from portal.extensions import db
from portal.models import AISuggestion, Article
from portal.services import kb as kb_service
from tests.factories import make_ticket, make_user

pytestmark = pytest.mark.browser


def test_staff_panel_writes_its_suggestion_by_post_once(live, new_page, login, screenshot):
    with live.app.app_context():
        writer = make_user("staff", name="Kim Writer")
        kb_service.create_article(
            writer,
            title="Printing in the library",
            body="To print in the library, log in at the print station with your student card.",
        )
        with events.suppressed():  # no first answer: nothing waits yet
            ticket = make_ticket(
                make_user("user"),
                title="Library printer",
                description="How do I print in the library with my student card?",
            )
        ticket_id = ticket.id
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")
    expect(page.locator(f"#ticket-{ticket_id}-ai-suggestion")).to_contain_text("Suggested reply")
    screenshot(page, "hardening-staff-panel")
    page.reload()
    expect(page.locator(f"#ticket-{ticket_id}-ai-suggestion")).to_contain_text("Suggested reply")
    with live.app.app_context():
        kinds = db.session.scalars(
            sa.select(AISuggestion.status).where(
                AISuggestion.ticket_id == ticket_id, AISuggestion.kind == "reply"
            )
        ).all()
        assert kinds == ["pending"]  # one suggestion, none superseded by the reload


def test_article_view_is_counted_once_by_the_page(live, new_page, login):
    with live.app.app_context():
        article_id = kb_service.create_article(
            make_user("staff"), title="Wifi in halls", body="Connect to **eduroam**."
        ).id
    user = live.add_user("user", name="Uma User")
    page = login(new_page(), user)
    for _ in range(3):
        with page.expect_response(re.compile(rf"/kb/{article_id}/viewed$")) as seen:
            page.goto(f"/kb/{article_id}/")
        assert seen.value.status == 204
    with live.app.app_context():
        assert db.session.get(Article, article_id).views == 1


def test_register_refuses_a_common_password_beside_the_field(live, new_page, screenshot):
    page = new_page()
    page.goto("/auth/register")
    page.fill("#name", "Pat Example")
    page.fill("#email", "pat@example.com")
    page.fill("#password", "Password2024!")
    page.fill("#confirm", "Password2024!")
    page.click("main form button.primary")
    expect(page.locator("#password-error")).to_contain_text("most common")
    screenshot(page, "hardening-register-common-password")
