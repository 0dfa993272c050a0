"""In Chromium: a chat answered inline that becomes a ticket with the chat attached."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import AIConversation, Ticket
from portal.services import kb as kb_service
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_chat_becomes_a_ticket(live, new_page, login, screenshot):
    with live.app.app_context():
        kb_service.create_article(
            make_user("staff"),
            title="Connecting to eduroam wifi",
            body="Use your university email and password to join eduroam. If the wifi keeps "
            "dropping, forget the network and connect again.",
        )
    user = live.add_user("user", name="Uma User")
    page = login(new_page(), user)
    page.click(".topbar >> text=Assistant")
    expect(page.locator("#chat-conversations")).to_contain_text("No conversations yet.")
    page.click("text=Start chatting")
    expect(page).to_have_url(re.compile(r"/tickets/ai/conversations/[0-9a-f]+/$"))
    page.evaluate("window.__marker = 'same-document'")
    page.fill("#message", "My eduroam wifi keeps dropping")
    page.click("#chat-form button.primary")
    messages = page.locator(".chat-messages .response-ai")
    expect(messages).to_contain_text("Connecting to eduroam wifi")
    assert page.evaluate("window.__marker") == "same-document"  # answered inline
    screenshot(page, "ai-chat")

    page.reload()
    expect(messages).to_have_count(1)  # the context survived the reload
    page.click("text=Create a ticket from this chat")
    page.fill("#title", "Eduroam keeps dropping")
    page.click("#chat-ticket-form button.primary")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
    expect(page.locator(".description")).to_contain_text("Me: My eduroam wifi keeps dropping")
    ticket_id = int(re.search(r"/tickets/(\d+)/", page.url).group(1))
    with live.app.app_context():
        assert db.session.get(Ticket, ticket_id).title == "Eduroam keeps dropping"
        conv = db.session.query(AIConversation).one()
        assert conv.ticket_id == ticket_id
