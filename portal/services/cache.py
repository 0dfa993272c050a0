"""All cache invalidation lives here, so no caller has to know a cache key."""

from __future__ import annotations

import logging

from portal.extensions import cache

log = logging.getLogger(__name__)


def _safely(fn, *args) -> None:
    try:
        fn(*args)
    except Exception:  # a cache outage must never fail the write that triggered it
        log.warning("cache invalidation failed", exc_info=True)


def clear_settings_cache() -> None:
    from portal.services import settings

    _safely(cache.delete_memoized, settings._load_all)


def clear_queue_counts() -> None:
    from portal.services import queue

    _safely(cache.delete_memoized, queue.status_counts)
