"""End to end in headless Chromium: a user's ticket, staff's inline reply, and what each sees."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from portal import events
from tests.factories import make_ticket, make_user

pytestmark = pytest.mark.browser

SEARCH_WORD = "Projector"


def _seed_queue(app, n: int = 30) -> None:
    """Other people's tickets, so the queue search has something to filter out."""
    with app.app_context(), events.suppressed():
        requesters = [make_user("user") for _ in range(3)]
        for i in range(n):
            make_ticket(
                requesters[i % 3],
                title=f"Cannot open course page {i}",
                description="The page shows an error when I open it.",
                category=["technical", "billing", "general"][i % 3],
                priority=["low", "medium", "high", "urgent"][i % 4],
            )


def _mark_page(page: Page) -> str:
    """Put a marker on window: it survives htmx swaps and boosted links, not a full reload."""
    marker = uuid.uuid4().hex
    page.evaluate("m => { window.__pageMarker = m; }", marker)
    return marker


def _track_documents(page: Page) -> list[str]:
    """URLs of full document loads from now on (an htmx or boosted request is an XHR)."""
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    return loads


def _wait_htmx_idle(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _ticket_id(page: Page) -> int:
    match = re.search(r"/tickets/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def test_user_ticket_staff_reply_round_trip(live, new_page, login, screenshot):
    _seed_queue(live.app)
    staff = live.add_user("staff", name="Sam Staff")

    # A new user registers and submits a ticket through the form.
    user_page = new_page()
    user_page.goto("/auth/register")
    user_page.fill("#name", "Uma User")
    user_page.fill("#email", "uma@example.com")
    user_page.fill("#password", "a-long-password")
    user_page.fill("#confirm", "a-long-password")
    user_page.click("main form button.primary")
    expect(user_page).to_have_url(re.compile(r"/tickets/$"))
    expect(user_page.locator(".flash-success")).to_contain_text("Welcome")

    user_page.click(".topbar >> text=New ticket")
    expect(user_page.locator("h1")).to_have_text("New ticket")
    title = f"{SEARCH_WORD} in room B12 flickers"
    user_page.fill("#title", title)
    user_page.fill("#description", "The projector turns off every few minutes during lectures.")
    user_page.select_option("#category", "technical")
    user_page.click("#ticket-form button.primary")
    expect(user_page).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket_id = _ticket_id(user_page)
    expect(user_page.locator("h1")).to_have_text(f"#{ticket_id} {title}")
    expect(user_page.locator(".flash-success")).to_contain_text("Ticket submitted")

    # Staff log in and find it with the queue's active search (htmx, no reload).
    staff_page = new_page()
    login(staff_page, staff)
    staff_page.goto("/staff/")
    rows = staff_page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(25)  # a full first page: the search must narrow it
    screenshot(staff_page, "staff-queue")
    marker = _mark_page(staff_page)
    documents = _track_documents(staff_page)
    staff_page.locator("#q").press_sequentially(SEARCH_WORD.lower(), delay=20)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_id(f"ticket-{ticket_id}")
    expect(staff_page).to_have_url(re.compile(r"[?&]q=projector"))
    screenshot(staff_page, "staff-queue-search")
    # The filters are live too: a status with no match empties the table, and back.
    staff_page.select_option("select[name=status]", "closed")
    expect(staff_page.locator("#queue-results .empty")).to_contain_text("No tickets match")
    staff_page.select_option("select[name=status]", "active")
    expect(rows).to_have_count(1)
    assert staff_page.evaluate("window.__pageMarker") == marker
    assert documents == []

    # Open it and reply inline. Leaving the search box fires its `change` event, and the queue
    # form searches again on `change`; let that request land before clicking (see
    # test_search_then_open_result_keeps_url for what happens otherwise).
    staff_page.locator("#q").blur()
    _wait_htmx_idle(staff_page)
    rows.first.locator("a").click()
    expect(staff_page).to_have_url(re.compile(rf"/staff/tickets/{ticket_id}/$"))
    expect(staff_page.locator("h1")).to_have_text(f"#{ticket_id} {title}")
    marker = _mark_page(staff_page)
    documents = _track_documents(staff_page)
    with staff_page.expect_request(lambda r: r.method == "POST") as posted:
        staff_page.fill("#content", "Thanks, Uma. A technician will swap the lamp this afternoon.")
        staff_page.click("#reply button.primary")
    headers = posted.value.headers
    assert headers.get("hx-request") == "true"
    assert "hx-boosted" not in headers  # a real htmx swap, not a boosted page load
    replies = staff_page.locator(f"#ticket-{ticket_id}-replies")
    expect(replies.locator(".response-staff")).to_contain_text("swap the lamp")
    expect(staff_page.locator("#toasts")).to_contain_text("Reply sent")
    expect(staff_page.locator("#content")).to_have_value("")

    # An internal note, also inline.
    staff_page.check("#internal")
    staff_page.fill("#content", "Lamp stock is low; order more before Friday.")
    staff_page.click("#reply button.primary")
    expect(replies.locator(".response.internal")).to_contain_text("Lamp stock is low")
    expect(replies.locator(".response.internal .tag-internal")).to_have_text("Internal note")
    expect(staff_page.locator(f"#ticket-{ticket_id}-timeline")).to_contain_text(
        "added an internal note"
    )
    assert staff_page.evaluate("window.__pageMarker") == marker
    assert documents == []
    screenshot(staff_page, "staff-ticket")

    # The user sees the reply on their ticket page, and never the note.
    user_page.reload()
    thread = user_page.locator(f"#ticket-{ticket_id}-replies")
    expect(thread.locator(".response-staff")).to_have_count(1)
    expect(thread.locator(".response-staff")).to_contain_text("swap the lamp")
    expect(thread.locator(".response.internal")).to_have_count(0)
    assert "Lamp stock" not in user_page.content()
    assert "Internal note" not in user_page.content()

    # The user answers inline too.
    marker = _mark_page(user_page)
    user_page.fill("#content", "Great, thank you!")
    user_page.click("#reply button.primary")
    expect(thread.locator(".response-user")).to_have_count(1)
    expect(thread.locator(".response-user")).to_contain_text("Great, thank you!")
    assert user_page.evaluate("window.__pageMarker") == marker
    screenshot(user_page, "user-ticket")


def test_search_then_open_result_keeps_url(live, new_page, login):
    _seed_queue(live.app, 3)
    staff = live.add_user("staff")
    page = new_page()
    login(page, staff)
    page.goto("/staff/")
    page.locator("#q").press_sequentially("course page 1", delay=20)
    rows = page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("a").click()  # straight from the search box, as a person does
    expect(page.locator("h1")).to_contain_text("Cannot open course page 1")
    _wait_htmx_idle(page)
    expect(page).to_have_url(re.compile(r"/staff/tickets/\d+/$"), timeout=1_000)


def test_script_in_title_renders_as_text(live, new_page, login):
    user = live.add_user("user")
    staff = live.add_user("staff")
    payload = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'

    page = new_page()
    login(page, user)
    page.goto("/tickets/new")
    page.fill("#title", payload)
    page.fill("#description", f'Description with <b hx-get="/admin/">{payload}</b>')
    page.click("#ticket-form button.primary")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    ticket_id = _ticket_id(page)
    heading = page.locator("h1")
    expect(heading).to_have_text(f"#{ticket_id} {payload}")
    assert heading.locator("script, img").count() == 0
    assert page.locator(".description b, .description img").count() == 0
    expect(page.locator(".description")).to_contain_text('<b hx-get="/admin/">')
    page.goto("/tickets/")
    expect(page.locator(f"#ticket-{ticket_id} a")).to_contain_text(payload)
    assert page.evaluate("window.__xss") is None

    staff_page = new_page()
    login(staff_page, staff)
    staff_page.goto("/staff/")
    link = staff_page.locator(f"#ticket-{ticket_id} a")
    expect(link).to_contain_text(payload)
    assert link.locator("script, img").count() == 0
    link.click()
    expect(staff_page.locator("h1")).to_have_text(f"#{ticket_id} {payload}")
    assert staff_page.locator("main script, main img").count() == 0
    # The lazily loaded AI panel must arrive (inert) before the test ends: an unfinished
    # request would otherwise reach the server after teardown dropped the database.
    staff_page.wait_for_load_state("networkidle")
    assert staff_page.locator("main script, main img").count() == 0
    assert staff_page.evaluate("window.__xss") is None


def test_admin_settings_page(live, new_page, login, screenshot):
    admin = live.add_user("admin")
    page = new_page()
    login(page, admin)
    page.goto("/admin/settings")
    expect(page.locator("h1")).to_have_text("Settings")
    expect(page.locator(".api-key-status")).to_contain_text("not configured")
    screenshot(page, "admin-settings")
    page.click("#settings-form button.primary")
    expect(page.locator(".flash-success")).to_contain_text("Settings saved")
