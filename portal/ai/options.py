"""What callers hand the AI besides the text: thresholds and the Gemini model settings.

Plain values, read by the settings service from the database, so the AI reads no settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """AI_CONFIDENCE_THRESHOLD and its per-category overrides."""

    default: float = 0.7
    per_category: dict[str, float] = field(default_factory=dict)

    def for_category(self, category: str | None) -> float:
        if category and category in self.per_category:
            return float(self.per_category[category])
        return float(self.default)

    def for_priority(self) -> float:
        """Priority has its own gate: its own calibrated confidence against the global
        threshold, whatever the category's confidence (per-category overrides are about the
        category decision, not priority)."""
        return float(self.default)


@dataclass(frozen=True)
class ModelSettings:
    model: str = "gemini-3.5-flash-lite"
    temperature: float = 0.7
    max_tokens: int = 1000

    def as_dict(self) -> dict:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens}


@dataclass(frozen=True)
class AIOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    model: ModelSettings = field(default_factory=ModelSettings)
