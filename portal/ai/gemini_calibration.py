"""Calibrate Gemini's triage confidence on what staff did with its earlier answers.

Gemini reports its own confidence, which is not a probability staff can trust. Once staff have
reviewed enough of its category decisions (accepted a suggestion, kept an applied category, or
corrected it), an isotonic fit turns the reported figure into P(staff keep the category). Until
then the reported figure stands and the suggestion says it is uncalibrated.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.ai.calibration import RefitOnChange
from portal.extensions import db
from portal.models import AISuggestion

MIN_OUTCOMES = 30


def outcomes() -> list[tuple[float, bool]]:
    """(reported confidence, category kept?) for each Gemini triage staff have reviewed."""
    rows = db.session.execute(
        sa.select(
            AISuggestion.raw_score,
            AISuggestion.category_confidence,
            AISuggestion.status,
            AISuggestion.applied_fields,
        ).where(
            AISuggestion.kind == "triage",
            AISuggestion.provider == "gemini",
            AISuggestion.status.in_(("accepted", "applied", "corrected")),
        )
    ).all()
    labelled = []
    for raw, confidence, status, applied in rows:
        reported = (
            raw if raw is not None else confidence
        )  # rows without raw_score hold the reported figure itself
        if reported is None:
            continue
        if status == "applied" and "category" not in (applied or []):
            continue  # only the priority was applied: the category was never reviewed
        # An applied category that staff never changed counts as kept, as on the dashboard.
        labelled.append((float(reported), status != "corrected"))
    return labelled


def signature() -> tuple:
    """Changes whenever outcomes() would: an answer reviewed, or a kept one corrected."""
    return tuple(
        db.session.execute(
            sa.select(
                sa.func.count(),
                sa.func.sum(sa.case((AISuggestion.status == "corrected", 1), else_=0)),
                sa.func.max(AISuggestion.id),
                sa.func.sum(
                    sa.func.coalesce(AISuggestion.raw_score, AISuggestion.category_confidence)
                ),
            ).where(
                AISuggestion.kind == "triage",
                AISuggestion.provider == "gemini",
                AISuggestion.status.in_(("accepted", "applied", "corrected")),
            )
        ).one()
    )


# The calibration for the current outcomes, refitted only when they change.
current = RefitOnChange(outcomes, MIN_OUTCOMES, signature).current
