"""In Chromium: staff resolve a ticket, the requester rates it on the ticket page, staff see the
rating on the ticket and in the reports, which fit a phone without sideways scrolling."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal import events
from tests.browser.conftest import PHONE
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def test_resolve_rate_and_report(live, new_page, login, screenshot):
    staff = live.add_user("staff", name="Sam Staff")
    user = live.add_user("user", name="Uma User")
    with live.app.app_context(), events.suppressed():
        from portal.extensions import db
        from portal.models import User

        ticket = make_ticket(db.session.get(User, user.id), title="Wifi drops in the library")
        ticket_id = ticket.id

    # Staff resolve it with the quick action.
    staff_page = new_page()
    login(staff_page, staff)
    staff_page.goto(f"/staff/tickets/{ticket_id}/")
    staff_page.locator(".side-col button", has_text="Resolve").click()
    expect(staff_page.locator(".side-col")).to_contain_text("Reopen")

    # The requester rates it on the ticket page: real radio buttons, keyboard-reachable.
    user_page = new_page()
    login(user_page, user)
    user_page.goto(f"/tickets/{ticket_id}/")
    panel = user_page.locator(f"#ticket-{ticket_id}-satisfaction")
    expect(panel.locator("h2")).to_have_text("How did we do?")
    expect(panel.locator("input[type=radio]")).to_have_count(5)
    screenshot(user_page, "csat-ticket-form")
    panel.get_by_label("Satisfied (4 out of 5)").check()
    panel.locator("textarea[name=comment]").fill("Works again, thank you")
    panel.locator("button.primary").click()
    expect(panel.locator(".csat-given")).to_contain_text("4 out of 5")
    expect(user_page.locator("#toasts")).to_contain_text("Thank you for your rating")
    screenshot(user_page, "csat-ticket-rated")

    # Staff see it on the ticket...
    staff_page.goto(f"/staff/tickets/{ticket_id}/")
    sat = staff_page.locator(f"#ticket-{ticket_id}-satisfaction")
    expect(sat).to_contain_text("4 / 5")
    expect(sat).to_contain_text("Works again, thank you")

    # ...and in the reports, reached from the nav.
    staff_page.locator(".topbar a", has_text="Reports").click()
    expect(staff_page.locator("h1")).to_have_text("Reports")
    expect(staff_page.locator(".stat-cards")).to_contain_text("4.0 / 5")
    expect(staff_page.locator(".ratings-table")).to_contain_text("Works again, thank you")
    expect(staff_page.locator("svg[role=img]")).to_have_count(3)
    screenshot(staff_page, "reports-desktop")

    # On a phone the report fits the width; the tables scroll inside their own box.
    phone = new_page(viewport=PHONE)
    login(phone, staff)
    phone.goto("/staff/reports")
    expect(phone.locator("h1")).to_have_text("Reports")
    _no_sideways_scroll(phone)
    screenshot(phone, "reports-phone")
    phone_user = new_page(viewport=PHONE)
    login(phone_user, user)
    phone_user.goto(f"/tickets/{ticket_id}/")
    _no_sideways_scroll(phone_user)
