"""SLA in the browser: the admin fixes a bad target beside the field; staff read the Due column,
the Breached view and the ticket's clock, at desktop and phone widths."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Ticket
from portal.services import settings as settings_service
from portal.services import sla
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import horizontal_overflow
from tests.conftest import AUTOMATION_OFF
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def _seed(live) -> tuple[int, int]:
    """Round-the-clock business hours in UTC, so what the page says does not depend on today."""
    requester = live.add_user("user")
    with live.app.app_context():
        settings_service.update_settings(
            AUTOMATION_OFF
            | {"SLA_TIMEZONE": "UTC", "SLA_WORK_DAYS": "Mon-Sun", "SLA_WORK_HOURS": "00:00-24:00",
               "SLA_HOLIDAY_COUNTRY": ""}
        )  # fmt: skip
        from portal.models import User

        author = db.session.get(User, requester.id)
        late = make_ticket(author, priority="urgent", title="Printer on fire")
        late.created_at -= timedelta(hours=2, minutes=5)
        sla.recompute(late)
        fresh = make_ticket(author, priority="medium", title="Password reset question")
        db.session.commit()
        return late.id, fresh.id


def test_staff_see_the_due_column_breached_view_and_clock(live, new_page, login, screenshot):
    late, fresh = _seed(live)
    staff = live.add_user("staff")
    for viewport, tag in ((None, "1280"), (PHONE, "390")):
        page = new_page(viewport=viewport) if viewport else new_page()
        login(page, staff)
        page.goto("/staff/?sort=due")
        row = page.locator(f"#ticket-{late}")
        expect(row.locator(".col-due")).to_contain_text("overdue 1 h")
        expect(page.locator(f"#ticket-{fresh} .col-due")).to_contain_text("left")
        assert horizontal_overflow(page) == 0
        screenshot(page, f"sla-queue-{tag}")

        page.get_by_role("link", name="Breached").click()
        expect(page.locator(f"#ticket-{late}")).to_be_visible()
        expect(page.locator(f"#ticket-{fresh}")).to_have_count(0)

        page.goto(f"/staff/tickets/{late}/")
        panel = page.locator(f"#ticket-{late}-sla")
        expect(panel).to_contain_text("First response")
        expect(panel).to_contain_text("breached")
        assert horizontal_overflow(page) == 0
        screenshot(page, f"sla-ticket-{tag}")
    with live.app.app_context():
        assert db.session.get(Ticket, late).sla_next_due is not None


def test_admin_fixes_a_zero_target_beside_the_field(live, new_page, login, screenshot):
    admin = live.add_user("admin")
    page = new_page()
    login(page, admin)
    page.goto("/admin/sla")
    page.fill("#fr-urgent-default", "0")
    page.click("#sla-form button.primary")
    error = page.locator("#fr-urgent-default-error")
    expect(error).to_contain_text("more than 0 hours")
    screenshot(page, "sla-admin-error-1280")
    with live.app.app_context():
        assert sla.targets_for("urgent", None).first_response_hours == 1.0
    page.fill("#fr-urgent-default", "0.5")
    page.click("#sla-form button.primary")
    expect(page.locator("#fr-urgent-default-error")).to_have_count(0)
    expect(page.locator("#fr-urgent-default")).to_have_value("0.5")
    with live.app.app_context():
        db.session.expire_all()
        assert sla.targets_for("urgent", None).first_response_hours == 0.5
