"""Calibrate reply-draft confidence on what staff did with earlier drafts.

A local draft's raw score is retrieval similarity, not a probability. Once staff have sent or
rated enough drafts, an isotonic fit turns the raw score into P(staff send the draft almost
unchanged or rate it up). Until then the raw mapping stands and the draft says it is
uncalibrated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import KFold

from portal.ai.calibration import expected_calibration_error
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion

MIN_OUTCOMES = 30
# A sent draft counts as good when staff kept at least this much of it (difflib ratio).
KEPT_SIMILARITY = 0.8


@dataclass(frozen=True)
class DraftCalibration:
    n: int  # labelled drafts it was fitted on
    ece: float | None  # 5-fold cross-validated expected calibration error
    model: IsotonicRegression | None

    @property
    def ready(self) -> bool:
        return self.model is not None

    def apply(self, raw: float) -> float:
        assert self.model is not None
        return float(self.model.predict([raw])[0])


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


def _fit(raw: np.ndarray, good: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, good)


def _cross_validated_ece(raw: np.ndarray, good: np.ndarray) -> float:
    predicted = np.zeros(len(raw))
    for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(raw):
        predicted[test] = _fit(raw[train], good[train]).predict(raw[test])
    return expected_calibration_error(list(predicted), [bool(g) for g in good])


_cache: dict[tuple, DraftCalibration] = {}


def current() -> DraftCalibration:
    """The calibration for the current outcomes; refitted only when they change."""
    data = outcomes()
    key = (str(db.engine.url), len(data), hash(tuple(data)))
    if key not in _cache:
        _cache.clear()
        _cache[key] = fit(data)
    return _cache[key]


def fit(data: list[tuple[float, bool]]) -> DraftCalibration:
    good = np.array([g for _, g in data], dtype=float)
    if len(data) < MIN_OUTCOMES or len(set(good.tolist())) < 2:
        return DraftCalibration(n=len(data), ece=None, model=None)
    raw = np.array([r for r, _ in data], dtype=float)
    return DraftCalibration(n=len(data), ece=_cross_validated_ece(raw, good), model=_fit(raw, good))
