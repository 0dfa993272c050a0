"""In Chromium: bulk actions on the queue, j/k/Enter through the rows, the "?" help dialog,
shortcuts never firing while typing, and saving a view and opening it again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.browser.conftest import PHONE
from tests.conftest import AUTOMATION_OFF
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _tickets(app, n: int = 3) -> list[int]:
    with app.app_context():
        update_settings(AUTOMATION_OFF)
        requester = make_user("user", name="Uma User")
        return [
            ticket_service.create_ticket(
                requester, title=f"Projector {i} is blank", description="Room 4.", priority="low"
            ).id
            for i in range(n)
        ]


def _row(page, ticket_id: int):
    return page.locator(f"#ticket-{ticket_id}")


def test_select_two_rows_and_set_their_status(live, new_page, login, screenshot):
    ids = _tickets(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/?status=all")
    page.get_by_label(f"Select ticket #{ids[0]}").check()
    page.get_by_label(f"Select ticket #{ids[2]}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 tickets selected")
    page.get_by_label("Status for the selected tickets").select_option("resolved")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator("#bulk-summary")).to_have_text("Updated 2 tickets.")
    for tid in (ids[0], ids[2]):
        expect(_row(page, tid).locator(".col-status")).to_contain_text("Resolved")
    expect(_row(page, ids[1]).locator(".col-status")).to_contain_text("Open")
    expect(page).to_have_url(re.compile(r"/staff/\?status=all$"))
    screenshot(page, "queue-bulk-desktop")

    # Again, for a ticket already resolved: the summary says which and why.
    page.get_by_label(f"Select ticket #{ids[0]}").check()
    page.get_by_label(f"Select ticket #{ids[1]}").check()
    page.get_by_label("Status for the selected tickets").select_option("resolved")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator("#bulk-summary")).to_have_text(
        f"Updated 1 ticket. Not changed: #{ids[0]} (already resolved)"
    )


def test_select_all_on_a_phone_and_assign_to_me(live, new_page, login, screenshot):
    ids = _tickets(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(viewport=PHONE), staff)
    page.goto("/staff/")
    page.get_by_label("Select all tickets on this page").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("3 tickets selected")
    # Status, priority, assignee and the checkbox are on screen, with no sideways scrolling.
    row = _row(page, ids[0])
    for part in (".col-status", ".col-priority", ".col-assignee", "input[name=ticket_ids]"):
        box = row.locator(part).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], part
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "queue-bulk-phone")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#bulk-summary")).to_have_text("Updated 3 tickets.")
    for tid in ids:
        expect(_row(page, tid).locator(".col-assignee")).to_have_text("Sam Staff")


def test_j_k_and_enter_open_a_ticket(live, new_page, login):
    ids = _tickets(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/")
    rows = page.locator("#queue-results tbody tr")
    first_id = rows.nth(0).get_attribute("id")
    second_id = rows.nth(1).get_attribute("id")
    page.keyboard.press("j")
    expect(page.locator(f"#{first_id}")).to_have_class(re.compile("kbd-current"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator(f"#{second_id}")).to_have_class(re.compile("kbd-current"))
    expect(page.locator("tr.kbd-current")).to_have_count(1)
    # x ticks the highlighted row; j/k still work from a ticked checkbox.
    page.keyboard.press("x")
    expect(page.locator(f"#{second_id} input[name=ticket_ids]")).to_be_checked()
    page.locator(f"#{first_id} input[name=ticket_ids]").click()
    page.keyboard.press("j")
    expect(page.locator(f"#{second_id}")).to_have_class(re.compile("kbd-current"))
    page.keyboard.press("Enter")
    number = second_id.split("-")[1]
    expect(page).to_have_url(re.compile(rf"/staff/tickets/{number}/$"))
    assert int(number) in ids

    # On the ticket: r focuses the reply box, n switches to an internal note, a assigns to me.
    page.keyboard.press("r")
    expect(page.locator("#reply textarea[name=content]")).to_be_focused()
    expect(page.locator("#reply textarea[name=content]")).to_have_value("")  # no stray "r"
    page.locator("#reply textarea[name=content]").blur()
    page.keyboard.press("n")
    expect(page.locator("#reply input[name=internal]")).to_be_checked()
    page.locator("#reply textarea[name=content]").blur()
    page.keyboard.press("a")
    expect(page.locator("form[action$='/assign'] select")).to_have_value(str(staff.id))


def test_help_dialog_opens_with_question_mark_and_closes_with_escape(live, new_page, login):
    _tickets(live.app, 1)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/")
    opener = page.get_by_role("button", name=re.compile("Keyboard shortcuts"))
    opener.focus()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_contain_text("Assign the ticket to me")
    assert page.evaluate(
        "document.getElementById('shortcuts-help').contains(document.activeElement)"
    )
    page.keyboard.press("Tab")  # focus stays inside
    assert page.evaluate(
        "document.getElementById('shortcuts-help').contains(document.activeElement)"
    )
    page.keyboard.press("j")  # no shortcut behind the dialog
    expect(page.locator("tr.kbd-current")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # focus is back where it was
    # The button opens it too, after an hx-boost navigation.
    page.get_by_role("link", name="Queue").click()
    page.get_by_role("button", name=re.compile("Keyboard shortcuts")).click()
    expect(dialog).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_typing_j_in_the_search_field_moves_nothing(live, new_page, login):
    _tickets(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/")
    search = page.get_by_label("Search")
    search.click()
    page.keyboard.type("j")
    expect(search).to_have_value("j")
    expect(page.locator("tr.kbd-current")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.keyboard.type("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    # Modifier keys are the browser's: Ctrl+J does not move the highlight either.
    page.locator("h1").click()
    page.keyboard.press("Control+j")
    expect(page.locator("tr.kbd-current")).to_have_count(0)


def test_save_a_view_and_open_it_again(live, new_page, login, screenshot):
    with live.app.app_context():
        update_settings(AUTOMATION_OFF)
        requester = make_user("user", name="Uma User")
        for title, priority in (("Urgent VPN", "urgent"), ("Low printer", "low")):
            ticket_service.create_ticket(requester, title=title, description="x", priority=priority)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/")
    page.locator("#queue-filters select[name=priority]").select_option("urgent")
    expect(page.locator("#queue-results tbody tr")).to_have_count(1)  # htmx changed the filters
    page.get_by_text("Save this view").click()
    page.get_by_label("Name this view").fill("Urgent only")
    page.get_by_role("button", name="Save view").click()
    tab = page.locator(".saved-tab", has_text="Urgent only")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab.locator(".n")).to_have_text("1")
    expect(page.locator(".flash-success")).to_contain_text("Saved the view “Urgent only”.")
    screenshot(page, "queue-saved-view-desktop")

    page.get_by_role("link", name="Queue", exact=True).click()
    expect(page.locator("#queue-results tbody tr")).to_have_count(2)
    expect(page.locator(".saved-tab", has_text="Urgent only")).not_to_have_attribute(
        "aria-current", "page"
    )
    page.locator(".saved-tab", has_text="Urgent only").click()
    expect(page.locator("#queue-results tbody tr")).to_have_count(1)
    expect(page.locator("#queue-results tbody")).to_contain_text("Urgent VPN")

    # A duplicate name is refused beside the field.
    page.get_by_text("Save this view").click()
    page.get_by_label("Name this view").fill("urgent ONLY")
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#save-view-name-error")).to_contain_text("already have a view")
    expect(page.get_by_label("Name this view")).to_have_attribute("aria-invalid", "true")


def test_queue_tools_pass_axe_at_both_widths(live, new_page, login, screenshot):
    from tests.browser.test_accessibility import blocking_violations

    ids = _tickets(live.app, 2)
    staff = live.add_user("staff", name="Sam Staff")
    for tid, width, viewport in ((ids[0], "1280", None), (ids[1], "390", PHONE)):
        page = login(new_page(viewport=viewport), staff)
        page.goto("/staff/?priority=low")
        if width == "1280":
            page.get_by_text("Save this view").click()
            page.get_by_label("Name this view").fill("Low ones")
            page.get_by_role("button", name="Save view").click()
            expect(page.locator(".saved-tab")).to_have_count(1)
        page.get_by_label(f"Select ticket #{tid}").check()
        page.get_by_label("Priority for the selected tickets").select_option("high")
        page.get_by_role("button", name="Set priority").click()
        expect(page.locator("#bulk-summary")).to_be_visible()
        assert blocking_violations(page) == [], "queue with tools"
        screenshot(page, f"queue-tools-{width}")
        page.locator("h1").click()
        page.keyboard.press("?")
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
        assert blocking_violations(page) == [], "help dialog"
        screenshot(page, f"queue-shortcuts-help-{width}")
        page.keyboard.press("Escape")
        page.goto("/staff/views/")
        expect(page.get_by_label("New name for “Low ones”")).to_be_visible()
        assert blocking_violations(page) == [], "saved views page"
        assert (
            page.evaluate("document.documentElement.scrollWidth")
            <= (viewport or {"width": 1280})["width"]
        )
        screenshot(page, f"staff-saved-views-{width}")
