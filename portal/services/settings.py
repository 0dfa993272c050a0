"""Admin settings: stored in the database, read through one memoised getter.

Every setting of the spec's Configuration section, plus the AI model name, temperature and
max tokens. Secrets (the Gemini API key) are never settings: they come from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.extensions import cache, db
from portal.models import Setting

DEFAULT_AI_MODEL = "gemini-3.5-flash-lite"


@dataclass(frozen=True)
class SettingSpec:
    key: str
    group: str
    label: str
    kind: type
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None


SPECS: list[SettingSpec] = [
    SettingSpec("TICKET_AUTO_ASSIGN", "ticket", "Auto-assign new tickets", bool, True,
                "Assign to the least-loaded staff member who handles the category."),
    SettingSpec("TICKET_AI_RESPONSE", "ticket", "AI first answer on new tickets", bool, True),
    SettingSpec("TICKET_CATEGORIZATION", "ticket", "Categorise new tickets automatically", bool, True),
    SettingSpec("TICKET_PRIORITY_DETECTION", "ticket", "Detect priority automatically", bool, True),
    SettingSpec("AI_RESPONSE_ENABLED", "ai", "AI responses enabled", bool, True),
    SettingSpec("AI_CATEGORIZATION_ENABLED", "ai", "AI categorisation enabled", bool, True),
    SettingSpec("AI_CONFIDENCE_THRESHOLD", "ai", "Confidence threshold", float, 0.7,
                "At or above it the AI acts on its own; below it, it only suggests.", 0.0, 1.0),
    SettingSpec("AI_LEARNING_ENABLED", "ai", "Learn from staff corrections", bool, True),
    SettingSpec("RESPONSE_AUTO_GENERATE", "response", "Generate answers automatically", bool, True),
    SettingSpec("RESPONSE_AI_ASSISTANCE", "response", "AI suggestions for staff", bool, True),
    SettingSpec("RESPONSE_LEARNING", "response", "Learn from staff edits to suggestions", bool, True),
    SettingSpec("RESPONSE_FEEDBACK", "response", "Collect feedback on AI answers", bool, True),
    SettingSpec("AI_MODEL", "model", "Gemini model", str, DEFAULT_AI_MODEL,
                "Model name as Google publishes it, e.g. gemini-3.5-flash-lite or gemini-flash-latest."),
    SettingSpec("AI_TEMPERATURE", "model", "Temperature", float, 0.7, "", 0.0, 2.0),
    SettingSpec("AI_MAX_TOKENS", "model", "Max output tokens", int, 1000, "", 1, 8192),
]  # fmt: skip

SPEC_BY_KEY = {s.key: s for s in SPECS}
GROUPS = [
    ("ticket", "Ticket settings"),
    ("ai", "AI settings"),
    ("response", "Response settings"),
    ("model", "AI model"),
]


class SettingError(ValueError):
    pass


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SPECS}


@cache.memoize(timeout=15)
def _load_all() -> dict[str, Any]:
    rows = db.session.execute(sa.select(Setting.key, Setting.value)).all()
    values = defaults()
    values.update({k: v for k, v in rows if k in SPEC_BY_KEY})
    return values


def all_settings() -> dict[str, Any]:
    try:
        return dict(_load_all())
    except Exception:  # a cache outage must not take the settings down with it
        rows = db.session.execute(sa.select(Setting.key, Setting.value)).all()
        values = defaults()
        values.update({k: v for k, v in rows if k in SPEC_BY_KEY})
        return values


def get_setting(key: str) -> Any:
    if key not in SPEC_BY_KEY:
        raise KeyError(key)
    return all_settings()[key]


def coerce(spec: SettingSpec, value: Any) -> Any:
    if spec.kind is bool:
        if isinstance(value, bool):
            return value
        raise SettingError(f"{spec.label}: must be on or off.")
    if spec.kind is str:
        text = str(value).replace("\x00", "").strip()
        if not text or len(text) > 100:
            raise SettingError(f"{spec.label}: 1 to 100 characters.")
        return text
    try:
        number = spec.kind(value)
    except (TypeError, ValueError):
        raise SettingError(f"{spec.label}: must be a number.") from None
    if spec.minimum is not None and number < spec.minimum:
        raise SettingError(f"{spec.label}: at least {spec.minimum:g}.")
    if spec.maximum is not None and number > spec.maximum:
        raise SettingError(f"{spec.label}: at most {spec.maximum:g}.")
    return number


def update_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and store; returns the settings that changed as {key: (old, new)}."""
    current = all_settings()
    cleaned = {}
    for key, value in values.items():
        spec = SPEC_BY_KEY.get(key)
        if spec is None:
            raise SettingError(f"Unknown setting {key}.")
        cleaned[key] = coerce(spec, value)
    changed = {k: (current[k], v) for k, v in cleaned.items() if current[k] != v}
    for key, (_, new) in changed.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=new))
        else:
            row.value = new
    db.session.commit()
    clear_settings()
    return changed


def clear_settings() -> None:
    from portal.services.cache import clear_settings_cache

    clear_settings_cache()
