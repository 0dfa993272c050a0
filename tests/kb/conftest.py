"""The browser fixtures (live server, Chromium) for tests/kb/test_kb_browser.py."""

from tests.browser.conftest import (  # noqa: F401
    browser,
    live,
    live_server,
    login,
    new_page,
    screenshot,
)
