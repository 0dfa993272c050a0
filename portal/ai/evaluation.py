"""Scoring triage on a labelled JSONL file (the format of shared/data/README.md).

Evaluation never writes: it reads the saved model (or trains one in memory), and
--learn-from trains an in-memory model on the shipped examples + stored corrections + the
file's labels fed in as corrections — the same training path a deployment's corrections take.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from pathlib import Path

from portal.ai.calibration import expected_calibration_error
from portal.ai.providers import local

JSON_KEYS = (
    "category_accuracy",
    "category_macro_f1",
    "priority_accuracy",
    "priority_accuracy_urgent_as_high",
    "priority_recall",
    "urgent_predicted_low_or_medium",
    "priority_ece",
    "priority_threshold",
    "priority_precision_at_threshold",
    "priority_coverage_at_threshold",
    "ece",
    "threshold",
    "precision_at_threshold",
    "coverage_at_threshold",
    "n",
)
PRIORITIES = ("low", "medium", "high", "urgent")


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def as_corrections(records: Iterable[dict]) -> list[local.Example]:
    """A labelled file's rows as staff corrections: one per labelled field."""
    out = []
    for r in records:
        text = local.ticket_text(r.get("title"), r.get("description"))
        if r.get("category"):
            out.append(local.Example(text, category=r["category"]))
        if r.get("priority"):
            out.append(local.Example(text, priority=r["priority"]))
    return out


def score(
    model: local.LocalModel,
    records: list[dict],
    *,
    threshold_for: Callable[[str | None], float],
    priority_threshold: float | None = None,
    progress: Callable[[int], None] | None = None,
    batch: int = 64,
) -> dict:
    preds: list[local.LocalPrediction] = []
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        preds += model.predict_many(
            [local.ticket_text(r.get("title"), r.get("description")) for r in chunk]
        )
        if progress:
            progress(len(chunk))
    gold = [r.get("category") for r in records]
    guess = [p.category for p in preds]
    correct = [g == p for g, p in zip(gold, guess, strict=True)]
    conf = [p.category_confidence for p in preds]
    n = len(records)

    per_category = {}
    f1s = []
    for c in sorted({g for g in gold if g} | set(guess)):
        tp = sum(1 for g, p in zip(gold, guess, strict=True) if g == c and p == c)
        fp = sum(1 for g, p in zip(gold, guess, strict=True) if g != c and p == c)
        fn = sum(1 for g, p in zip(gold, guess, strict=True) if g == c and p != c)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if c in gold:
            f1s.append(f1)
        per_category[c] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": gold.count(c),
        }

    covered = [ok for ok, c, p in zip(correct, conf, guess, strict=True) if c >= threshold_for(p)]
    return {
        "category_accuracy": sum(correct) / n if n else 0.0,
        "category_macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "ece": expected_calibration_error(conf, correct),
        "threshold": threshold_for(None),
        "precision_at_threshold": sum(covered) / len(covered) if covered else None,
        "coverage_at_threshold": len(covered) / n if n else 0.0,
        "n": n,
        # Details for the text report and --verbose.
        "per_category": per_category,
        **score_priority(records, preds, priority_threshold or threshold_for(None)),
    }


def _collapse(v: str) -> str:
    return "high" if v == "urgent" else v


def score_priority(
    records: list[dict], preds: list[local.LocalPrediction], threshold: float
) -> dict:
    """Priority on the rows that have one: accuracy (exact, and with urgent = high), recall per
    level, how many urgent tickets were predicted low or medium, ECE, and what the threshold
    lets through (the priority is applied automatically only at or above it)."""
    rows = [(r["priority"], p) for r, p in zip(records, preds, strict=True) if r.get("priority")]
    m = len(rows)
    ok = [g == p.priority for g, p in rows]
    conf = [p.priority_confidence for _, p in rows]
    covered = [hit for hit, c in zip(ok, conf, strict=True) if c >= threshold]
    recall = {}
    for level in PRIORITIES:
        hits = [g == p.priority for g, p in rows if g == level]
        if hits:
            recall[level] = sum(hits) / len(hits)
    return {
        "priority_n": m,
        "priority_accuracy": sum(ok) / m if m else None,
        "priority_accuracy_urgent_as_high": (
            sum(_collapse(g) == _collapse(p.priority) for g, p in rows) / m if m else None
        ),
        "priority_recall": recall,
        "urgent_predicted_low_or_medium": sum(
            1 for g, p in rows if g == "urgent" and p.priority in ("low", "medium")
        ),
        "priority_ece": expected_calibration_error(conf, ok) if m else None,
        "priority_threshold": threshold,
        "priority_precision_at_threshold": sum(covered) / len(covered) if covered else None,
        "priority_coverage_at_threshold": len(covered) / m if m else None,
    }


def split_file(path: str, out_a: str, out_b: str, *, seed: int = 0) -> None:
    """Helper for the learn-from-half experiment (bench/ uses it): a random half each way."""
    with open(path, encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip()]
    random.Random(seed).shuffle(lines)
    half = len(lines) // 2
    with open(out_a, "w", encoding="utf-8") as a, open(out_b, "w", encoding="utf-8") as b:
        a.writelines(lines[:half])
        b.writelines(lines[half:])
