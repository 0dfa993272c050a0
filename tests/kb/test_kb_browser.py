"""In headless Chromium: suggestions appear while a user types a ticket title, and
"This solved my problem" counts and leaves without creating a ticket."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Article, Ticket
from portal.services import kb as kb_service
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_suggestion_solves_the_problem_without_a_ticket(live, new_page, login, screenshot):
    with live.app.app_context():
        author = make_user("staff")
        article_id = kb_service.create_article(
            author,
            title="Resetting your password",
            body="1. Open **Account**\n2. Choose *Reset password*",
            category="technical",
        ).id
        kb_service.create_article(author, title="Invoices with a VAT number", body="Billing.")
    person = live.add_user("user")

    page = new_page()
    login(page, person)
    page.goto("/tickets/new")
    page.locator("#title").press_sequentially("Forgot my password", delay=10)
    suggestions = page.locator("#kb-suggestions li")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_contain_text("Resetting your password")
    screenshot(page, "kb-suggestions")

    suggestions.first.get_by_role("button", name="This solved my problem").click()
    expect(page).to_have_url(re.compile(rf"/kb/{article_id}/$"))
    expect(page.locator(".flash-success")).to_contain_text("No ticket was created")
    expect(page.locator(".article-body strong")).to_have_text("Account")

    with live.app.app_context():
        assert db.session.get(Article, article_id).solved_count == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_staff_write_an_article_with_errors_inline(live, new_page, login):
    staff = live.add_user("staff")
    page = new_page()
    login(page, staff)
    page.goto("/kb/new")
    page.fill("#title", "ab")
    page.click("#article-form button.primary")
    expect(page.locator("#title-error")).to_be_visible()
    expect(page.locator("#body-error")).to_be_visible()
    page.fill("#title", "Two-factor codes rejected")
    page.fill("#body", "Sync the **clock** on your phone.")
    page.click("#article-form button.primary")
    expect(page).to_have_url(re.compile(r"/kb/\d+/$"))
    expect(page.locator("h1")).to_have_text("Two-factor codes rejected")
    expect(page.locator(".article-body strong")).to_have_text("clock")
