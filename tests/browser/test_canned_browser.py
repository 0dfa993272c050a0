"""In Chromium: canned replies from the reply box (type part of a title, pick it with the
keyboard, its text goes in at the cursor filled in for the ticket, its field changes wait until
sent) and the team's list (create with a preview, usage counted, delete after asking)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Ticket
from portal.services import canned_replies as canned
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import blocking_violations
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _seed(app) -> int:
    with app.app_context():
        update_settings({"TICKET_AUTO_ASSIGN": False, "TICKET_AI_RESPONSE": False})
        author = make_user("staff", name="Kim Writer")
        canned.create_reply(
            author,
            canned.Fields(
                title="Password reset link",
                body="Hi {{ requester.first_name }},\n\nhere is a fresh reset link for "
                "#{{ ticket.id }}.\n\n{{ agent.name }}",
                set_status="resolved",
            ),
        )
        canned.create_reply(author, canned.Fields(title="Closing: no reply", body="Closing this."))
        requester = make_user("user", name="Uma User")
        ticket = ticket_service.create_ticket(
            requester, title="Password reset email", description="The reset email never comes."
        )
        return ticket.id


def test_pick_a_canned_reply_in_the_reply_box_and_send_it(live, new_page, login, screenshot):
    ticket_id = _seed(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")

    box = page.locator("#reply textarea[name=content]")
    box.click()
    page.keyboard.type("Thanks for waiting.")

    combo = page.get_by_role("combobox", name="Canned reply")
    combo.click()
    page.keyboard.type("reset")
    option = page.get_by_role("option", name=re.compile("Password reset link"))
    expect(option).to_be_visible()
    expect(combo).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("option", name=re.compile("Closing"))).to_have_count(0)
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "combobox"
    assert blocking_violations(page) == []
    screenshot(page, "canned-picker-open")
    page.keyboard.press("Enter")  # the first match is highlighted: Enter inserts it

    expect(box).to_be_focused()
    value = box.input_value()
    assert value == (
        f"Thanks for waiting.\n\nHi Uma,\n\nhere is a fresh reset link for #{ticket_id}."
        "\n\nSam Staff"
    ), value
    pending = page.locator("[data-canned-pending]")
    expect(pending).to_contain_text("Used “Password reset link”.")
    expect(pending).to_contain_text("Will also set: status Resolved")
    screenshot(page, "canned-inserted")

    page.locator("#reply button.primary").click()
    expect(page.locator(".response-staff")).to_contain_text("here is a fresh reset link")
    expect(page.locator("#toasts")).to_contain_text("also set status Resolved")
    with live.app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
    expect(page.locator(".timeline")).to_contain_text("used the canned reply “Password reset link”")
    # The fresh form carries nothing over.
    expect(page.locator("[data-canned-pending]")).to_be_hidden()

    page.get_by_role("link", name="Manage canned replies").click()
    row = page.locator("tr", has_text="Password reset link")
    expect(row.locator(".canned-usage")).to_have_text("1 time")
    expect(page.locator("tr", has_text="Closing: no reply").locator(".canned-usage")).to_have_text(
        "0 times"
    )
    screenshot(page, "canned-list")


def test_removing_the_pending_changes_sends_the_text_only(live, new_page, login):
    ticket_id = _seed(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")
    combo = page.get_by_role("combobox", name="Canned reply")
    combo.fill("link")
    option = page.get_by_role("option", name=re.compile("Password reset link"))
    option.click()
    page.get_by_role("button", name="Don’t change these").click()
    expect(page.locator("[data-canned-changes-row]")).to_be_hidden()
    page.locator("#reply button.primary").click()
    expect(page.locator(".response-staff")).to_contain_text("Hi Uma")
    with live.app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "in_progress"


def test_write_preview_and_delete_a_canned_reply(live, new_page, login, screenshot):
    admin = live.add_user("admin", name="Ada Admin")
    page = login(new_page(), admin)
    page.goto("/staff/canned-replies/")
    expect(page.locator(".empty")).to_contain_text("No canned replies yet.")
    assert blocking_violations(page) == []
    page.get_by_role("link", name="Write the first one").click()
    page.get_by_label("Title").fill("Still looking")
    page.get_by_label("Text").fill(
        "Hi {{ requester.first_name }}, still on #{{ ticket.id }}. {{ nope }}"
    )
    page.get_by_role("button", name="Preview with a sample ticket").click()
    expect(page.locator("#canned-preview")).to_contain_text("Unknown placeholder {{ nope }}")
    page.get_by_label("Text").fill("Hi {{ requester.first_name }}, still on #{{ ticket.id }}.")
    page.get_by_role("button", name="Preview with a sample ticket").click()
    expect(page.locator("#canned-preview")).to_contain_text("Hi Alex, still on #123.")
    page.get_by_label("Also set status").select_option("in_progress")
    assert blocking_violations(page) == []
    screenshot(page, "canned-form-preview")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Canned reply “Still looking” saved.")
    expect(page.locator("tr", has_text="Still looking")).to_contain_text("status In Progress")

    # A second one with the same title is refused beside the field, nothing lost.
    page.get_by_role("link", name="New canned reply").click()
    page.get_by_label("Title").fill("still looking")
    page.get_by_label("Text").fill("Other text")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#title-error")).to_have_text(
        "Another canned reply already has this title."
    )
    expect(page.get_by_label("Text")).to_have_value("Other text")

    page.goto("/staff/canned-replies/")
    page.get_by_role("link", name="Delete Still looking").click()
    expect(page.get_by_role("heading", name="Delete “Still looking”?")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".empty")).to_contain_text("No canned replies yet.")


def test_picker_at_phone_width(live, new_page, login, screenshot):
    ticket_id = _seed(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(viewport=PHONE), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")
    combo = page.get_by_role("combobox", name="Canned reply")
    combo.click()  # focus shows every reply; typing fast and Enter never picks a stale one
    page.keyboard.type("clos")
    page.keyboard.press("Enter")
    expect(page.get_by_role("option", name=re.compile("Closing"))).to_be_visible()
    expect(page.get_by_role("option", name=re.compile("Password"))).to_have_count(0)
    assert "reset link" not in page.locator("#reply textarea[name=content]").input_value()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "canned-picker-phone")
    page.keyboard.press("Enter")
    expect(page.locator("#reply textarea[name=content]")).to_have_value("Closing this.")
    page.goto("/staff/canned-replies/")
    expect(page.locator("tr", has_text="Closing: no reply")).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    screenshot(page, "canned-list-phone")
