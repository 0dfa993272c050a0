"""The usage log (one row per model call or cache hit) and the response cache."""

from __future__ import annotations

import hashlib
import json
import logging

from portal.extensions import cache, db
from portal.models import AIUsage

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
    row = AIUsage(
        provider=provider,
        model=model[:100],
        purpose=purpose,
        latency_ms=int(latency_ms),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cache_hit=cache_hit,
        outcome=outcome,
        error_class=(error_class or None) and error_class[:100],
        ticket_id=ticket_id,
    )
    try:
        db.session.add(row)
        db.session.commit()
    except Exception:
        log.warning("could not record AI usage", exc_info=True)
        db.session.rollback()


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
