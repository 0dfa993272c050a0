"""The site header: every link in one row on a wide screen; on a phone the less used ones fold
under "More", which opens with a tap (no JavaScript needed) and keeps the bar short."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

ADMIN_LINKS = ["Reports", "Assistant", "Settings", "Users", "SLA", "AI dashboard", "Failed mail"]


def test_desktop_shows_every_link_and_no_more_button(live, new_page, login):
    admin = live.add_user("admin", name="Ada Admin")
    page = login(new_page(), admin)
    nav = page.get_by_role("navigation", name="Site")
    for name in ["Queue", "My tickets", "New ticket", *ADMIN_LINKS]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("label.nav-more-label")).to_be_hidden()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_phone_folds_the_rest_under_more(live, new_page, login, browser, javascript):
    admin = live.add_user("admin", name="Ada Admin")
    context = None
    if javascript:
        page = new_page(viewport=PHONE)
    else:
        context = browser.new_context(viewport=PHONE, java_script_enabled=False, base_url=live.url)
        page = context.new_page()
    try:
        _fold_and_open(login(page, admin))
    finally:
        if context is not None:
            context.close()


def _fold_and_open(page) -> None:
    bar = page.locator(".topbar")
    assert bar.bounding_box()["height"] <= 80
    nav = page.get_by_role("navigation", name="Site")
    for name in ["Queue", "My tickets", "New ticket"]:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    settings = nav.get_by_role("link", name="Settings", exact=True)
    expect(settings).to_be_hidden()
    page.locator("label.nav-more-label").click()
    for name in ADMIN_LINKS:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    settings.click()
    expect(page.locator("main h1")).to_contain_text("Settings")
