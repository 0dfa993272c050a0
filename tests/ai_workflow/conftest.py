"""Any unhandled error (a 500 page) in these tests fails the test."""

import logging

import pytest


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _no_unhandled_errors():
    collector = _Collect()
    logger = logging.getLogger("portal.errors")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    assert not collector.records, collector.records[0].getMessage()


# The browser suite's live server and Chromium, shared (see tests/browser/conftest.py).
from tests.browser.conftest import (  # noqa: E402,F401
    browser,
    live,
    live_server,
    login,
    new_page,
    screenshot,
)
