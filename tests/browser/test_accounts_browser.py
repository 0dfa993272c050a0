"""In Chromium: an admin invites someone, who sets a password from the link and logs in;
someone who forgot their password resets it from the mailed link, and other browsers signed
in to the account are logged out; the settings page explains the AI switches."""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.notifications.conftest import Inbox, free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def mailbox(live):
    """A real SMTP server the live app sends to, for this test only."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    saved = {k: live.app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME")}
    live.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_USERNAME=None)
    try:
        yield inbox
    finally:
        live.app.config.update(saved)
        controller.stop()


def test_admin_invites_and_the_person_sets_a_password_and_logs_in(live, new_page, login):
    admin = live.add_user("admin", name="Ada Admin")
    page = login(new_page(), admin)
    page.goto("/admin/users")
    page.get_by_role("link", name="Add a user").click()
    expect(page.locator("main h1")).to_have_text("Add a user")
    page.fill("#name", "Grace Hopper")
    page.fill("#email", "grace@example.test")
    page.select_option("#role", "staff")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator("main h1")).to_have_text("Invitation for Grace Hopper")
    expect(page.locator("#invite-link")).to_contain_text("Mail is not configured")
    link = page.locator("#invite-link-url").input_value()
    assert "/auth/password/invite/" in link

    page.goto("/admin/users")
    expect(page.locator("tr", has_text="grace@example.test")).to_contain_text("Invited")

    grace = new_page()
    grace.goto(link)
    expect(grace.locator("main")).to_contain_text("Welcome, Grace Hopper")
    grace.fill("#password", "graces-own-pw")
    grace.fill("#confirm", "graces-own-pw")
    grace.get_by_role("button", name="Set password").click()
    expect(grace.locator(".flash-success")).to_contain_text("Your password is set")
    expect(grace.locator("main h1")).to_have_text("Log in")
    grace.fill("#email", "grace@example.test")
    grace.fill("#password", "graces-own-pw")
    grace.click("main form button.primary")
    expect(grace.locator(".topbar .who")).to_contain_text("Grace Hopper")
    # Staff, as the admin chose.
    expect(grace.locator(".topbar")).to_contain_text("Queue")
    # The link worked once (fetched, not opened: the browser logs every 4xx page as an error).
    used = grace.request.get(link)
    assert used.status == 400 and "This link does not work" in used.text()


def _reset_path(envelope) -> str:
    body = message_from_bytes(envelope.content).get_payload(decode=True).decode()
    match = re.search(r"https?://[^/\s]+(/auth/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def test_forgotten_password_reset_by_mail_logs_out_other_browsers(live, new_page, login, mailbox):
    person = live.add_user("user", name="Uma User")
    elsewhere = login(new_page(), person)  # e.g. a shared computer left signed in

    page = new_page()
    page.goto("/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.locator("main h1")).to_have_text("Reset your password")
    page.fill("#email", person.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#reset-sent")).to_contain_text("If an account exists for")
    assert mailbox.received.wait(5)
    path = _reset_path(mailbox.messages[0])

    page.goto(path)
    page.fill("#password", "short")
    page.fill("#confirm", "short")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("main")).to_contain_text("Use 8 to 200 characters.")
    page.fill("#password", "a-brand-new-pw")
    page.fill("#confirm", "a-brand-new-pw")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".flash-success")).to_contain_text("Your password is set")
    expect(page.locator("main h1")).to_have_text("Log in")
    page.fill("#email", person.email)
    page.fill("#password", "a-brand-new-pw")
    page.click("main form button.primary")
    expect(page.locator(".topbar .who")).to_contain_text("Uma User")

    elsewhere.goto("/tickets/")
    expect(elsewhere.locator("main h1")).to_have_text("Log in")


def test_password_change_from_the_header(live, new_page, login):
    person = live.add_user("user", name="Lee User")
    page = login(new_page(), person)
    page.locator(".topbar .who").click()
    expect(page.locator("main h1")).to_have_text("Change your password")
    page.fill("#current", PASSWORD)
    page.fill("#password", "another-long-pw")
    page.fill("#confirm", "another-long-pw")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flash-success")).to_contain_text("Password changed")
    page.goto("/tickets/")
    expect(page.locator(".topbar .who")).to_contain_text("Lee User")


def test_settings_page_explains_the_first_answer_switches(live, new_page, login):
    admin = live.add_user("admin", name="Ada Admin")
    page = login(new_page(), admin)
    page.goto("/admin/settings")
    first = page.locator("#behaviour-first-answer")
    expect(first).to_contain_text("Automatic first answers are ON")
    page.uncheck("#AI_RESPONSE_ENABLED")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-success")).to_contain_text("Settings saved")
    expect(first).to_contain_text(
        "Automatic first answers are OFF because 'AI responses enabled' is off."
    )
    first.get_by_role("link", name="AI responses enabled").click()
    expect(page.locator("#AI_RESPONSE_ENABLED")).to_be_in_viewport()
