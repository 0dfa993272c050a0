"""Which tickets say the same thing: TF-IDF cosine similarity over title and description.

A read-only use case on plain inputs. It is cheap (a few hundred short texts fit in a few
milliseconds) and explainable: two tickets are similar when they share words that are rare in
the rest of the batch, and every group comes with the words its tickets share.

- ``group_similar`` finds surges: each group is a leader (the ticket most others resemble) and
  the tickets at least ``threshold`` similar to it. Grouping around a leader, rather than
  chaining pairs, keeps a group from drifting from "VPN down" to "VPN invoice".
- ``rank_similar`` ranks candidates by similarity to one ticket (merge suggestions).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

MAX_DOCS = 1000
TEXT_CHARS = 2000  # enough of a description to say what it is about
SHOWN_TERMS = 5


@dataclass(frozen=True)
class TextDoc:
    id: int
    title: str
    text: str = ""


@dataclass
class SimilarGroup:
    leader_id: int
    ids: list[int]  # the leader first, then the others in the order they were given
    terms: list[str] = field(default_factory=list)  # words most of the group shares
    min_score: float = 0.0  # the least similar member's similarity to the leader


@dataclass
class SimilarHit:
    id: int
    score: float
    terms: list[str] = field(default_factory=list)


_WORD = re.compile(r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b")
_SUFFIXES = ("ing", "ed", "s")


def _stem(word: str) -> str:
    """A light stemmer, so "disconnects" and "disconnecting" count as one word."""
    for suffix in _SUFFIXES:
        if (
            word.endswith(suffix)
            and len(word) - len(suffix) >= 4
            and not (suffix == "s" and word[-2] in "su")  # campus, access, status
        ):
            return word[: -len(suffix)]
    return word


def _tokens(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if w not in ENGLISH_STOP_WORDS]


def words(text: str) -> list[str]:
    return [_stem(w) for w in _tokens(text)]


def _surface(docs: Sequence[TextDoc]) -> dict[str, str]:
    """Each stem's shortest spelling in the batch, to show people words rather than stems."""
    shown: dict[str, str] = {}
    for doc in docs:
        for w in _tokens(_document(doc)):
            stem = _stem(w)
            if stem not in shown or len(w) < len(shown[stem]):
                shown[stem] = w
    return shown


def _document(doc: TextDoc) -> str:
    # The title says what the ticket is about: it counts twice.
    return f"{doc.title}\n{doc.title}\n{(doc.text or '')[:TEXT_CHARS]}"


def _vectorise(docs: Sequence[TextDoc]):
    vectorizer = TfidfVectorizer(analyzer=words, sublinear_tf=True)
    try:
        matrix = vectorizer.fit_transform([_document(d) for d in docs])
    except ValueError:  # nothing but stop words and numbers
        return None, None
    shown = _surface(docs)
    return matrix, [shown.get(n, n) for n in vectorizer.get_feature_names_out()]


def _shared_terms(matrix, names, rows: list[int]) -> list[str]:
    """Words in at least half of the rows (two at least), the heaviest first."""
    sub = matrix[rows]
    present = np.asarray((sub > 0).sum(axis=0)).ravel()
    weight = np.asarray(sub.mean(axis=0)).ravel()
    needed = max(2, math.ceil(len(rows) / 2)) if len(rows) > 1 else 1
    order = np.argsort(-weight)
    terms = [names[i] for i in order if present[i] >= needed]
    return terms[:SHOWN_TERMS]


def group_similar(
    docs: Sequence[TextDoc], *, threshold: float, min_size: int
) -> list[SimilarGroup]:
    """Groups of at least `min_size` docs, each at least `threshold` similar to its leader.

    Largest groups first. A doc is in one group at most. Pass docs oldest first: ties go to
    the earlier doc.
    """
    docs = list(docs)[:MAX_DOCS]
    if len(docs) < max(min_size, 2):
        return []
    matrix, names = _vectorise(docs)
    if matrix is None:
        return []
    sims = linear_kernel(matrix)
    close = sims >= threshold
    np.fill_diagonal(close, False)
    free = np.ones(len(docs), dtype=bool)
    groups: list[SimilarGroup] = []
    while True:
        counts = (close & free).sum(axis=1)
        counts[~free] = -1
        leader = int(np.argmax(counts))  # the first of the largest: the earliest doc
        if counts[leader] + 1 < min_size:
            break
        members = [leader] + [j for j in np.flatnonzero(close[leader] & free) if j != leader]
        free[members] = False
        groups.append(
            SimilarGroup(
                leader_id=docs[leader].id,
                ids=[docs[i].id for i in members],
                terms=_shared_terms(matrix, names, members),
                min_score=round(float(min(sims[leader, j] for j in members[1:])), 3),
            )
        )
    return groups


def rank_similar(
    query: TextDoc, candidates: Sequence[TextDoc], *, threshold: float, limit: int
) -> list[SimilarHit]:
    """The candidates at least `threshold` similar to `query`, most similar first."""
    candidates = [c for c in candidates if c.id != query.id][:MAX_DOCS]
    if not candidates:
        return []
    matrix, names = _vectorise([query, *candidates])
    if matrix is None:
        return []
    scores = linear_kernel(matrix[0:1], matrix[1:]).ravel()
    hits = []
    for i in np.argsort(-scores, kind="stable")[:limit]:
        if scores[i] < threshold:
            break
        hits.append(
            SimilarHit(
                id=candidates[i].id,
                score=round(float(scores[i]), 3),
                terms=_shared_terms(matrix, names, [0, int(i) + 1]),
            )
        )
    return hits
