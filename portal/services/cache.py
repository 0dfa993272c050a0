"""All cache invalidation lives here, so no caller has to know a cache key.

Services memoise their data functions with ``memoised(name)``; the ``clear_*`` functions
below are the only code that drops them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from portal.extensions import cache

log = logging.getLogger(__name__)

SETTINGS = "settings"
QUEUE_COUNTS = "queue_counts"
VIEW_COUNTS = "view_counts"  # the queue's built-in views, per viewer
SURGES = "surges"
SAVED_VIEW_COUNTS = "saved_view_counts"  # each staff member's saved queue views

_memoised: dict[str, Any] = {}


def memoised(name: str, *, timeout: int) -> Callable:
    """cache.memoize, remembered under `name` so that this module can clear it."""

    def wrap(fn: Callable) -> Callable:
        wrapped = cache.memoize(timeout=timeout)(fn)
        _memoised[name] = wrapped
        return wrapped

    return wrap


def _clear(name: str) -> None:
    fn = _memoised.get(name)
    if fn is None:
        return
    try:
        cache.delete_memoized(fn)
    except Exception:  # a cache outage must never fail the write that triggered it
        log.warning("cache invalidation failed", exc_info=True)


def clear_settings_cache() -> None:
    _clear(SETTINGS)


def clear_queue_counts() -> None:
    _clear(QUEUE_COUNTS)
    _clear(VIEW_COUNTS)
    _clear(SAVED_VIEW_COUNTS)


def clear_saved_view_counts() -> None:
    _clear(SAVED_VIEW_COUNTS)


def clear_surges() -> None:
    _clear(SURGES)
