"""Surges: many similar tickets in a short time ("12 tickets like this in the last hour").

Active, unmerged tickets created within the admin's window are grouped by text similarity
(portal.ai.similarity, TF-IDF cosine). The groups are memoised for SURGE_CACHE_SECONDS, so
the queue pays one cache read per request; a merge clears them at once (services/cache.py).
Also here: the "similar tickets" a staff member may merge one ticket into.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

import sqlalchemy as sa

from portal.ai import similarity
from portal.extensions import db
from portal.models import Ticket
from portal.models.base import utcnow
from portal.services.cache import SURGES, memoised
from portal.services.settings import SPEC_BY_KEY, all_settings

SURGE_CACHE_SECONDS = 30
ACTIVE = ("open", "in_progress")
MAX_TICKETS = 1000  # the newest this many of the window are grouped
SUGGESTION_POOL = 500  # recent active tickets a merge suggestion is looked for among
SUGGESTION_MIN_SCORE = 0.25  # below it, suggestions share a word or two by chance


@dataclass
class Surge:
    leader_id: int
    title: str  # the leader's: the ticket the others resemble most
    ids: list[int]
    oldest_id: int
    terms: list[str]
    window_minutes: int

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def window_text(self) -> str:
        return window_text(self.window_minutes)


def window_text(minutes: int) -> str:
    if minutes == 60:
        return "the last hour"
    if minutes % 60 == 0:
        return f"the last {minutes // 60} hours"
    return f"the last {minutes} minutes"


def _setting(key: str):
    # .get: a settings snapshot cached by an older release has no surge keys yet.
    return all_settings().get(key, SPEC_BY_KEY[key].default)


def _docs(stmt: sa.Select) -> list[similarity.TextDoc]:
    rows = db.session.execute(stmt).all()
    return [similarity.TextDoc(id=r.id, title=r.title, text=r.text or "") for r in rows]


def _columns():
    return (
        Ticket.id,
        Ticket.title,
        sa.func.substr(Ticket.description, 1, similarity.TEXT_CHARS).label("text"),
    )


@memoised(SURGES, timeout=SURGE_CACHE_SECONDS)
def _groups(window_minutes: int, min_size: int, threshold: float) -> list[dict]:
    cutoff = utcnow() - timedelta(minutes=window_minutes)
    recent = (
        sa.select(*_columns(), Ticket.created_at)
        .where(
            Ticket.created_at >= cutoff,
            Ticket.status.in_(ACTIVE),
            Ticket.merged_into_id.is_(None),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_TICKETS)
    )
    docs = _docs(recent)[::-1]  # oldest first: ties go to the earlier ticket
    titles = {d.id: d.title for d in docs}
    groups = similarity.group_similar(docs, threshold=threshold, min_size=min_size)
    return [
        asdict(
            Surge(
                leader_id=g.leader_id,
                title=titles[g.leader_id],
                ids=sorted(g.ids),
                oldest_id=min(g.ids),
                terms=g.terms,
                window_minutes=window_minutes,
            )
        )
        for g in groups
    ]


def current_surges() -> list[Surge]:
    """The surge groups now, largest first (plain data, cached)."""
    args = (
        int(_setting("SURGE_WINDOW_MINUTES")),
        int(_setting("SURGE_MIN_TICKETS")),
        float(_setting("SURGE_SIMILARITY")),
    )
    try:
        groups = _groups(*args)
    except Exception:  # cache down: compute directly
        groups = _groups.uncached(*args)
    return [Surge(**g) for g in groups]


def surge_for(leader_id: int) -> Surge | None:
    return next((s for s in current_surges() if s.leader_id == leader_id), None)


def similar_tickets(
    ticket: Ticket, *, limit: int = 5
) -> list[tuple[Ticket, similarity.SimilarHit]]:
    """Active, unmerged tickets that read like this one, most similar first: where it might
    be merged into."""
    pool = (
        sa.select(*_columns())
        .where(
            Ticket.id != ticket.id,
            Ticket.status.in_(ACTIVE),
            Ticket.merged_into_id.is_(None),
        )
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(SUGGESTION_POOL)
    )
    query = similarity.TextDoc(ticket.id, ticket.title, ticket.description)
    hits = similarity.rank_similar(query, _docs(pool), threshold=SUGGESTION_MIN_SCORE, limit=limit)
    tickets = {
        t.id: t
        for t in db.session.scalars(sa.select(Ticket).where(Ticket.id.in_([h.id for h in hits])))
    }
    return [(tickets[h.id], h) for h in hits if h.id in tickets]
