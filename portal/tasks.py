"""The task queue (huey) and the thin task functions that run off the request path.

Embedded default: a SQLite-backed huey under instance/. With REDIS_URL: a Redis-backed huey,
so workers can run on any number of machines. Tests use immediate mode.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey

from portal.config import INSTANCE

log = logging.getLogger(__name__)


def _make_huey():
    if os.environ.get("HUEY_IMMEDIATE", "").lower() in ("1", "true"):
        return MemoryHuey("portal", immediate=True)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("portal", url=redis_url)
    Path(INSTANCE).mkdir(parents=True, exist_ok=True)
    return SqliteHuey("portal", filename=str(Path(INSTANCE) / "tasks.db"))


huey = _make_huey()
_worker_app = None


@contextmanager
def app_context():
    """Reuse the caller's app (immediate mode, CLI); a worker process builds its own once."""
    global _worker_app
    if has_app_context():
        yield current_app
        return
    if _worker_app is None:
        from portal import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield _worker_app


def dispatch(event: str, **payload) -> None:
    """Services call this after a commit; it picks the tasks that follow the event."""
    if _suppressed:
        return
    handlers = _HANDLERS.get(event, ())
    for handler in handlers:
        handler(**payload)


_HANDLERS: dict[str, list] = {}


def on(event: str):
    """Register a handler; registering the same one again (every create_app) is a no-op."""

    def register(fn):
        handlers = _HANDLERS.setdefault(event, [])
        key = (fn.__module__, fn.__name__)
        if all((h.__module__, h.__name__) != key for h in handlers):
            handlers.append(fn)
        return fn

    return register


_suppressed = False


@contextmanager
def suppressed():
    """Bulk imports (demo data) skip follow-up tasks."""
    global _suppressed
    previous, _suppressed = _suppressed, True
    try:
        yield
    finally:
        _suppressed = previous
