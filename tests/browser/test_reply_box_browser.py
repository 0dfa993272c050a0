"""In Chromium: the staff reply box comes before the AI panel, "Insert" keeps what the agent
typed and puts the suggestion at the cursor, and "Send and resolve" is not offered for a note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Ticket
from portal.services import kb as kb_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _ticket(app) -> int:
    with app.app_context():
        update_settings(
            {"AI_CONFIDENCE_THRESHOLD": 1.0, "TICKET_AUTO_ASSIGN": False}  # a draft waits
        )
        writer = make_user("staff", name="Kim Writer")
        kb_service.create_article(
            writer,
            title="Resetting your password",
            body="If you forgot your password, choose 'Forgot password' on the login page. "
            "We email a password reset link; check your spam folder if the reset email is late.",
            category="technical",
        )
        requester = make_user("user", name="Uma User")
        ticket = ticket_service.create_ticket(
            requester,
            title="Password reset email",
            description="I forgot my password; the reset email never comes.",
        )
        return ticket.id


def test_insert_keeps_typed_text_and_inserts_at_the_cursor(live, new_page, login, screenshot):
    ticket_id = _ticket(live.app)
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")

    # The panel comes after the reply box in the DOM (reading and tab order).
    order = page.evaluate(
        """(id) => {
          const form = document.getElementById('reply');
          const panel = document.getElementById('ticket-' + id + '-ai');
          const thread = document.getElementById('ticket-' + id + '-replies');
          return {
            formBeforePanel: !!(form.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING),
            threadBeforeForm: !!(thread.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING),
          };
        }""",
        ticket_id,
    )
    assert order == {"formBeforePanel": True, "threadBeforeForm": True}

    suggestion = page.locator(f"#ticket-{ticket_id}-ai-text")
    expect(suggestion).to_contain_text("Resetting your password")
    draft = suggestion.text_content().strip()

    box = page.locator("#reply textarea[name=content]")
    box.click()
    page.keyboard.type("Hi Uma,")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Sam")
    # The cursor goes back to the end of the first line, by keyboard.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")
    page.locator("text=Insert into reply").click()

    value = box.input_value()
    assert value.startswith("Hi Uma,\n\n"), value
    assert value.endswith("\n\nSam"), value
    # The suggestion's body goes in at the cursor; its greeting would be a second one.
    greeting, body = draft.split("\n\n", 1)
    assert greeting.startswith("Hello") and greeting not in value
    assert body in value
    assert value.index("Hi Uma,") < value.index(body) < value.index("Sam")
    expect(page.locator("#toasts")).to_contain_text("your text was kept")
    suggestion_id = page.locator("#reply input[name=suggestion_id]").input_value()
    assert suggestion_id.isdigit()
    screenshot(page, "ai-insert-at-cursor")

    # Keyboard only: Insert into an empty box fills it.
    box.fill("")
    page.locator("text=Insert into reply").focus()
    page.keyboard.press("Enter")
    expect(box).to_have_value(draft)

    # "Send and resolve" is not offered for an internal note.
    resolve = page.locator("#reply button[name=resolve]")
    page.check("#reply input[name=internal]")
    expect(resolve).to_be_disabled()
    page.uncheck("#reply input[name=internal]")
    expect(resolve).to_be_enabled()
    resolve.click()
    expect(page.locator(".response-staff")).to_contain_text("Resetting your password")
    with live.app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "resolved"
    expect(page.locator("#toasts")).to_contain_text(re.compile("resolved"))
