"""Triage: a ticket's category and priority with calibrated confidences.

The cascade: the local model answers first. Only when its category confidence is below the
category's threshold and Gemini is configured is Gemini asked; any Gemini failure falls back
to the local answer.
"""

from __future__ import annotations

import time

from portal.ai import gateway, gemini_calibration, prompts, urgency, usage
from portal.ai.errors import AIUnavailable
from portal.ai.options import AIOptions
from portal.ai.providers import local
from portal.ai.providers.gemini import TriageOut
from portal.ai.results import TriageResult


def local_triage(title: str, description: str, *, ticket_id: int | None = None) -> TriageResult:
    model = gateway.local_model()
    started = time.perf_counter()
    try:
        pred = model.predict(local.ticket_text(title, description))
    except Exception as e:
        usage.record(
            provider="local",
            model=model.name,
            purpose="triage",
            outcome="error",
            error_class=type(e).__name__,
            ticket_id=ticket_id,
        )
        raise AIUnavailable("The local model failed.") from e
    usage.record(
        provider="local",
        model=model.name,
        purpose="triage",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket_id,
    )
    runner_up = sorted(pred.category_probs.items(), key=lambda kv: -kv[1])[1:2]
    alt = f"; next {runner_up[0][0]} {runner_up[0][1]:.0%}" if runner_up else ""
    found = urgency.cues(local.ticket_text(title, description))
    said = f" Priority cues: {', '.join(c.replace('_', ' ') for c in found)}." if found else ""
    return TriageResult(
        category=pred.category,
        priority=pred.priority,
        category_confidence=round(pred.category_confidence, 4),
        priority_confidence=round(pred.priority_confidence, 4),
        rationale=f"Closest to past {pred.category} tickets{alt}.{said}",
        provider="local",
        priority_probs=pred.priority_probs,
    )


def triage(
    title: str, description: str, *, options: AIOptions, ticket_id: int | None = None
) -> TriageResult:
    """Category and priority with calibrated confidences. Raises AIUnavailable."""
    result = local_triage(title, description, ticket_id=ticket_id)
    threshold = options.thresholds.for_category(result.category)
    if result.category_confidence >= threshold:
        return result
    reply = gateway.gemini_or_none(
        "triage",
        settings=options.model,
        system=prompts.TRIAGE_SYSTEM,
        contents=prompts.triage_contents(title, description),
        schema=TriageOut,
        ticket_id=ticket_id,
    )
    if reply is None:
        return result
    data = reply.data or {}
    # Gemini's confidence is its own estimate: calibrated on staff outcomes once there are
    # enough of them, so the threshold means the same for both providers.
    reported = round(float(data["confidence"]), 4)
    calibration = gemini_calibration.current()
    confidence = round(calibration.apply(reported), 4) if calibration.ready else reported
    # That calibration is about category decisions only. Gemini's priority gets the local
    # model's calibrated probability of the same level, so a confident category never carries
    # an unconfident priority past the threshold with it.
    priority_confidence = round(result.priority_probs.get(data["priority"], 0.0), 4)
    return TriageResult(
        category=data["category"],
        priority=data["priority"],
        category_confidence=confidence,
        priority_confidence=priority_confidence,
        rationale=" ".join(str(data.get("rationale", "")).split())[:300],
        provider="gemini",
        raw_score=reported,
        calibrated=calibration.ready,
    )
