"""Does a help article answer this question, and with which passage?

The automatic first answer and the chat both ask this, and both may show the result to the
person who asked, so only published help articles are candidates (never another person's
ticket). The score is about the article answering *this* question, not about similar tickets:

- the question and each article are reduced to content terms (lower case, a light stemmer,
  common support-desk synonyms folded onto one spelling: "2FA", "MFA", "one-time code" all
  become the two-factor terms the articles use);
- each term weighs its inverse document frequency over the help articles, recent tickets and
  the shipped triage examples (counts only; no ticket text is ever shown), so words every ticket uses ("help", "account", "problem") weigh little;
- an article's evidence is the summed weight of the question's terms it contains (title terms
  count double), and it needs at least two distinct terms: one shared word ("phone", "save")
  is a coincidence, not an answer;
- the raw score in [0, 1) is 1 - exp(-evidence / SCALE) scaled by the share of the question's
  own weight the article covers, minus a penalty when a second article is nearly as good.

The raw score is what the draft calibration (portal/ai/draft_calibration.py) refits on staff
outcomes; until enough exist, `uncalibrated` maps it (fitted on bench/data, see bench/README).
The passage is the block of the article (a paragraph, or a list with its lead-in line) whose
terms the question shares most: quoted whole, never cut at a fixed length.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from portal.ai.providers import local
from portal.extensions import db
from portal.models import Article, Ticket

MIN_TERMS = 2  # distinct shared content terms before an article can answer at all
SCALE = 9.0  # evidence at which the raw score reaches 1 - 1/e (before coverage)
MIN_RAW = 0.2  # below this raw score an article does not answer the question
BACKGROUND_TICKETS = 3000
LEAD_IN = 200  # a paragraph this short before a quoted list is quoted with it

# Phrases people use for what the articles name otherwise. Only whole words are replaced.
SYNONYMS = [
    (
        r"\b(2fa|mfa|otp|one[- ]time (pass(word)?|code)s?|two[- ]step|multi[- ]factor|2[- ]step)\b",
        "two-factor authentication code",
    ),
    (r"\b(authy|authenticator app)\b", "authenticator"),
    (
        r"\b(charged|debited|billed|paid|taken) (twice|two times|2 times|double)\b",
        "duplicate charge",
    ),
    (r"\b(double|two|2) (charges?|payments?|debits?)\b", "duplicate charge"),
    (r"\b(money back|reimburse(ment)?|chargeback|refunded)\b", "refund"),
    (r"\b(tax (id|number|registration)|ust-?idnr|vat id|vat registration)\b", "vat number"),
    (r"\b(student (rate|price|reduction|pricing)|reduction for students)\b", "student discount"),
    (r"\b(log ?in|sign ?in|signing in|logging in)\b", "login"),
    (r"\b(pw|passwd|pass word)\b", "password"),
    (r"\b(idea|ideas|suggestion|suggest|proposal|propose|wish|enhancement)\b", "feature request"),
    (r"\b(my name|the name|name (shown|displayed|on my))\b", "display name"),
    (r"\b(thesis|dissertation|paper)\b", "pdf file"),
]
_SYNONYMS = [(re.compile(p, re.IGNORECASE), r) for p, r in SYNONYMS]
_WORD = re.compile(r"[a-z][a-z0-9]+|\d+[a-z]+")
# sklearn's list has content words a question turns on ("name", "bill", "detail"...).
_STOP = (ENGLISH_STOP_WORDS - {"name", "bill", "detail", "show", "find", "system", "full", "move",
                               "call", "fill", "empty", "back", "top", "side"}) | {
    "hi", "hello", "dear", "thanks", "thank", "regards", "kind", "please", "help", "team",
    "support", "sir", "madam", "good", "morning", "afternoon", "evening", "day", "im", "ive",
    "dont", "doesnt", "didnt", "cant", "wont", "isnt", "just", "like", "want", "need", "know",
    "tried", "try", "get", "got", "still", "since", "also", "yesterday", "today", "week",
}  # fmt: skip


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ator", "ings", "ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            if suffix in ("ings", "ing", "ed") and word[-1] == word[-2] and word[-1] not in "ls":
                word = word[:-1]  # resetting → reset, not resett
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def terms(text: str) -> list[str]:
    """Content terms of a text: synonyms folded, stop words dropped, lightly stemmed."""
    text = (text or "").casefold()
    for pattern, replacement in _SYNONYMS:
        text = pattern.sub(replacement, text)
    return [_stem(w) for w in _WORD.findall(text) if w not in _STOP and len(w) > 1]


def plain(markdown: str) -> str:
    """An article's text as a reader sees it: no markup characters, lines kept."""
    text = re.sub(r"```.*?```", " ", markdown or "", flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    text = re.sub(r"^#+\s*", "", text, flags=re.M)
    return text.strip()


_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


def blocks(markdown: str) -> list[str]:
    """Paragraphs and lists; a list keeps its lead-in line ("… do this:") with it."""
    out: list[str] = []
    for chunk in re.split(r"\n\s*\n", plain(markdown)):
        lines = [ln.rstrip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        is_list = bool(_LIST_ITEM.match(lines[0]))
        if is_list and out and out[-1].endswith(":"):
            out[-1] = out[-1] + "\n" + "\n".join(lines)
        elif not is_list and len(lines) > 1 and any(_LIST_ITEM.match(x) for x in lines[1:]):
            out.append("\n".join(lines))  # lead-in and its list in one chunk
        else:
            out.append("\n".join(lines) if is_list else " ".join(lines))
    return out


@dataclass
class _Doc:
    id: int
    title: str
    body: str
    title_terms: set[str]
    body_terms: set[str]
    blocks: list[tuple[str, set[str]]] = field(default_factory=list)


@dataclass
class Match:
    article_id: int
    title: str
    passage: str
    raw: float  # how well the article answers the question, in [0, 1)
    shared: list[str] = field(default_factory=list)


class _Index:
    def __init__(self, articles: list[tuple[int, str, str]], background: list[str]) -> None:
        self.docs = []
        for aid, title, body in articles:
            self.docs.append(
                _Doc(
                    aid,
                    title,
                    body,
                    set(terms(title)),
                    set(terms(plain(body))),
                    [(b, set(terms(b))) for b in blocks(body)],
                )
            )
        df: Counter[str] = Counter()
        corpus = [d.title_terms | d.body_terms for d in self.docs]
        corpus += [set(terms(t)) for t in background]
        for doc_terms in corpus:
            df.update(doc_terms)
        self.n = max(1, len(corpus))
        self.df = df

    def idf(self, term: str) -> float:
        return math.log((1 + self.n) / (1 + self.df.get(term, 0))) + 1.0

    def match(self, question: str, exclude: frozenset[int]) -> list[Match]:
        q = set(terms(question))
        if not q:
            return []
        q_weight = sum(self.idf(t) for t in q)
        scored = []
        for d in self.docs:
            if d.id in exclude:
                continue
            shared = q & (d.title_terms | d.body_terms)
            # Two distinct terms, one of them what the article is about (its title).
            if len(shared) < MIN_TERMS or not shared & d.title_terms:
                continue
            evidence = sum(self.idf(t) * (2 if t in d.title_terms else 1) for t in shared)
            coverage = sum(self.idf(t) for t in shared) / q_weight
            raw = (1 - math.exp(-evidence / SCALE)) * coverage**0.5
            scored.append((raw, d, shared))
        scored.sort(key=lambda x: -x[0])
        out = []
        for i, (raw, d, shared) in enumerate(scored):
            runner_up = scored[i + 1][0] if i + 1 < len(scored) else 0.0
            raw = raw * (1 - 0.5 * (runner_up / raw) ** 4) if i == 0 and raw else raw
            if raw < MIN_RAW:
                continue
            out.append(Match(d.id, d.title, self.passage(d, q), round(raw, 4), sorted(shared)))
        return out

    def passage(self, doc: _Doc, q: set[str]) -> str:
        """The block sharing the most weight with the question; a list keeps the short
        paragraph before it (its context: "Codes depend on your phone's clock.")."""
        if not doc.blocks:
            return ""
        i = max(
            range(len(doc.blocks)),
            key=lambda j: (sum(self.idf(t) for t in q & doc.blocks[j][1]), -j),
        )
        text = doc.blocks[i][0]
        if i > 0 and _LIST_ITEM.match(text) and len(doc.blocks[i - 1][0]) <= LEAD_IN:
            text = doc.blocks[i - 1][0] + "\n\n" + text
        return text


_lock = threading.Lock()
_cache: dict[str, tuple[tuple, _Index]] = {}


def _signature() -> tuple:
    arts = db.session.execute(
        sa.select(sa.func.count(Article.id), sa.func.max(Article.updated_at)).where(
            Article.published.is_(True)
        )
    ).one()
    # The word weights are refreshed every 200 new tickets (they barely move in between).
    # max(id) reads one entry of the primary-key index; a count would scan every ticket on
    # each chat message and first answer.
    tickets = (db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) // 200
    return (db.engine.url.render_as_string(), tuple(arts), tickets)


def _index() -> _Index:
    sig = _signature()
    with _lock:
        cached = _cache.get(sig[0])
        if cached is not None and cached[0] == sig:
            return cached[1]
    articles = [
        (a.id, a.title, a.body)
        for a in db.session.scalars(sa.select(Article).where(Article.published.is_(True)))
    ]
    # Word weights from how people write tickets: the recent tickets (each distinct text
    # once: demo data repeats a few) and the shipped triage examples. Only counts are kept.
    background = {
        f"{t} {d}"
        for t, d in db.session.execute(
            sa.select(Ticket.title, Ticket.description)
            .order_by(Ticket.id.desc())
            .limit(BACKGROUND_TICKETS)
        )
    }
    background |= {f"{e.text}" for e in local.load_builtin_examples()}
    index = _Index(articles, background)
    with _lock:
        _cache[sig[0]] = (sig, index)
    return index


def find(question: str, *, exclude=(), k: int = 3) -> list[Match]:
    """The help articles that answer `question`, best first (none when none does).

    `exclude`: article ids the person already said did not help.
    """
    return _index().match(question or "", frozenset(int(x) for x in exclude))[:k]


def score(article_id: int, question: str) -> float:
    """How well one article answers `question` (the raw score of find; 0 when it does not)."""
    match = next(
        (m for m in _index().match(question or "", frozenset()) if m.article_id == article_id), None
    )
    return match.raw if match is not None else 0.0


def passage(article_id: int, question: str) -> str | None:
    """The passage of one article that answers `question` best (None: no such article)."""
    index = _index()
    doc = next((d for d in index.docs if d.id == article_id), None)
    return index.passage(doc, set(terms(question))) or None if doc is not None else None


def known(question: str) -> bool:
    """Whether the question has a word people use in tickets or articles, or a common English
    word ("hi", "what"): "asdf qwerty" has none, so there is nothing to answer."""
    words = _WORD.findall((question or "").casefold())
    if any(w in _STOP for w in words):
        return True
    index = _index()
    return any(index.df.get(t) for t in terms(question))


def uncalibrated(raw: float) -> float:
    """P(the article answers the question) before staff outcomes exist: a logistic fitted on
    the even lines of bench/data/first-answer-eval.jsonl (bench/first_answer_eval.py), capped."""
    # Without staff outcomes it never claims more than 95 %.
    return round(min(0.95, 1 / (1 + math.exp(-(raw - CENTRE) * SLOPE))), 4)


CENTRE, SLOPE = 0.35, 14.0
