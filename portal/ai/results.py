"""What the AI answers: plain results. Storing them is the services' job."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TriageResult:
    category: str
    priority: str
    category_confidence: float
    priority_confidence: float
    rationale: str
    provider: str  # "local" | "gemini"
    # Set by the service that stores the result as a suggestion.
    suggestion_id: int | None = None
    # Gemini only: the confidence it reported, and whether category_confidence is that figure
    # calibrated on staff outcomes (the local model's confidences are calibrated in training).
    raw_score: float | None = None
    calibrated: bool = True
    # Local only: the calibrated probability of each priority level.
    priority_probs: dict[str, float] = field(default_factory=dict)


@dataclass
class DraftResult:
    text: str
    confidence: float
    sources: list[dict] = field(default_factory=list)  # [{"kind": "kb"|"ticket", "id": n}]
    provider: str = "local"
    suggestion_id: int | None = None
    # The score behind `confidence` before calibration, and whether calibration was applied.
    raw_score: float | None = None
    calibrated: bool = False
    # True when the text was written only from knowledge-base articles and the ticket itself
    # (or is the generic "staff will follow up"): safe to show the requester. A draft that
    # relies on a resolved ticket quotes a staff reply written to another person: for staff.
    user_safe: bool = False
    # Said to staff beside the draft, e.g. that "regenerate" has no other source to quote.
    note: str | None = None


@dataclass
class ChatResult:
    reply: str
    provider: str
    # The help articles the reply offers, [{"kind": "kb", "id": n, "title": str}]: shown as
    # links, and never offered again once the user says they did not help.
    sources: list[dict] = field(default_factory=list)


@dataclass
class SummaryResult:
    text: str
    provider: str
