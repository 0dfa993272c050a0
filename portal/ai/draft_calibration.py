"""Calibrate reply-draft confidence on what staff did with earlier drafts.

A local draft's raw score is retrieval similarity, not a probability. Once staff have sent or
rated enough drafts, an isotonic fit turns the raw score into P(staff send the draft almost
unchanged or rate it up). Until then the raw mapping stands and the draft says it is
uncalibrated.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.ai import answers
from portal.ai.calibration import IsotonicCalibration, RefitOnChange, fit_isotonic
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion

MIN_OUTCOMES = 30
# A sent draft counts as good when staff kept at least this much of it (difflib ratio).
KEPT_SIMILARITY = 0.8


DraftCalibration = IsotonicCalibration


def _is_article_answer(sources) -> bool:
    """A draft that quotes a help article alone: its raw score is how well the article
    answers the ticket (portal/ai/answers.py), not a similarity to other tickets."""
    return bool(sources) and all(isinstance(s, dict) and s.get("kind") == "kb" for s in sources)


def outcomes(*, articles: bool = False) -> list[tuple[float, bool]]:
    """(raw score, good?) for each local reply draft staff sent or rated; ratings win.

    articles=True: only the drafts answering from a help article alone (first answers among
    them); otherwise only the others, so each calibration sees one kind of raw score.
    """
    rows = db.session.execute(
        sa.select(
            AISuggestion.id,
            AISuggestion.raw_score,
            AISuggestion.edit_similarity,
            AISuggestion.sources,
        ).where(
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
    for sid, raw, similarity, sources in rows:
        if _is_article_answer(sources) != articles:
            continue
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
# The same for article answers: P(staff keep an answer quoting this article | its raw score).
article_current = RefitOnChange(lambda: outcomes(articles=True), MIN_OUTCOMES, signature).current


def article_confidence(raw: float) -> tuple[float, bool]:
    """P(the article answers the ticket): refitted on staff outcomes once MIN_OUTCOMES exist
    (sent almost unchanged or rated up, versus rewritten or rated down); until then the
    logistic prior fitted on the labelled evaluation set (answers.uncalibrated)."""
    calibration = article_current()
    if calibration.ready:
        return round(calibration.apply(raw), 4), True
    return answers.uncalibrated(raw), False


def fit(data: list[tuple[float, bool]]) -> DraftCalibration:
    return fit_isotonic(data, min_outcomes=MIN_OUTCOMES)
