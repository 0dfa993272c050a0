from __future__ import annotations

from datetime import UTC, datetime

# The largest id an SQL integer column holds: ids from URLs or JSON beyond it find nothing
# (the database would raise instead).
MAX_ID = 2**31 - 1


def parse_id(value: object) -> int | None:
    """An id typed or sent by someone (`"123"`), or None when it cannot name a row.

    ASCII digits only (`"²".isdigit()` is true, and int() refuses it), at most 10 of them
    before int() (which refuses more than 4,300 digits), and within MAX_ID.
    """
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every timestamp is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
