"""TF-IDF retrieval over knowledge-base articles and resolved tickets' public staff replies.

The index is rebuilt when the corpus changes (cheap signature query) and kept per process.
A resolved ticket's staff replies were written to another person: before they enter the index
(and so any draft or prompt) they are redacted (portal/ai/redaction.py): names of the requester
and the staff member, addresses, numbers, amounts, codes and secrets go. Drafts built on them
are still for staff only (DraftResult.user_safe); the redaction is the second line of defence.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from portal.ai.redaction import redact
from portal.extensions import db
from portal.models import Article, Ticket, TicketResponse, User

MAX_DOCS = 5000


@dataclass
class Doc:
    kind: str  # "kb" | "ticket"
    id: int
    title: str
    text: str
    category: str | None = None
    question: str = ""  # for a resolved ticket: what the user asked


@dataclass
class Hit:
    doc: Doc
    score: float


def _plain(markdown: str) -> str:
    text = re.sub(r"```.*?```", " ", markdown or "", flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#>*_`|-]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _resolved_replies():
    return (
        sa.select(TicketResponse, Ticket)
        .join(Ticket, TicketResponse.ticket_id == Ticket.id)
        .where(
            TicketResponse.response_type == "staff",
            TicketResponse.is_internal.is_(False),
            Ticket.status.in_(("resolved", "closed")),
        )
    )


def _signature() -> tuple:
    arts = db.session.execute(
        sa.select(sa.func.count(Article.id), sa.func.max(Article.updated_at)).where(
            Article.published.is_(True)
        )
    ).one()
    reps = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(TicketResponse.id), sa.func.max(Ticket.updated_at))
        .select_from(TicketResponse)
        .join(Ticket, TicketResponse.ticket_id == Ticket.id)
        .where(
            TicketResponse.response_type == "staff",
            TicketResponse.is_internal.is_(False),
            Ticket.status.in_(("resolved", "closed")),
        )
    ).one()
    return (db.engine.url.render_as_string(), tuple(arts), tuple(reps))


def _load_docs() -> list[Doc]:
    docs = [
        Doc("kb", a.id, a.title, _plain(a.body), a.category)
        for a in db.session.scalars(
            sa.select(Article)
            .where(Article.published.is_(True))
            .order_by(Article.id.desc())
            .limit(MAX_DOCS)
        )
    ]
    by_ticket: dict[int, Doc] = {}
    owner, author = so.aliased(User), so.aliased(User)
    rows = db.session.execute(
        _resolved_replies()
        .add_columns(owner.name, owner.email, author.name, author.email)
        .join(owner, Ticket.user_id == owner.id)
        .join(author, TicketResponse.user_id == author.id)
        .order_by(TicketResponse.id.desc())
        .limit(MAX_DOCS)
    )
    for reply, ticket, owner_name, owner_email, author_name, author_email in rows:
        doc = by_ticket.get(ticket.id)
        if doc is None:
            # The ticket's question and its staff answers form one document.
            doc = Doc("ticket", ticket.id, ticket.title, "", ticket.category, ticket.description)
            by_ticket[ticket.id] = doc
        people = (owner_name, owner_email.split("@")[0], author_name, author_email.split("@")[0])
        answer = redact(reply.content, names=people)
        doc.text = (answer + "\n" + doc.text).strip()
    for doc in by_ticket.values():
        docs.append(doc)
    return docs


class _Index:
    def __init__(self, docs: list[Doc]) -> None:
        self.docs = docs
        self.kinds = np.array([d.kind for d in docs])
        self.vectorizer = None
        self.matrix = None
        if docs:
            corpus = [f"{d.title} {d.title} {d.question} {d.text}" for d in docs]
            self.vectorizer = TfidfVectorizer(
                sublinear_tf=True, stop_words="english", strip_accents="unicode"
            )
            try:
                self.matrix = self.vectorizer.fit_transform(corpus)
            except ValueError:  # only stop words
                self.vectorizer = None

    def search(self, query: str, k: int, kinds: tuple[str, ...] | None = None) -> list[Hit]:
        if self.vectorizer is None or not query.strip():
            return []
        scores = linear_kernel(self.vectorizer.transform([query]), self.matrix)[0]
        if kinds is not None:
            scores = scores * np.isin(self.kinds, kinds)
        order = scores.argsort()[::-1][:k]
        return [Hit(self.docs[i], float(scores[i])) for i in order if scores[i] > 0]


_lock = threading.Lock()
_index: dict[str, tuple[tuple, _Index]] = {}


def search(
    query: str,
    *,
    k: int = 3,
    exclude_ticket: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[Hit]:
    """The k documents closest to ``query``; ``kinds=("kb",)`` keeps to help articles (many
    similar resolved tickets would otherwise crowd them out of the top k)."""
    sig = _signature()
    key = sig[0]
    with _lock:
        cached = _index.get(key)
        if cached is None or cached[0] != sig:
            cached = (sig, _Index(_load_docs()))
            _index[key] = cached
    hits = cached[1].search(query, k + 1, kinds)
    hits = [h for h in hits if not (h.doc.kind == "ticket" and h.doc.id == exclude_ticket)]
    return hits[:k]
