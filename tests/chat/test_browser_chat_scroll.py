"""In Chromium: the chat keeps the newest message in view (on load and after htmx swaps), says
plainly when nothing matches, and a 👎 brings another article, never the rejected one."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import AIConversation
from portal.services import kb_seed
from tests.factories import make_user

pytestmark = pytest.mark.browser

NEWEST_IN_VIEW = """() => {
  const list = document.querySelector('.chat-messages');
  const last = list.lastElementChild.getBoundingClientRect();
  const box = list.getBoundingClientRect();
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 2;
  const inList = last.bottom <= box.bottom + 1 && last.top >= box.top - 1;
  const inWindow = last.top < window.innerHeight && last.bottom > 0;
  return atBottom && inList && inWindow;
}"""


def _ask(page, text):
    count = page.locator(".chat-messages > li.response").count()
    page.fill("#message", text)
    page.click("#chat-form button.primary")
    expect(page.locator(".chat-messages > li.response")).to_have_count(count + 2)


@pytest.mark.parametrize("width", [1280, 390])
def test_chat_scrolls_to_the_newest_message(live, browser, login, screenshot, width):
    with live.app.app_context():
        kb_seed.seed_articles(make_user("staff"))
    user = live.add_user("user", name="Uma User")
    context = browser.new_context(base_url=live.url, viewport={"width": width, "height": 700})
    context.set_default_timeout(5_000)
    try:
        page = login(context.new_page(), user)
        page.goto("/tickets/ai/conversations/")
        page.click("text=Start chatting")
        _ask(page, "asdf qwerty")
        expect(page.locator(".chat-messages .response-ai").last).to_contain_text(
            "could not find a help article"
        )
        for question in (
            "I was charged twice for my registration",
            "my authenticator codes are rejected",
            "how do I get an invoice with our VAT number",
            "student discount not applied at checkout",
        ):
            _ask(page, question)
            page.wait_for_function(NEWEST_IN_VIEW, timeout=2_000)  # fails the test if not
        overflow = "() => { const l = document.querySelector('.chat-messages');"
        overflow += " return l.scrollHeight > l.clientHeight + 50; }"
        assert page.evaluate(overflow), "the list should be long enough to scroll"
        last = page.locator(".chat-messages .response-ai").last
        expect(last).to_contain_text("Student discount not applied at checkout")
        expect(last.locator("a", has_text="Student discount")).to_have_attribute(
            "href", re.compile(r"/kb/\d+/$")
        )
        page.reload()
        page.wait_for_function(NEWEST_IN_VIEW, timeout=2_000)  # after a reload too

        last.locator("button", has_text="Didn't help").click()
        expect(page.locator(".chat-messages .response-ai").last).to_contain_text(
            "no other help article"
        )
        page.wait_for_function(NEWEST_IN_VIEW, timeout=2_000)  # after the 👎 swap too
        expect(page.locator(".chat-messages .rejected")).to_contain_text(
            "You said this did not help."
        )
        screenshot(page, f"ai-chat-scroll-{width}")
        with live.app.app_context():
            conv = AIConversation.query.one()
            assert conv.context["rejected_articles"]
    finally:
        context.close()
