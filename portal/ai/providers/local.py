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
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from portal.ai import embedding, urgency
from portal.ai.calibration import expected_calibration_error

log = logging.getLogger(__name__)

TRAINING_DIR = Path(__file__).resolve().parent.parent / "training"
EXAMPLES_GLOB = "examples*.jsonl"  # every file counts: examples.jsonl, examples-github.jsonl, …
MODEL_FILE = "triage-model.joblib"
MODEL_FORMAT = 2  # 2: priority is CuePriorityModel; meta names the featurisers
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
    priority_probs: dict[str, float] = field(default_factory=dict)


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


class EmbeddingFeatures(TransformerMixin, BaseEstimator):
    """The sentence embedder's unit vectors as features (portal/ai/embedding.py). Nothing is
    fitted; a saved model that uses them needs the embedder installed (see `load`)."""

    def fit(self, texts, y=None):
        return self

    def transform(self, texts):
        embedder = embedding.get()
        if embedder is None:
            raise RuntimeError("this model needs the sentence embedder, which is not available")
        return sparse.csr_matrix(embedder.embed(list(texts)))


def _features(*, embed: bool = False) -> FeatureUnion:
    parts = [
        (
            "words",
            TfidfVectorizer(
                ngram_range=(1, 2), sublinear_tf=True, min_df=1, strip_accents="unicode"
            ),
        ),
        (
            "chars",
            TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2),
        ),
    ]
    if embed:  # what the text means, next to the words it uses
        parts.append(("embedding", EmbeddingFeatures()))
    return FeatureUnion(parts)


def category_featuriser() -> str:
    """What the category model is built on here: TF-IDF, plus the embedder when installed."""
    embedder = embedding.get()
    return f"tfidf+{embedder.name}" if embedder else "tfidf"


def _folds(labels: list[str]) -> int:
    return max(2, min(5, min(labels.count(c) for c in set(labels))))


ISOTONIC_FROM = 1000  # examples; below it isotonic calibration overfits (scikit-learn's advice)


def _svm(labels: list[str]) -> CalibratedClassifierCV:
    # A linear SVM is the fast, strong text baseline; calibration per class over
    # cross-validation folds turns its margins into probabilities staff can trust. Sigmoid
    # (Platt) suits the shipped examples alone; with the staff corrections added there is
    # enough data for isotonic, which fits better (sigmoid left it underconfident).
    return CalibratedClassifierCV(
        LinearSVC(C=0.5, class_weight="balanced"),
        method="isotonic" if len(labels) >= ISOTONIC_FROM else "sigmoid",
        cv=StratifiedKFold(n_splits=_folds(labels), shuffle=True, random_state=0),
    )


def _pipeline(labels: list[str], *, embed: bool = False) -> Pipeline:
    return Pipeline([("features", _features(embed=embed)), ("clf", _svm(labels))])


