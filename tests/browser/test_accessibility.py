"""Every main page in Chromium, at desktop and phone widths: axe-core finds no serious or
critical violation, the page does not scroll sideways, and a screenshot of each is saved under
test-artifacts/screenshots/ (<page>-1280.png, <page>-390.png) for a person to look at.

The console and asset checks of tests/browser/conftest.py apply to every page visited here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal import events
from portal.extensions import db
from portal.models import Ticket, User
from portal.services import chat as chat_service
from portal.services.demo import seed_demo_data
from tests.browser.conftest import DESKTOP, PHONE
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")
_axe = Axe()


@dataclass(frozen=True)
class Seeded:
    user_ticket: int  # one of uma's tickets with a staff reply
    staff_ticket: int  # an open ticket with a conversation
    conversation: str  # uma's chat with the assistant
    article: int


def _seed(app) -> Seeded:
    """The demo data (accounts, help articles, 40 varied tickets), a chat and some AI usage."""
    from portal.ai import usage
    from portal.models import Article, TicketResponse

    with app.app_context():
        seed_demo_data(tickets=40, if_empty=False, seed=8)
        uma = db.session.scalar(sa.select(User).where(User.email == "uma@demo.test"))
        replied = (
            sa.select(Ticket.id)
            .join(TicketResponse, TicketResponse.ticket_id == Ticket.id)
            .where(TicketResponse.response_type == "staff", ~TicketResponse.is_internal)
        )
        user_ticket = db.session.scalar(replied.where(Ticket.user_id == uma.id).limit(1))
        staff_ticket = db.session.scalar(
            replied.where(Ticket.status.in_(["open", "in_progress"])).limit(1)
        )
        with events.suppressed():
            conv = chat_service.start_conversation(uma)
            chat_service.send_message(conv, "My eduroam wifi keeps dropping")
        for i in range(12):
            usage.record(
                provider="local" if i % 3 else "gemini",
                model="gemini-2.5-flash" if i % 3 == 0 else "tfidf",
                purpose="triage",
                latency_ms=50 + 40 * i,
                tokens_in=0 if i % 3 else 1200,
                tokens_out=0 if i % 3 else 300,
                cache_hit=i % 4 == 0,
            )
        article = db.session.scalar(sa.select(Article.id).limit(1))
        return Seeded(user_ticket, staff_ticket, conv.conversation_id, article)


def _pages(seeded: Seeded) -> dict[str, list[tuple[str, str]]]:
    """(screenshot name, path) for each main page, by the demo account that sees it."""
    return {
        "uma@demo.test": [
            ("user-tickets", "/tickets/"),
            ("user-new-ticket", "/tickets/new"),
            ("user-ticket", f"/tickets/{seeded.user_ticket}/"),
            ("user-chat", f"/tickets/ai/conversations/{seeded.conversation}/"),
            ("help-articles", "/kb/"),
            ("help-article", f"/kb/{seeded.article}/"),
        ],
        "sam@demo.test": [
            ("staff-queue", "/staff/"),
            ("staff-ticket", f"/staff/tickets/{seeded.staff_ticket}/"),
        ],
        "admin@demo.test": [
            ("admin-settings", "/admin/settings"),
            ("admin-users", "/admin/users"),
            ("admin-categories", "/admin/categories"),
            ("admin-ai", "/admin/ai"),
            ("admin-sla", "/admin/sla"),
        ],
    }


def _log_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD if not email.endswith("@demo.test") else "demo-password")
    page.click("main form button.primary")
    expect(page.locator(".topbar .who")).to_be_visible()


def _settle(page: Page) -> None:
    """Lazy htmx panels (the staff AI panel loads when revealed) in, and no request running."""
    panel = page.locator(".ai-panel[hx-trigger=revealed]")
    if panel.count():
        panel.first.scroll_into_view_if_needed()
        expect(panel.first).not_to_contain_text("Loading AI suggestion")
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.evaluate("() => window.scrollTo(0, 0)")


def blocking_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}): "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:4])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def test_main_pages_accessible_at_desktop_and_phone_widths(live, new_page, screenshot):
    seeded = _seed(live.app)
    problems: dict[str, list[str]] = {}
    for email, pages in _pages(seeded).items():
        for viewport in (DESKTOP, PHONE):
            page = new_page(viewport=viewport)
            _log_in(page, email)
            for name, path in pages:
                page.goto(path)
                _settle(page)
                shot = f"{name}-{viewport['width']}"
                screenshot(page, shot)
                found = blocking_violations(page)
                if page.locator("details.chart-data").count():  # the charts' data tables too
                    page.evaluate(
                        "() => document.querySelectorAll('details').forEach(d => d.open = true)"
                    )
                    found += [f"(tables open) {v}" for v in blocking_violations(page)]
                overflow = horizontal_overflow(page)
                if overflow > 0:
                    found.append(f"scrolls sideways by {overflow}px")
                if found:
                    problems[f"{shot} ({path})"] = found
            page.context.close()
    report = "\n".join(f"{k}:\n    " + "\n    ".join(v) for k, v in problems.items())
    assert not problems, f"accessibility problems:\n{report}"


def test_skip_link_and_visible_focus(live, new_page, login):
    staff = live.add_user("staff", name="Sam Staff")
    page = login(new_page(), staff)
    page.goto("/staff/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # A focused control draws a visible outline (keyboard focus).
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline


def _in_viewport(page: Page, locator, width: int) -> list[str]:
    """Each element that is not wholly inside [0, width] horizontally."""
    out = []
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
            out.append(f"{locator.nth(i).inner_text()!r} at {box}")
    return out


def test_queue_and_ticket_fit_a_phone(live, new_page):
    seeded = _seed(live.app)
    width = PHONE["width"]
    page = new_page(viewport=PHONE)
    _log_in(page, "sam@demo.test")
    nav = page.locator(".topbar").bounding_box()
    assert nav["height"] <= 80, f"the site navigation takes {nav['height']}px"

    page.goto("/staff/")
    _settle(page)
    rows = page.locator("#queue-results tbody tr")
    expect(rows.first).to_be_visible()
    for cell in ("status", "priority", "assignee"):
        cells = page.locator(f"#queue-results tbody td.col-{cell}")
        assert cells.count() == rows.count()
        assert not _in_viewport(page, cells, width), f"{cell}: {_in_viewport(page, cells, width)}"
    assert horizontal_overflow(page) == 0

    page.goto(f"/staff/tickets/{seeded.staff_ticket}/")
    _settle(page)
    for selector in (".meta .badge", "#status", "#priority", "#assignee", "#reply textarea"):
        found = page.locator(f"main {selector}")
        assert found.count(), selector
        assert not _in_viewport(page, found, width), (
            f"{selector}: {_in_viewport(page, found, width)}"
        )
    assert horizontal_overflow(page) == 0

    user_page = new_page(viewport=PHONE)
    _log_in(user_page, "uma@demo.test")
    user_page.goto("/tickets/")
    for cell in ("status", "priority"):
        cells = user_page.locator(f"#my-tickets tbody td.col-{cell}")
        assert cells.count()
        assert not _in_viewport(user_page, cells, width)
    assert horizontal_overflow(user_page) == 0
