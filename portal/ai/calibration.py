"""Calibration measures: expected calibration error (ECE) over confidence bins."""

from __future__ import annotations

from collections.abc import Sequence


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
