"""In Chromium: the ticket page's "Chat with the assistant about this ticket" opens the chat once.

The button sat inside the live thread, whose polling wrapper declares hx-target="this" and
hx-swap="outerHTML". The boosted form inherited both, so the chat page (site header and all)
was swapped into the thread: a page inside a page.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal import events
from portal.extensions import db
from portal.models import User
from tests.factories import make_ticket

pytestmark = pytest.mark.browser


def test_chat_about_ticket_opens_the_chat_once(live, new_page, login):
    person = live.add_user("user", name="Uma User")
    with live.app.app_context(), events.suppressed():
        ticket_id = make_ticket(db.session.get(User, person.id), title="Printer jams").id
    page = login(new_page(), person)
    page.goto(f"/tickets/{ticket_id}/")
    # The page is live (static/js/live.js polls for it); the button used to inherit its
    # target from the thread's own polling wrapper.
    expect(page.locator(f"#ticket-{ticket_id}-live[data-live]")).to_have_count(1)
    page.click("text=Chat with the assistant about this ticket")
    expect(page).to_have_url(re.compile(r"/tickets/ai/conversations/[0-9a-f]+/$"))
    expect(page.locator("#chat-form")).to_have_count(1)
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("html")).to_have_count(1)
    assert page.locator("body").count() == 1
    expect(page.locator(f"#ticket-{ticket_id}-thread")).to_have_count(0)
    page.wait_for_timeout(5500)  # a stale poll would bring the thread (or a page) back
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("#chat-form")).to_have_count(1)
