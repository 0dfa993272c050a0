"""The usage log (one row per model call or cache hit) and the response cache.

The usage log is the only thing the AI writes, and it writes it through a connection of its
own: a call's log row never commits, flushes or rolls back the caller's session.
"""

from __future__ import annotations

import hashlib
import json
import logging

import sqlalchemy as sa

from portal.extensions import cache, db
from portal.models import AIUsage
from portal.models.base import utcnow

log = logging.getLogger(__name__)
CACHE_PREFIX = "ai:v1:"
CACHE_TIMEOUT = 24 * 3600


def record(
    *,
    provider: str,
    model: str,
    purpose: str,
    latency_ms: float = 0,
    tokens_in: int = 0,
    tokens_out: int = 0,
    cache_hit: bool = False,
    outcome: str = "ok",
    error_class: str | None = None,
    ticket_id: int | None = None,
) -> None:
    """Write one usage row in its own short transaction; logging must never break a call."""
    row = {
        "provider": provider,
        "model": model[:100],
        "purpose": purpose,
        "latency_ms": int(latency_ms),
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "cache_hit": cache_hit,
        "outcome": outcome,
        "error_class": (error_class or None) and error_class[:100],
        "ticket_id": ticket_id,
        "created_at": utcnow(),
    }
    try:
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # The row's ticket foreign key waits on a caller holding that ticket FOR UPDATE:
                # give up on the log row rather than hang the request.
                connection.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
            connection.execute(sa.insert(AIUsage), row)
    except Exception:
        log.warning("could not record AI usage", exc_info=True)


def cache_key(**parts) -> str:
    raw = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return CACHE_PREFIX + hashlib.sha256(raw.encode()).hexdigest()


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # a cache outage costs an API call, nothing more
        log.warning("AI cache read failed", exc_info=True)
        return None


def cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, timeout=CACHE_TIMEOUT)
    except Exception:
        log.warning("AI cache write failed", exc_info=True)