class CuePriorityModel(ClassifierMixin, BaseEstimator):
    """Priority = what the words resemble + what the text says about the situation.

    Stacking: the calibrated TF-IDF model's out-of-fold probabilities (log) and the urgency
    and calmness cues of portal/ai/urgency.py go into one multinomial logistic regression,
    fitted on the same labelled examples. The regression learns how much an outage, a whole
    class affected or "no rush" counts next to the wording, and its probabilities stay
    calibrated (`flask ai train` reports the cross-validated ECE). With the sentence embedder
    installed, the text model sees its features too, as the category model does.
    """

    def __init__(self, embed: bool = False) -> None:
        self.embed = embed

    def fit(self, texts: list[str], labels: list[str], sample_weight=None):
        texts, labels = list(texts), [str(c) for c in labels]
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight)
        # The vectoriser is unsupervised: fitted once on all texts, so the out-of-fold
        # step below refits only the (cheap) classifier.
        self.features = _features(embed=self.embed)
        x = self.features.fit_transform(texts)
        self.text = _svm(labels)
        out_of_fold = cross_val_predict(
            self.text,
            x,
            labels,
            cv=StratifiedKFold(n_splits=_folds(labels), shuffle=True, random_state=0),
            method="predict_proba",
            params={"sample_weight": weights},
        )
        self.meta = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
        self.meta.fit(self._inputs(out_of_fold, texts), labels, sample_weight=weights)
        self.text.fit(x, labels, sample_weight=weights)
        self.classes_ = self.meta.classes_
        return self

    @staticmethod
    def _inputs(text_probs: np.ndarray, texts: list[str]) -> np.ndarray:
        cues = urgency.cue_matrix(texts)
        return np.hstack([np.log(np.clip(text_probs, 1e-4, 1.0)), cues])

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        probs = self.text.predict_proba(self.features.transform(texts))
        return self.meta.predict_proba(self._inputs(probs, texts))

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def _fit(examples: list[Example], attr: str) -> Pipeline | CuePriorityModel | None:
    rows = [e for e in examples if getattr(e, attr)]
    labels = [getattr(e, attr) for e in rows]
    if len(set(labels)) < 2 or min(labels.count(c) for c in set(labels)) < 2:
        return None
    texts = [e.text for e in rows]
    weights = np.array([e.weight for e in rows])
    embed = embedding.get() is not None
    if attr == "priority":
        return CuePriorityModel(embed=embed).fit(texts, labels, sample_weight=weights)
    return _pipeline(labels, embed=embed).fit(texts, labels, clf__sample_weight=weights)


def _held_out(model, texts: list[str], labels: list[str], folds: int, prefix: str) -> dict:
    k = max(2, min(folds, _folds(labels)))
    probs = cross_val_predict(
        model,
        texts,
        labels,
        cv=StratifiedKFold(n_splits=k, shuffle=True, random_state=1),
        method="predict_proba",
    )
    classes = sorted(set(labels))
    correct = [classes[i] == y for i, y in zip(probs.argmax(axis=1), labels, strict=True)]
    return {
        f"{prefix}accuracy": float(np.mean(correct)),
        f"{prefix}ece": expected_calibration_error(probs.max(axis=1).tolist(), correct),
    }


def cross_validated_ece(examples: list[Example], *, folds: int = 5) -> dict[str, float]:
    """Held-out accuracy and ECE of the category and priority models (each example scored by
    a model that did not see it): the calibration figures `flask ai train` reports."""
    cat = [e for e in examples if e.category]
    labels = [e.category for e in cat]
    pipe = _pipeline(labels, embed=embedding.get() is not None)
    out = _held_out(pipe, [e.text for e in cat], labels, folds, "cv_")
    pri = [e for e in examples if e.priority]
    if len({e.priority for e in pri}) >= 2:
        out.update(
            _held_out(
                CuePriorityModel(embed=embedding.get() is not None),
                [e.text for e in pri],
                [e.priority for e in pri],
                folds,
                "cv_priority_",
            )
        )
    return out


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
                pprobs = {str(c): float(p) for c, p in zip(pri_classes, pri_probs[i], strict=True)}
            else:
                pri, pconf, pprobs = "medium", 0.0, {}
            out.append(
                LocalPrediction(
                    category=str(cat_classes[ci]),
                    category_confidence=float(cat_probs[i][ci]),
                    priority=pri,
                    priority_confidence=pconf,
                    category_probs={
                        str(c): float(p) for c, p in zip(cat_classes, cat_probs[i], strict=True)
                    },
                    priority_probs=pprobs,
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
        "featuriser": {
            "category": category_featuriser(),
            "priority": f"{category_featuriser()}+urgency-cues-stacked",
        },
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
        needs = model.meta.get("featuriser", {}).get("category", "tfidf")
        if needs != "tfidf" and needs != category_featuriser():
            log.warning("model file %s needs %s, not available here: ignoring it", path, needs)
            return None
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
