"""Admin settings: stored in the database, read through one memoised getter.

Every setting of the spec's Configuration section, plus the AI model name, temperature and
max tokens, and the per-category AI thresholds. One memoised read serves them all and
services/cache.py is the one place that clears it. Secrets (the Gemini API key) are never
settings: they come from the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from portal.ai.options import AIOptions, ModelSettings, Thresholds
from portal.extensions import db
from portal.models import CATEGORIES, AIThreshold, Setting
from portal.services import calendar_rules
from portal.services.cache import SETTINGS, clear_settings_cache, memoised

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
    # Strings only: a check that returns the cleaned value or raises ValueError (its message
    # is shown beside the field); blank allowed; a textarea of many lines, up to max_length.
    validate: Callable[[str], Any] | None = None
    optional: bool = False
    multiline: bool = False
    max_length: int = 100


# --- SLA settings' checks (the calendar's own parsers; the stored value is the text) ---------
def _text_check(parse: Callable[[str], Any]) -> Callable[[str], str]:
    def check(text: str) -> str:
        parse(text)
        return text

    return check


def _country_check(text: str) -> str:
    return calendar_rules.parse_holiday_region(text)[0]


def _escalate_check(text: str) -> str:
    value = text.strip()
    if value.lower() == "admins" or value == "":
        return value.lower()
    if "@" not in value or len(value) > 254:
        raise ValueError('An e-mail address of a staff member, or "admins".')
    return value.lower()


def _closures_check(text: str) -> str:
    return "\n".join(d.isoformat() for d in calendar_rules.parse_closures(text))


SPECS: list[SettingSpec] = [
    SettingSpec("TICKET_AUTO_ASSIGN", "ticket", "Auto-assign new tickets", bool, True,
                "Assign to the least-loaded staff member who handles the category."),
    SettingSpec("TICKET_AI_RESPONSE", "ticket", "AI first answer on new tickets", bool, True,
                "Post an AI answer on a new ticket when a help article answers it confidently. "
                "One of the three switches automatic first answers need (see the summary above)."),
    SettingSpec("TICKET_CATEGORIZATION", "ticket", "Categorise new tickets automatically", bool, True,
                "The AI sets the category of a new ticket that has none, at or above the confidence "
                "threshold (below it staff see a suggestion). Needs 'AI categorisation enabled' too."),
    SettingSpec("TICKET_PRIORITY_DETECTION", "ticket", "Detect priority automatically", bool, True,
                "The AI sets a new ticket's priority at or above the confidence threshold; below it "
                "staff see a one-click suggestion."),
    SettingSpec("AI_RESPONSE_ENABLED", "ai", "AI responses enabled", bool, True,
                "The master switch for AI-written text. Off stops automatic first answers, the "
                "assistant chat for users, and reply drafts and rewrites in the staff AI panel."),
    SettingSpec("AI_CATEGORIZATION_ENABLED", "ai", "AI categorisation enabled", bool, True,
                "The master switch for AI categories: off stops automatic categorisation of new "
                "tickets and the API's /api/ai/categorize/."),
    SettingSpec("AI_CONFIDENCE_THRESHOLD", "ai", "Confidence threshold", float, 0.7,
                "At or above it the AI acts on its own; below it, it only suggests.", 0.0, 1.0),
    SettingSpec("AI_LEARNING_ENABLED", "ai", "Learn from staff corrections", bool, True,
                "When staff change a category or priority the AI set, keep it as a correction; "
                "the local model retrains after every 20."),
    SettingSpec("RESPONSE_AUTO_GENERATE", "response", "Generate answers automatically", bool, True,
                "The original specification's response switch for automatic first answers: "
                "they need it, 'AI first answer on new tickets' and 'AI responses enabled' all on."),
    SettingSpec("RESPONSE_AI_ASSISTANCE", "response", "AI suggestions for staff", bool, True,
                "The AI panel on staff ticket pages (suggested reply, rewrite, summary, one-click "
                "triage) and the API's /api/ai/generate-response/."),
    SettingSpec("RESPONSE_LEARNING", "response", "Learn from staff edits to suggestions", bool, True,
                "Measure how much staff change an AI draft before sending it; after 30 such "
                "outcomes the drafts' confidence is calibrated on them."),
    SettingSpec("RESPONSE_FEEDBACK", "response", "Collect feedback on AI answers", bool, True,
                "Helpful / not helpful buttons on AI suggestions for staff, and ratings through "
                "the API's /api/ai/feedback/."),
    SettingSpec("AI_MODEL", "model", "Gemini model", str, DEFAULT_AI_MODEL,
                "Model name as Google publishes it, e.g. gemini-3.5-flash-lite or gemini-flash-latest."),
    SettingSpec("AI_TEMPERATURE", "model", "Temperature", float, 0.7,
                "How varied Gemini's wording is, 0 to 2: 0 is the most predictable. The local "
                "model ignores it.", 0.0, 2.0),
    SettingSpec("AI_MAX_TOKENS", "model", "Max output tokens", int, 1000,
                "The longest answer Gemini may write, in tokens (a token is about three quarters "
                "of a word). The local model ignores it.", 1, 8192),
    SettingSpec("SURGE_WINDOW_MINUTES", "surge", "Surge window (minutes)", int, 60,
                "Similar active tickets created within this window are grouped on the queue.", 5, 1440),
    SettingSpec("SURGE_MIN_TICKETS", "surge", "Tickets that make a surge", int, 3,
                "The smallest group the queue shows.", 2, 100),
    SettingSpec("SURGE_SIMILARITY", "surge", "Similarity to group on", float, 0.35,
                "TF-IDF cosine of title and description, 0 to 1: higher groups only near-copies.",
                0.05, 0.95),
    # SLA: business calendar, clocks, warnings, escalation, auto-close (README: "SLA").
    SettingSpec("SLA_TIMEZONE", "sla", "Business time zone", str, "Europe/Berlin",
                "IANA name, e.g. Europe/Berlin, America/New_York or UTC.",
                validate=_text_check(calendar_rules.parse_timezone)),
    SettingSpec("SLA_WORK_DAYS", "sla", "Working days", str, "Mon-Fri",
                "Days or ranges, e.g. Mon-Fri or Mon,Tue,Thu.",
                validate=_text_check(calendar_rules.parse_work_days)),
    SettingSpec("SLA_WORK_HOURS", "sla", "Working hours", str, "09:00-17:00",
                "HH:MM-HH:MM on the local clock; 00:00-24:00 for the whole day.",
                validate=_text_check(calendar_rules.parse_work_hours)),
    SettingSpec("SLA_HOLIDAY_COUNTRY", "sla", "Public holidays of country", str, "DE",
                "ISO code such as DE, GB or US; blank for no public holidays.",
                validate=_country_check, optional=True),
    SettingSpec("SLA_HOLIDAY_SUBDIV", "sla", "Region (optional)", str, "",
                "State or region code within the country, e.g. BY for Bavaria.",
                validate=lambda text: text.strip().upper(), optional=True),
    SettingSpec("SLA_CLOSURE_DATES", "sla", "Closure dates", str, "",
                "Extra days without business hours, one YYYY-MM-DD a line.",
                validate=_closures_check, optional=True, multiline=True, max_length=20000),
    SettingSpec("SLA_AI_FIRST_ANSWER_COUNTS", "sla", "AI first answer counts as first response",
                bool, False, "Off: only a public reply by staff meets the first-response target."),
    SettingSpec("SLA_WARN_MINUTES", "sla", "Warn before a breach (business minutes)", int, 60,
                "The assignee is told once when this much business time is left.", 1, 10080),
    SettingSpec("SLA_ESCALATE_TO", "sla", "Escalate breaches to", str, "admins",
                'The e-mail of a staff member, or "admins" for every admin.',
                validate=_escalate_check),
    SettingSpec("AUTO_CLOSE_DAYS", "sla", "Close resolved tickets after (days)", int, 7,
                "Days without a new message; 0 never closes them.", 0, 365),
]  # fmt: skip

SPEC_BY_KEY = {s.key: s for s in SPECS}
GROUPS = [
    ("ticket", "Ticket settings"),
    ("ai", "AI settings"),
    ("response", "Response settings"),
    ("model", "AI model"),
    ("surge", "Surges and duplicates"),
    ("sla", "Service levels and business hours"),
]


class SettingError(ValueError):
    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key  # the setting the message is about, when there is one


def defaults() -> dict[str, Any]:
    return {s.key: s.default for s in SPECS}


def _read() -> dict[str, Any]:
    rows = db.session.execute(sa.select(Setting.key, Setting.value)).all()
    values = defaults()
    values.update({k: v for k, v in rows if k in SPEC_BY_KEY})
    overrides = db.session.execute(sa.select(AIThreshold.category, AIThreshold.threshold)).all()
    return {"values": values, "thresholds": {c: float(t) for c, t in overrides}}


# The name is part of the cache key: a new shape of snapshot needs a new name, or processes
# of two releases sharing a Redis cache would read each other's entries.
@memoised(SETTINGS, timeout=15)
def _load_snapshot_v2() -> dict[str, Any]:
    return _read()


def _snapshot() -> dict[str, Any]:
    try:
        snapshot = _load_snapshot_v2()
    except Exception:  # a cache outage must not take the settings down with it
        return _read()
    if not isinstance(snapshot, dict) or not {"values", "thresholds"} <= snapshot.keys():
        return _read()
    return snapshot


def all_settings() -> dict[str, Any]:
    return dict(_snapshot()["values"])


def threshold_overrides() -> dict[str, float]:
    """Per-category AI thresholds an admin set, {category: threshold}."""
    return dict(_snapshot()["thresholds"])


def _thresholds(snapshot: dict[str, Any]) -> Thresholds:
    return Thresholds(
        default=float(snapshot["values"]["AI_CONFIDENCE_THRESHOLD"]),
        per_category=dict(snapshot["thresholds"]),
    )


def _model_settings(snapshot: dict[str, Any]) -> ModelSettings:
    values = snapshot["values"]
    return ModelSettings(
        model=str(values["AI_MODEL"]),
        temperature=float(values["AI_TEMPERATURE"]),
        max_tokens=int(values["AI_MAX_TOKENS"]),
    )


def thresholds() -> Thresholds:
    return _thresholds(_snapshot())


def threshold_for(category: str | None = None) -> float:
    """AI_CONFIDENCE_THRESHOLD, or the per-category override when one is set."""
    return thresholds().for_category(category)


def model_settings() -> ModelSettings:
    return _model_settings(_snapshot())


def ai_options() -> AIOptions:
    """What every AI call needs from the settings, from one read of the snapshot."""
    snapshot = _snapshot()
    return AIOptions(thresholds=_thresholds(snapshot), model=_model_settings(snapshot))


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
        text = ("" if value is None else str(value)).replace("\x00", "").strip()
        if (not text and not spec.optional) or len(text) > spec.max_length:
            low = 0 if spec.optional else 1
            raise SettingError(f"{spec.label}: {low} to {spec.max_length} characters.", spec.key)
        if spec.validate is not None:
            try:
                return spec.validate(text)
            except ValueError as e:
                raise SettingError(str(e), spec.key) from None
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
    merged = current | cleaned
    try:
        calendar_rules.parse_holiday_region(
            merged["SLA_HOLIDAY_COUNTRY"], merged["SLA_HOLIDAY_SUBDIV"]
        )
    except ValueError as e:
        raise SettingError(str(e), "SLA_HOLIDAY_SUBDIV") from None
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


def set_thresholds(values: dict[str, float | None]) -> int:
    """Set per-category overrides ({category: value, or None to remove}); 0 <= value <= 1.

    Returns how many changed. Raises SettingError (nothing saved) on an unknown category or a
    value out of range.
    """
    # The database, not the memoised snapshot: another process may have changed a row since.
    current = {r.category: r.threshold for r in db.session.scalars(sa.select(AIThreshold))}
    changed = 0
    for category, value in values.items():
        if category not in CATEGORIES:
            raise SettingError(f"Unknown category {category!r}.")
        if value is not None:
            value = float(value)
            if not 0.0 <= value <= 1.0:
                raise SettingError("A threshold is between 0 and 1.")
        if current.get(category) == value:
            continue
        row = db.session.get(AIThreshold, category)
        if value is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(AIThreshold(category=category, threshold=value))
        else:
            row.threshold = value
        changed += 1
    db.session.commit()
    clear_settings()
    return changed


def set_threshold(category: str, value: float | None) -> None:
    """Set (or with None, remove) one per-category override."""
    set_thresholds({category: value})


def clear_settings() -> None:
    clear_settings_cache()
