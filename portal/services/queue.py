"""Read side of tickets: the staff queue's filters, search and sort, counts, and access checks."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from portal.extensions import db
from portal.models import (
    CATEGORIES,
    PRIORITIES,
    STATUSES,
    Ticket,
    TicketParticipant,
    TicketResponse,
    User,
)
from portal.models.base import MAX_ID
from portal.models.ticket import search_document
from portal.services.cache import QUEUE_COUNTS, memoised
from portal.services.errors import NotFound

SORTS = {
    "activity": "Last activity",
    "newest": "Newest",
    "oldest": "Oldest",
    "priority": "Priority",
}
SEARCH_MAX = 200
# Page numbers come from URLs: beyond this the database raises instead of finding nothing.
MAX_PAGE = 100_000


def page_number(value: int | None) -> int:
    """A page number from the query string, clamped to what the database can offset."""
    return min(max(value or 1, 1), MAX_PAGE)


def get_or_404(model, ident: int):
    """db.session.get, but an id no row can have is a 404 rather than a database error."""
    if not 0 < ident <= MAX_ID:
        raise NotFound(ident)
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(ident)
    return row


@dataclass
class QueueFilters:
    status: str = ""
    category: str = ""
    priority: str = ""
    assignee: str = ""  # "", "mine", "unassigned" or a staff id as text
    q: str = ""
    sort: str = "activity"
    surge: str = ""  # a surge group's leader ticket id: the queue shows that group only

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        def pick(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        assignee = (args.get("assignee") or "").strip()
        if assignee not in ("mine", "unassigned") and not (
            assignee.isascii() and assignee.isdigit() and 0 < int(assignee) <= MAX_ID
        ):
            assignee = ""
        sort = (args.get("sort") or "activity").strip()
        surge = (args.get("surge") or "").strip()
        # At most 10 digits before int(): Python refuses to convert more than 4,300.
        if not (
            surge.isascii() and surge.isdigit() and len(surge) <= 10 and 0 < int(surge) <= MAX_ID
        ):
            surge = ""
        return cls(
            status=pick("status", STATUSES + ["active"]),
            category=pick("category", CATEGORIES + ["none"]),
            priority=pick("priority", PRIORITIES),
            assignee=assignee,
            q=(args.get("q") or "").replace("\x00", "").strip()[:SEARCH_MAX],
            sort=sort if sort in SORTS else "activity",
            surge=surge,
        )

    def as_args(self, **override) -> dict:
        # The default sort is not a filter: leaving it out keeps URLs short and lets the
        # empty queue say "empty" rather than "no tickets match these filters".
        data = {k: v for k, v in self.__dict__.items() if v and (k, v) != ("sort", "activity")}
        data.update({k: v for k, v in override.items()})
        return {k: v for k, v in data.items() if v not in ("", None)}


def _search_clause(q: str):
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        document = search_document(Ticket.title, Ticket.description)
        return document.op("@@")(sa.func.websearch_to_tsquery(sa.literal_column("'english'"), q))
    terms = [t for t in q.split() if t][:10]
    clauses = []
    for term in terms:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            sa.or_(
                Ticket.title.ilike(pattern, escape="\\"),
                Ticket.description.ilike(pattern, escape="\\"),
            )
        )
    return sa.and_(*clauses) if clauses else sa.true()


def queue_query(
    filters: QueueFilters, viewer: User, *, only_ids: list[int] | None = None
) -> sa.Select:
    """The queue's statement; `only_ids` narrows it to a surge group's tickets."""
    # The rows show the requester and the assignee: load them in two IN queries, not per row.
    stmt = sa.select(Ticket).options(
        so.selectinload(Ticket.user), so.selectinload(Ticket.assigned_to)
    )
    if filters.status == "active":
        stmt = stmt.where(Ticket.status.in_(("open", "in_progress")))
    elif filters.status:
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.category == "none":
        stmt = stmt.where(Ticket.category.is_(None))
    elif filters.category:
        stmt = stmt.where(Ticket.category == filters.category)
    if filters.priority:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.assignee == "mine":
        stmt = stmt.where(Ticket.assigned_to_id == viewer.id)
    elif filters.assignee == "unassigned":
        stmt = stmt.where(Ticket.assigned_to_id.is_(None))
    elif filters.assignee:
        stmt = stmt.where(Ticket.assigned_to_id == int(filters.assignee))
    if filters.q:
        stmt = stmt.where(_search_clause(filters.q))
    if only_ids is not None:
        stmt = stmt.where(Ticket.id.in_(only_ids) if only_ids else sa.false())
    if filters.sort == "newest":
        stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    elif filters.sort == "oldest":
        stmt = stmt.order_by(Ticket.created_at.asc(), Ticket.id.asc())
    elif filters.sort == "priority":
        stmt = stmt.order_by(
            Ticket.priority_rank.desc(), Ticket.last_activity_at.desc(), Ticket.id.desc()
        )
    else:
        stmt = stmt.order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
    return stmt


@memoised(QUEUE_COUNTS, timeout=60)
def status_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(Ticket.status, sa.func.count()).group_by(Ticket.status))
    counts = {s: 0 for s in STATUSES}
    counts.update({status: n for status, n in rows})
    return counts


def known_total(filters: QueueFilters, counts: dict[str, int]) -> int | None:
    """The number of tickets a status-only view matches, from the status counts the page shows.

    The pager would otherwise COUNT(*) the matching rows on every request, which at 100,000
    tickets is most of a page's time. Views with any other filter still count (None).
    """
    if filters.q or filters.category or filters.priority or filters.assignee or filters.surge:
        return None
    if filters.status == "active":
        return counts.get("open", 0) + counts.get("in_progress", 0)
    if filters.status:
        return counts.get(filters.status, 0)
    return sum(counts.values())


def safe_status_counts() -> dict[str, int]:
    try:
        return status_counts()
    except Exception:  # cache down: count directly
        return status_counts.uncached()


def tickets_by_id(ids: list[int]) -> dict[int, Ticket]:
    """The tickets with these ids, in id order, with their requesters loaded."""
    rows = db.session.scalars(
        sa.select(Ticket)
        .options(so.selectinload(Ticket.user))
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id)
    )
    return {t.id: t for t in rows}


def user_tickets_query(user: User) -> sa.Select:
    return (
        sa.select(Ticket)
        .where(Ticket.user_id == user.id)
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
    )


def is_participant(user: User, ticket: Ticket) -> bool:
    """Whether the user follows the ticket without being its requester (a merged ticket's
    requester follows the ticket it was merged into)."""
    return (
        db.session.scalar(
            sa.select(TicketParticipant.id).where(
                TicketParticipant.ticket_id == ticket.id, TicketParticipant.user_id == user.id
            )
        )
        is not None
    )


def can_view(user: User, ticket: Ticket) -> bool:
    """Staff see every ticket; a requester sees their own and those they follow (public
    replies only: internal notes are filtered wherever replies are shown)."""
    return user.is_staff or ticket.user_id == user.id or is_participant(user, ticket)


def get_ticket_for(user: User, ticket_id: int) -> Ticket:
    """Load a ticket the user may see, or 404: another user's ticket does not exist for them."""
    ticket = db.session.get(Ticket, ticket_id) if 0 < ticket_id <= MAX_ID else None
    if ticket is None or not can_view(user, ticket):
        raise NotFound(ticket_id)
    return ticket


def responses_query(user: User, *, ticket_id: int | None = None) -> sa.Select:
    """Replies the user may read, newest first: staff see all, requesters the public replies
    of their own tickets and of those they follow. An id no row can have matches nothing."""
    stmt = sa.select(TicketResponse).join(TicketResponse.ticket).order_by(TicketResponse.id.desc())
    if not user.is_staff:
        followed = sa.select(TicketParticipant.ticket_id).where(
            TicketParticipant.user_id == user.id
        )
        stmt = stmt.where(
            sa.or_(Ticket.user_id == user.id, Ticket.id.in_(followed)),
            TicketResponse.is_internal.is_(False),
        )
    if ticket_id is not None:
        in_range = 0 < ticket_id <= MAX_ID
        stmt = stmt.where(TicketResponse.ticket_id == ticket_id if in_range else sa.false())
    return stmt
