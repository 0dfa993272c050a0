"""Small text helpers the use cases share."""

from __future__ import annotations

import re


def excerpt(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def sentences(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if p.strip()]


def clean_input(text: str | None, limit: int = 4000) -> str:
    """What a person typed, without NUL characters (PostgreSQL refuses them), trimmed."""
    return (text or "").replace("\x00", "").strip()[:limit]
