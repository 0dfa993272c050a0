"""Fixtures: the browser suite's live server and Chromium, shared.

Any unhandled error (a 500 page) fails a test: see tests/conftest.py.
"""

# The browser suite's live server and Chromium, shared (see tests/browser/conftest.py).
from tests.browser.conftest import (  # noqa: F401
    browser,
    live,
    live_server,
    login,
    new_page,
    screenshot,
)
