"""Who else has a ticket open, and who is typing a reply: short-lived heartbeats in the cache.

Each open staff ticket page sends a heartbeat with its live poll (portal/live): the viewer,
and whether they are typing a reply or a note. Entries expire on their own a few poll
intervals later, so a closed tab disappears even when its "leaving" beacon never arrives.
Flask-Caching keeps them: SimpleCache on the embedded default (one process, `flask run`),
Redis when several web workers must share them. Presence is a hint, never data: a cache
outage shows nobody and fails nothing.

One cache entry per ticket holds {user id: [name, typing, expires at]}. Two heartbeats landing
at the same instant may overwrite each other's update; the older entry is still unexpired
then, and every heartbeat rewrites its own, so nothing flickers for longer than one poll.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from portal.extensions import cache
from portal.models import User

log = logging.getLogger(__name__)

TYPING_KINDS = ("reply", "note")
# A hidden tab polls this many times less often; its entry lives as long.
HIDDEN_FACTOR = 6


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    typing: str | None  # "reply", "note" or None


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def ttl_for(interval: float, *, hidden: bool = False) -> float:
    """How long a heartbeat counts: three polls (at least 15 s), so one late poll is no gap."""
    base = max(3 * interval, 15.0)
    return base * HIDDEN_FACTOR if hidden else base


def _load(ticket_id: int) -> dict:
    try:
        entries = cache.get(_key(ticket_id))
    except Exception:
        log.warning("presence read failed", exc_info=True)
        return {}
    return entries if isinstance(entries, dict) else {}


def _store(ticket_id: int, entries: dict, now: float) -> None:
    live = {k: v for k, v in entries.items() if v[2] > now}
    timeout = int(max((v[2] for v in live.values()), default=now) - now) + 1
    try:
        if live:
            cache.set(_key(ticket_id), live, timeout=timeout)
        else:
            cache.delete(_key(ticket_id))
    except Exception:
        log.warning("presence write failed", exc_info=True)


def heartbeat(
    ticket_id: int,
    user: User,
    *,
    typing: str | None = None,
    interval: float = 5.0,
    hidden: bool = False,
    now: float | None = None,
) -> None:
    """The user has the ticket open (and is typing a reply or a note)."""
    now = time.time() if now is None else now
    typing = typing if typing in TYPING_KINDS else None
    entries = _load(ticket_id)
    entries[str(user.id)] = [user.name, typing, now + ttl_for(interval, hidden=hidden)]
    _store(ticket_id, entries, now)


def leave(ticket_id: int, user: User, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    entries = _load(ticket_id)
    if entries.pop(str(user.id), None) is not None:
        _store(ticket_id, entries, now)


def others(ticket_id: int, user: User, *, now: float | None = None) -> list[Presence]:
    """Everyone else with the ticket open now, typists first, then by name."""
    now = time.time() if now is None else now
    people = [
        Presence(int(uid), name, typing)
        for uid, (name, typing, expires) in _load(ticket_id).items()
        if expires > now and uid != str(user.id)
    ]
    return sorted(people, key=lambda p: (p.typing is None, p.name.lower(), p.user_id))


def describe(people: list[Presence]) -> list[str]:
    """One sentence per person: "Sam is typing a reply…", "Lee is viewing"."""
    lines = []
    for p in people:
        if p.typing == "reply":
            lines.append(f"{p.name} is typing a reply…")
        elif p.typing == "note":
            lines.append(f"{p.name} is writing an internal note…")
        else:
            lines.append(f"{p.name} is viewing")
    return lines


def token(people: list[Presence]) -> str:
    """Changes when the set of people or what they do changes (not on every heartbeat)."""
    parts = repr([(p.user_id, p.name, p.typing) for p in people])
    return hashlib.blake2b(parts.encode(), digest_size=6).hexdigest()[:12]
