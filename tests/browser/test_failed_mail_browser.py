"""An admin finds a message that was too large on "Failed mail", reads it and retries it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.services import mail_ingest
from tests.browser.conftest import PHONE
from tests.mail.conftest import make_mail

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_admin_retries_failed_mail(live, new_page, login, screenshot, viewport):
    admin = live.add_user("admin", name="Ada Admin")
    with live.app.app_context():
        live.app.config["MAIL_MAX_BYTES"] = 100
        try:
            mail_ingest.ingest(make_mail(subject="Scanned <contract>", body="x" * 400))
        finally:
            live.app.config["MAIL_MAX_BYTES"] = None
    page = new_page(viewport=viewport) if viewport else new_page()
    login(page, admin)
    if viewport:  # on a phone the admin links fold under "More"
        page.locator("label.nav-more-label").click()
    page.get_by_role("link", name="Failed mail").first.click()
    expect(page.locator("h1")).to_have_text("Failed mail")
    expect(page.get_by_role("link", name="Scanned <contract>")).to_be_visible()
    screenshot(page, f"failed-mail-list-{'phone' if viewport else 'desktop'}")
    page.get_by_role("link", name="Scanned <contract>").click()
    expect(page.locator("pre.raw-mail")).to_contain_text("Subject: Scanned <contract>")
    screenshot(page, f"failed-mail-detail-{'phone' if viewport else 'desktop'}")
    page.get_by_role("button", name="Retry").click()
    expect(page.locator("body")).to_contain_text("The mail became ticket #")
    expect(page.locator("body")).to_contain_text("No failed mail")
