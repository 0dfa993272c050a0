"""The causes of the console errors seen in the field, each driven in Chromium.

The shared ``new_page`` fixture already fails a test on any console error; these tests recreate
the conditions that produced them, and also count CSP violations on the page itself.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal import events
from tests.browser.test_accessibility import blocking_violations
from tests.factories import make_ticket

pytestmark = pytest.mark.browser

COUNT_CSP_VIOLATIONS = """() => {
  window.__csp = [];
  document.addEventListener("securitypolicyviolation",
    (e) => window.__csp.push(e.violatedDirective + " " + (e.target && e.target.id)));
}"""


def _csp_violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__csp")


def test_swaps_do_not_copy_inline_styles_the_browser_added(live, new_page, login):
    """A textarea resized by its handle, a password manager's icon, Playwright hiding the caret
    for a screenshot: each writes an inline style through the CSSOM, which the CSP allows.
    htmx's default settle copied the old element's `style` attribute onto the element swapped
    in with the same id (setAttribute, which the CSP blocks): one error per such element per
    swap. The portal's htmx config settles only class, width and height."""
    staff = live.add_user("staff", name="Sam Staff")
    requester = live.add_user("user")
    with live.app.app_context(), events.suppressed():
        from portal.extensions import db
        from portal.models import User

        ticket_id = make_ticket(db.session.get(User, requester.id), title="Printer jam").id
    page = login(new_page(), staff)
    page.goto(f"/staff/tickets/{ticket_id}/")
    page.evaluate(COUNT_CSP_VIOLATIONS)
    page.evaluate(
        """() => {
          document.querySelector("#content").style.height = "240px";  // the resize handle
          document.querySelectorAll("input, select").forEach((e) => { e.style.caretColor = "transparent"; e.style.caretColor = ""; });
        }"""
    )
    for text in ("First answer", "Second answer"):
        page.fill("#content", text)
        page.click("#reply button.primary")
        expect(page.locator(".response-staff").last).to_contain_text(text)
    page.select_option("#status", "in_progress")
    page.click("text=Save changes")
    expect(page.locator(".meta .badge-status-in_progress")).to_be_visible()
    assert _csp_violations(page) == []


def test_title_search_inside_the_ticket_form_logs_no_htmx_error(live, new_page, login):
    """The title's help-article search (hx-get on the input) inherited the form's
    hx-disabled-elt="find button", and "find button" under an <input> finds nothing: htmx
    logged an error on every keystroke. The form now disinherits it; its own submit still
    disables the button, and a 422 swaps the form back with the button enabled."""
    user = live.add_user("user")
    page = login(new_page(), user)
    page.goto("/tickets/new")
    page.evaluate(COUNT_CSP_VIOLATIONS)
    with page.expect_response(re.compile(r"/kb/suggest")):
        page.locator("#title").press_sequentially("Cannot log in", delay=20)
    expect(page.locator("#title")).to_be_enabled()
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#ticket-form button.primary")  # no description: 422, the form with errors
    assert posted.value.status == 422
    expect(page.locator("#description-error")).to_be_visible()
    expect(page.locator("#ticket-form button.primary")).to_be_enabled()
    assert blocking_violations(page) == []  # the form with its errors is accessible too
    page.fill("#description", "The login page says my password is wrong.")
    page.click("#ticket-form button.primary")
    expect(page).to_have_url(re.compile(r"/tickets/\d+/$"))
