"""Calibrate reply-draft confidence on what staff did with earlier drafts.

A local draft's raw score is retrieval similarity, not a probability. Once staff have sent or
rated enough drafts, an isotonic fit turns the raw score into P(staff send the draft almost
unchanged or rate it up). Until then the raw mapping stands and the draft says it is
uncalibrated.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.ai.calibration import IsotonicCalibration, RefitOnChange, fit_isotonic
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion

MIN_OUTCOMES = 30
# A sent draft counts as good when staff kept at least this much of it (difflib ratio).
KEPT_SIMILARITY = 0.8


DraftCalibration = IsotonicCalibration


def outcomes() -> list[tuple[float, bool]]:
    """(raw score, good?) for each local reply draft staff sent or rated; ratings win."""
    rows = db.session.execute(
        sa.select(AISuggestion.id, AISuggestion.raw_score, AISuggestion.edit_similarity).where(
            AISuggestion.kind == "reply",
            AISuggestion.provider == "local",
            AISuggestion.raw_score.is_not(None),
        )
    ).all()
    ratings = dict(
        db.session.execute(
            sa.select(AIFeedback.suggestion_id, AIFeedback.rating).where(
                AIFeedback.kind == "rating",
                AIFeedback.suggestion_id.is_not(None),
                AIFeedback.rating.is_not(None),
            )
        ).all()
    )
    labelled = []
    for sid, raw, similarity in rows:
        if sid in ratings and ratings[sid]:
            labelled.append((float(raw), ratings[sid] > 0))
        elif similarity is not None:
            labelled.append((float(raw), similarity >= KEPT_SIMILARITY))
    return labelled


def signature() -> tuple:
    """Changes whenever outcomes() would: a draft sent (or its similarity set), a rating."""
    sent = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.max(AISuggestion.used_at),
            sa.func.sum(AISuggestion.edit_similarity),
        ).where(
            AISuggestion.kind == "reply",
            AISuggestion.provider == "local",
            AISuggestion.raw_score.is_not(None),
            AISuggestion.edit_similarity.is_not(None),
        )
    ).one()
    rated = db.session.execute(
        sa.select(
            sa.func.count(), sa.func.max(AIFeedback.id), sa.func.sum(AIFeedback.rating)
        ).where(AIFeedback.kind == "rating", AIFeedback.suggestion_id.is_not(None))
    ).one()
    return (*sent, *rated)


# The calibration for the current outcomes, refitted only when they change.
current = RefitOnChange(outcomes, MIN_OUTCOMES, signature).current


def fit(data: list[tuple[float, bool]]) -> DraftCalibration:
    return fit_isotonic(data, min_outcomes=MIN_OUTCOMES)
