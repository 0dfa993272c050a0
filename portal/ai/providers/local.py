"""The local provider: TF-IDF features and a calibrated linear model, trained in-process.

Trained on the hand-written examples shipped in portal/ai/training/ plus staff corrections from
the database, saved with joblib under the instance folder, and loaded once per process (reloaded
when the file changes, e.g. after a retrain in another process).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import joblib
import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from portal.ai.calibration import expected_calibration_error

log = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).resolve().parent.parent / "training"
EXAMPLES_GLOB = "examples*.jsonl"  # every file counts: examples.jsonl, examples-github.jsonl, …
MODEL_FILE = "triage-model.joblib"
MODEL_FORMAT = 1
TEXT_MAX = 4000


@dataclass
class Example:
    text: str
    category: str | None = None
    priority: str | None = None
    weight: float = 1.0


@dataclass
class LocalPrediction:
    category: str
    category_confidence: float
    priority: str
    priority_confidence: float
    category_probs: dict[str, float] = field(default_factory=dict)


def ticket_text(title: str | None, description: str | None) -> str:
    return f"{title or ''}\n{description or ''}".strip()[:TEXT_MAX]


def example_files(folder: Path | None = None) -> list[Path]:
    """The shipped example files, in a fixed (sorted) order."""
    return sorted((folder or TRAINING_DIR).glob(EXAMPLES_GLOB))


def load_builtin_examples(folder: Path | None = None) -> list[Example]:
    rows = []
    for path in example_files(folder):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    rows.append(
                        Example(
                            ticket_text(r.get("title"), r.get("description")),
                            r.get("category"),
                            r.get("priority"),
                        )
                    )
    return rows


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(
                    ngram_range=(1, 2), sublinear_tf=True, min_df=1, strip_accents="unicode"
                ),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2
                ),
            ),
        ]
    )


def _pipeline(labels: list[str]) -> Pipeline:
    counts = {c: labels.count(c) for c in set(labels)}
    folds = max(2, min(5, min(counts.values())))
    # A linear SVM is the fast, strong text baseline; sigmoid (Platt) calibration per class
    # over cross-validation folds turns its margins into probabilities staff can trust.
    clf = CalibratedClassifierCV(
        LinearSVC(C=0.5, class_weight="balanced"),
        method="sigmoid",
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=0),
    )
    return Pipeline([("features", _features()), ("clf", clf)])


def _fit(examples: list[Example], attr: str) -> Pipeline | None:
    rows = [e for e in examples if getattr(e, attr)]
    labels = [getattr(e, attr) for e in rows]
    if len(set(labels)) < 2 or min(labels.count(c) for c in set(labels)) < 2:
        return None
    pipe = _pipeline(labels)
    pipe.fit(
        [e.text for e in rows],
        labels,
        clf__sample_weight=np.array([e.weight for e in rows]),
    )
    return pipe


def cross_validated_ece(examples: list[Example], *, folds: int = 5) -> dict[str, float]:
    """Held-out accuracy and ECE of the category model (each example scored by a model that
    did not see it): the calibration figure `flask ai train` reports."""
    rows = [e for e in examples if e.category]
    labels = [e.category for e in rows]
    texts = [e.text for e in rows]
    k = max(2, min(folds, min(labels.count(c) for c in set(labels))))
    probs = cross_val_predict(
        _pipeline(labels),
        texts,
        labels,
        cv=StratifiedKFold(n_splits=k, shuffle=True, random_state=1),
        method="predict_proba",
    )
    classes = sorted(set(labels))
    best = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    correct = [classes[i] == y for i, y in zip(best, labels, strict=True)]
    return {
        "cv_accuracy": float(np.mean(correct)),
        "cv_ece": expected_calibration_error(conf.tolist(), correct),
    }


class LocalModel:
    def __init__(self, category: Pipeline, priority: Pipeline | None, meta: dict) -> None:
        self.category = category
        self.priority = priority
        self.meta = meta

    @property
    def name(self) -> str:
        return f"local-tfidf-logreg@{self.meta.get('trained_at', '?')}"

    def predict_many(self, texts: list[str]) -> list[LocalPrediction]:
        cat_probs = self.category.predict_proba(texts)
        cat_classes = list(self.category.classes_)
        if self.priority is not None:
            pri_probs = self.priority.predict_proba(texts)
            pri_classes = list(self.priority.classes_)
        out = []
        for i in range(len(texts)):
            ci = int(np.argmax(cat_probs[i]))
            if self.priority is not None:
                pi = int(np.argmax(pri_probs[i]))
                pri, pconf = str(pri_classes[pi]), float(pri_probs[i][pi])
            else:
                pri, pconf = "medium", 0.0
            out.append(
                LocalPrediction(
                    category=str(cat_classes[ci]),
                    category_confidence=float(cat_probs[i][ci]),
                    priority=pri,
                    priority_confidence=pconf,
                    category_probs={
                        str(c): float(p) for c, p in zip(cat_classes, cat_probs[i], strict=True)
                    },
                )
            )
        return out

    def predict(self, text: str) -> LocalPrediction:
        return self.predict_many([text])[0]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".model-", suffix=".tmp")
        os.close(fd)
        try:
            joblib.dump(
                {
                    "format": MODEL_FORMAT,
                    "category": self.category,
                    "priority": self.priority,
                    "meta": self.meta,
                },
                tmp,
            )
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; workers may run as another user
            os.replace(tmp, path)  # atomic: a worker never loads a half-written file
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def examples_digest(folder: Path | None = None) -> str:
    """One digest over every example file's name and bytes: a new or changed file changes it."""
    h = hashlib.sha256()
    for path in example_files(folder):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def train(
    examples: list[Example],
    *,
    corrections: list[Example] | None = None,
    measure: bool = False,
    extra_meta: dict | None = None,
) -> LocalModel:
    """Fit category and priority models on built-in examples plus staff corrections."""
    data = list(examples) + list(corrections or [])
    category = _fit(data, "category")
    if category is None:
        raise ValueError("Not enough labelled examples to train the category model.")
    priority = _fit(data, "priority")
    meta = {
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "n_examples": len(examples),
        "n_corrections": len(corrections or []),
        "examples_digest": examples_digest(),
        "example_files": [p.name for p in example_files()],
    }
    if measure:
        meta.update(cross_validated_ece(data))
    meta.update(extra_meta or {})
    return LocalModel(category, priority, meta)


_lock = threading.Lock()
_loaded: dict[str, tuple[float, LocalModel]] = {}


def load(path: Path) -> LocalModel | None:
    """The saved model at `path`, memoised per process and reloaded when the file changes."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    key = str(path)
    with _lock:
        cached = _loaded.get(key)
        if cached and cached[0] == mtime:
            return cached[1]
        data = joblib.load(path)
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            log.warning("ignoring model file %s in an unknown format", path)
            return None
        model = LocalModel(data["category"], data["priority"], data["meta"])
        _loaded[key] = (mtime, model)
        return model


_builtin: dict[str, LocalModel] = {}


def builtin_model() -> LocalModel:
    """A model trained on the shipped examples only, kept in memory (no file, no DB)."""
    digest = examples_digest()
    with _lock:
        model = _builtin.get(digest)
        if model is None:
            model = train(load_builtin_examples())
            _builtin[digest] = model
        return model
