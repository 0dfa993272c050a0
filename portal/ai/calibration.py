"""Calibration: expected calibration error (ECE), and an isotonic fit from a model's raw score
to the probability that staff found it right, for scores that are not probabilities yet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import KFold

from portal.extensions import db


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], *, bins: int = 10
) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins (0 when empty)."""
    n = len(confidences)
    if n == 0:
        return 0.0
    totals = [0] * bins
    conf_sum = [0.0] * bins
    hits = [0] * bins
    for conf, ok in zip(confidences, correct, strict=True):
        b = min(int(conf * bins), bins - 1)
        totals[b] += 1
        conf_sum[b] += conf
        hits[b] += 1 if ok else 0
    ece = 0.0
    for b in range(bins):
        if totals[b]:
            ece += totals[b] / n * abs(hits[b] / totals[b] - conf_sum[b] / totals[b])
    return ece


@dataclass(frozen=True)
class IsotonicCalibration:
    n: int  # labelled outcomes it was fitted on
    ece: float | None  # 5-fold cross-validated expected calibration error
    model: IsotonicRegression | None

    @property
    def ready(self) -> bool:
        return self.model is not None

    def apply(self, raw: float) -> float:
        assert self.model is not None
        return float(self.model.predict([raw])[0])


def _isotonic(raw: np.ndarray, good: np.ndarray) -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, good)


def _cross_validated_ece(raw: np.ndarray, good: np.ndarray) -> float:
    predicted = np.zeros(len(raw))
    for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(raw):
        predicted[test] = _isotonic(raw[train], good[train]).predict(raw[test])
    return expected_calibration_error(list(predicted), [bool(g) for g in good])


def fit_isotonic(data: list[tuple[float, bool]], *, min_outcomes: int) -> IsotonicCalibration:
    """Fit on (raw score, right?) pairs; not ready below `min_outcomes` or with one class."""
    good = np.array([g for _, g in data], dtype=float)
    if len(data) < min_outcomes or len(set(good.tolist())) < 2:
        return IsotonicCalibration(n=len(data), ece=None, model=None)
    raw = np.array([r for r, _ in data], dtype=float)
    return IsotonicCalibration(
        n=len(data), ece=_cross_validated_ece(raw, good), model=_isotonic(raw, good)
    )


class RefitOnChange:
    """`current()`: the fit for the outcomes as they are now, refitted only when they change.

    `signature` is a cheap aggregate query over the same rows (counts, sums, latest id): while
    it is unchanged the outcomes are not read again, which at tens of thousands of suggestions
    is most of the cost of a draft.
    """

    def __init__(
        self,
        outcomes: Callable[[], list[tuple[float, bool]]],
        min_outcomes: int,
        signature: Callable[[], tuple],
    ):
        self.outcomes = outcomes
        self.min_outcomes = min_outcomes
        self.signature = signature
        self._key: tuple | None = None
        self._fit: IsotonicCalibration | None = None

    def current(self) -> IsotonicCalibration:
        key = (str(db.engine.url), tuple(self.signature()))
        if key != self._key or self._fit is None:
            self._fit = fit_isotonic(self.outcomes(), min_outcomes=self.min_outcomes)
            self._key = key
        return self._fit
