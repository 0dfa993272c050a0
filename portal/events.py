"""Domain events: their names, and dispatch to the listeners an app registered.

Services dispatch an event after their commit; what follows it (tasks, notifications,
auto-assignment) is decided by the one table in ``portal.listeners``, which ``create_app``
stores on the app. Each app has its own table, so building an app twice registers nothing
twice, and a service never needs to know who listens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

TICKET_CREATED = "ticket_created"
TICKET_UPDATED = "ticket_updated"
TICKET_TRIAGED = "ticket_triaged"  # after AI triage of a new ticket, also when it was off or failed
TICKET_DELETED = "ticket_deleted"
TICKET_MERGED = "ticket_merged"  # a ticket was merged into another (source_id, target_id)
REPLY_ADDED = "reply_added"
REPLY_EDITED = "reply_edited"
REPLY_DELETED = "reply_deleted"
NOTIFICATION_CREATED = "notification_created"  # an in-app notice whose email is pending

ALL = (
    TICKET_CREATED,
    TICKET_UPDATED,
    TICKET_TRIAGED,
    TICKET_DELETED,
    TICKET_MERGED,
    REPLY_ADDED,
    REPLY_EDITED,
    REPLY_DELETED,
    NOTIFICATION_CREATED,
)

Listener = Callable[..., Any]
EXTENSION_KEY = "portal.listeners"

_suppressed: ContextVar[bool] = ContextVar("events_suppressed", default=False)


def register(app: Flask, table: Mapping[str, Sequence[Listener]]) -> None:
    """Give the app its listener table (create_app calls this once per app)."""
    unknown = set(table) - set(ALL)
    if unknown:
        raise ValueError(f"listeners for unknown events: {sorted(unknown)}")
    app.extensions[EXTENSION_KEY] = {event: tuple(table.get(event, ())) for event in ALL}


def listeners(event: str) -> tuple[Listener, ...]:
    return current_app.extensions.get(EXTENSION_KEY, {}).get(event, ())


def dispatch(event: str, **payload: Any) -> None:
    """Run the event's listeners in their order. Raises whatever a listener raises: the
    caller (a service, after its commit) decides what a failed follow-up costs."""
    if event not in ALL:
        raise ValueError(f"unknown event {event!r}")
    if _suppressed.get():
        return
    for listener in listeners(event):
        listener(**payload)


@contextmanager
def suppressed() -> Iterator[None]:
    """Bulk imports (demo data) skip the follow-up work of their events."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)
