from __future__ import annotations

from datetime import UTC, datetime

# The largest id an SQL integer column holds: ids from URLs or JSON beyond it find nothing
# (the database would raise instead).
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every timestamp is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
