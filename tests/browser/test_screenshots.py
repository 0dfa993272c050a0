"""A full-page screenshot of every main page at 1280×800 and 390×844, under
test-artifacts/pages/ (git-ignored), for a person to look at; and what a person would notice
at once: the page's main heading is there, nothing scrolls sideways on a phone, and the AI
dashboard's chart labels are readable (at least 12 px on screen) with a data table by each chart.

The console and asset checks of tests/browser/conftest.py apply to every page visited here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import DESKTOP, PHONE, ROOT
from tests.browser.test_accessibility import (
    _log_in,
    _pages,
    _seed,
    _settle,
    blocking_violations,
)

pytestmark = pytest.mark.browser

PAGES_DIR = ROOT / "test-artifacts" / "pages"
MIN_CHART_TEXT_PX = 12

# Pages of this work beside the main ones: (name, path, who); None = signed out.
EXTRA = [
    ("admin-user-new", "/admin/users/new", "admin@demo.test"),
    ("password-change", "/auth/password", "uma@demo.test"),
    ("login", "/auth/login", None),
    ("password-reset", "/auth/reset", None),
]

EXTRA_NAMES = {name for name, _path, _who in EXTRA}


def _chart_text_sizes(page: Page) -> list[float]:
    """On-screen size (px) of every axis label of every chart on the page."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.ai-chart svg[role=img]')].flatMap(svg => {
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
             return [...svg.querySelectorAll('text')].map(
               t => parseFloat(getComputedStyle(t).fontSize) * scale);
           })"""
    )


def _shoot(page: Page, name: str, width: int) -> list[str]:
    """Save the screenshot; return what looks wrong."""
    PAGES_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PAGES_DIR / f"{name}-{width}.png"), full_page=True)
    problems = []
    heading = page.locator("main h1").first
    if not heading.count() or not heading.is_visible() or not heading.inner_text().strip():
        problems.append("no visible main heading")
    if width == PHONE["width"]:
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > PHONE["width"]:
            problems.append(f"scrolls sideways: scrollWidth {scroll}px")
    if name == "admin-ai":
        sizes = _chart_text_sizes(page)
        if not sizes:
            problems.append("no chart text found")
        small = [round(s, 1) for s in sizes if s < MIN_CHART_TEXT_PX - 0.05]
        if small:
            problems.append(f"chart labels under {MIN_CHART_TEXT_PX}px: {small[:6]}")
        charts = page.locator(".ai-chart svg[role=img]").count()
        tables = page.locator(".ai-chart .chart-data table").count()
        if charts != tables:
            problems.append(f"{charts} charts but {tables} data tables")
        if charts and not page.locator(".ai-chart .chart-data table").first.is_visible():
            problems.append("the data tables are hidden")
    return problems


def test_every_main_page_at_desktop_and_phone_width(live, new_page):
    seeded = _seed(live.app)
    problems: dict[str, list[str]] = {}
    by_person = _pages(seeded)
    for name, path, who in EXTRA:
        by_person.setdefault(who, []).append((name, path))
    for who, pages in by_person.items():
        for viewport in (DESKTOP, PHONE):
            page = new_page(viewport=viewport)
            if who is not None:
                _log_in(page, who)
            for name, path in pages:
                page.goto(path)
                _settle(page)
                found = _shoot(page, name, viewport["width"])
                if name in EXTRA_NAMES:  # the main pages' axe check is test_accessibility's
                    found += blocking_violations(page)
                if found:
                    problems[f"{name}-{viewport['width']} ({path})"] = found
            page.context.close()
    report = "\n".join(f"{k}: {'; '.join(v)}" for k, v in problems.items())
    assert not problems, f"pages that look wrong:\n{report}"
    assert len(list(PAGES_DIR.glob("*.png"))) >= 2 * (11 + len(EXTRA))
