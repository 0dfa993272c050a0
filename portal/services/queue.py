"""Read side of tickets: the staff queue's filters, search and sort, counts, and access checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

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
from portal.models.base import MAX_ID, parse_id, utcnow
from portal.models.ticket import search_document
from portal.services import sla
from portal.services.cache import QUEUE_COUNTS, VIEW_COUNTS, memoised
from portal.services.errors import NotFound

SORTS = {
    "activity": "Last activity",
    "newest": "Newest",
    "oldest": "Oldest",
    "priority": "Priority",
    "due": "Due soonest",  # SLA
}
SEARCH_MAX = 200
ACTIVE = ("open", "in_progress")
RECENT_DAYS = 7


@dataclass(frozen=True)
class View:
    label: str
    status: str  # the status filter the view implies until one is chosen explicitly
    empty: str  # what the view says when nothing is in it


# Built-in views, in tab order. "active" is the default: the queue is what needs work.
VIEWS = {
    "active": View(
        "Active",
        "active",
        "The queue is empty: no open or in-progress tickets. New tickets "
        "appear here as soon as users submit them.",
    ),
    "mine": View("My open", "active", "You have no open tickets assigned to you."),
    "unassigned": View("Unassigned", "active", "Every active ticket has an assignee."),
    "waiting": View("Waiting on us", "active", "No tickets are waiting on you."),
    "human": View("Needs a person", "active", "No tickets are asking for a person."),
    "resolved": View(
        "Recently resolved", "resolved", f"No tickets were resolved in the last {RECENT_DAYS} days."
    ),
    # SLA views (portal/services/sla.py holds their conditions).
    "breaching": View(
        "Breaching within 1 h",
        "active",
        "No ticket breaches its SLA within the next business hour.",
    ),
    "breached": View("Breached", "active", "No active ticket is past its SLA due time."),
}
# "#123" or "123": the ticket with that number (at most 10 digits before int()).
_TICKET_NUMBER = re.compile(r"#?([0-9]{1,10})")
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
    view: str = ""  # a VIEWS key; "" is the default view, "active"
    status: str = ""  # "" follows the view; "all" is every status
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
        if assignee not in ("mine", "unassigned") and parse_id(assignee) is None:
            assignee = ""
        sort = (args.get("sort") or "activity").strip()
        surge = (args.get("surge") or "").strip()
        if parse_id(surge) is None:
            surge = ""
        # Lone surrogates and other unencodable text cannot be searched for: drop them.
        q = (args.get("q") or "").encode("utf-8", "ignore").decode("utf-8")
        view = pick("view", VIEWS)
        return cls(
            view="" if view == "active" else view,
            status=pick("status", STATUSES + ["active", "all"]),
            category=pick("category", CATEGORIES + ["none"]),
            priority=pick("priority", PRIORITIES),
            assignee=assignee,
            q=q.replace("\x00", "").strip()[:SEARCH_MAX],
            sort=sort if sort in SORTS else "activity",
            surge=surge,
        )

    @property
    def view_key(self) -> str:
        return self.view or "active"

    @property
    def effective_status(self) -> str:
        """The status the queue shows: the chosen one, else the view's ("" = all)."""
        if self.status:
            return "" if self.status == "all" else self.status
        return VIEWS[self.view_key].status

    @property
    def ticket_number(self) -> int | None:
        """The ticket a search for "#123" or "123" names (0 when no ticket can have it)."""
        m = _TICKET_NUMBER.fullmatch(self.q)
        if not m:
            return None
        n = int(m.group(1))
        return n if 0 < n <= MAX_ID else 0

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the view itself narrows the list."""
        status_chosen = self.status and self.effective_status != VIEWS[self.view_key].status
        return bool(
            status_chosen or self.q or self.category or self.priority or self.assignee or self.surge
        )

    def as_args(self, **override) -> dict:
        # The default sort is not a filter: leaving it out keeps URLs short and lets the
        # empty queue say "empty" rather than "no tickets match these filters".
        data = {k: v for k, v in self.__dict__.items() if v and (k, v) != ("sort", "activity")}
        data.update({k: v for k, v in override.items()})
        return {k: v for k, v in data.items() if v not in ("", None)}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _requester_clause(terms: list[str]):
    """Tickets whose requester's name or e-mail contains every term (case-insensitive)."""
    users = sa.select(User.id).where(
        *(
            sa.or_(User.name.ilike(_like(t), escape="\\"), User.email.ilike(_like(t), escape="\\"))
            for t in terms
        )
    )
    return Ticket.user_id.in_(users)


def _search_clause(q: str):
    terms = [t for t in q.split() if t][:10]
    if not terms:
        return sa.true()
    if db.engine.dialect.name == "postgresql":
        # Title and description through the GIN-indexed full-text document, as before.
        document = search_document(Ticket.title, Ticket.description)
        text = document.op("@@")(sa.func.websearch_to_tsquery(sa.literal_column("'english'"), q))
    else:
        text = sa.and_(
            *(
                sa.or_(
                    Ticket.title.ilike(_like(t), escape="\\"),
                    Ticket.description.ilike(_like(t), escape="\\"),
                )
                for t in terms
            )
        )
    return sa.or_(text, _requester_clause(terms))


def _waiting_clause():
    """No public staff or AI reply yet, or the requester's side spoke last in public."""
    r = sa.orm.aliased(TicketResponse)

    def last(types) -> sa.ScalarSelect:
        return (
            sa.select(sa.func.max(r.id))
            .where(r.ticket_id == Ticket.id, r.is_internal.is_(False), r.response_type.in_(types))
            .scalar_subquery()
        )

    return sa.func.coalesce(last(("staff", "ai")), 0) < sa.func.coalesce(last(("user",)), 1)


def _view_clause(view: str, viewer: User):
    if view == "mine":
        return Ticket.assigned_to_id == viewer.id
    if view == "unassigned":
        return Ticket.assigned_to_id.is_(None)
    if view == "waiting":
        return _waiting_clause()
    if view == "human":
        return Ticket.needs_human.is_(True)
    if view == "resolved":
        return Ticket.resolved_at >= utcnow() - timedelta(days=RECENT_DAYS)
    if view in sla.VIEW_KEYS:  # SLA
        return sla.view_clause(view)
    return sa.true()


def _status_clause(status: str):
    if status == "active":
        return Ticket.status.in_(ACTIVE)
    return Ticket.status == status if status else sa.true()


def queue_conditions(
    filters: QueueFilters, viewer: User, *, only_ids: list[int] | None = None
) -> list:
    """The WHERE conditions of the queue for these filters (also used to count saved views)."""
    conditions = []
    number = filters.ticket_number
    if number is not None:
        # A ticket number goes straight to that ticket, whatever view or status it is in.
        conditions.append(Ticket.id == number)
    else:
        conditions.append(_view_clause(filters.view_key, viewer))
        conditions.append(_status_clause(filters.effective_status))
    if filters.category == "none":
        conditions.append(Ticket.category.is_(None))
    elif filters.category:
        conditions.append(Ticket.category == filters.category)
    if filters.priority:
        conditions.append(Ticket.priority == filters.priority)
    if filters.assignee == "mine":
        conditions.append(Ticket.assigned_to_id == viewer.id)
    elif filters.assignee == "unassigned":
        conditions.append(Ticket.assigned_to_id.is_(None))
    elif filters.assignee:
        conditions.append(Ticket.assigned_to_id == int(filters.assignee))
    if filters.q and number is None:
        conditions.append(_search_clause(filters.q))
    if only_ids is not None:
        conditions.append(Ticket.id.in_(only_ids) if only_ids else sa.false())
    return conditions


def queue_query(
    filters: QueueFilters, viewer: User, *, only_ids: list[int] | None = None
) -> sa.Select:
    """The queue's statement; `only_ids` narrows it to a surge group's tickets."""
    # The rows show the requester and the assignee: load them in two IN queries, not per row.
    stmt = sa.select(Ticket).options(
        so.selectinload(Ticket.user), so.selectinload(Ticket.assigned_to)
    )
    stmt = stmt.where(*queue_conditions(filters, viewer, only_ids=only_ids))
    if filters.sort == "newest":
        stmt = stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
    elif filters.sort == "oldest":
        stmt = stmt.order_by(Ticket.created_at.asc(), Ticket.id.asc())
    elif filters.sort == "due":  # SLA: the nearest due first; tickets without one last
        stmt = stmt.order_by(
            Ticket.sla_next_due.is_(None), Ticket.sla_next_due.asc(), Ticket.id.asc()
        )
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


@memoised(VIEW_COUNTS, timeout=60)
def view_counts(viewer_id: int) -> dict[str, int]:
    """Every built-in view's size for this viewer, in one pass over the tickets."""
    active = Ticket.status.in_(ACTIVE)
    since = utcnow() - timedelta(days=RECENT_DAYS)
    conditions = {
        "active": active,
        "mine": sa.and_(active, Ticket.assigned_to_id == viewer_id),
        "unassigned": sa.and_(active, Ticket.assigned_to_id.is_(None)),
        "waiting": sa.and_(active, _waiting_clause()),
        "human": sa.and_(active, Ticket.needs_human.is_(True)),
        "resolved": sa.and_(Ticket.status == "resolved", Ticket.resolved_at >= since),
    }
    conditions |= {key: sa.and_(active, sla.view_clause(key)) for key in sla.VIEW_KEYS}  # SLA
    row = db.session.execute(
        sa.select(
            *(
                sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0).label(name)
                for name, cond in conditions.items()
            )
        )
    ).one()
    return {name: int(n) for name, n in row._mapping.items()}


def safe_view_counts(viewer: User) -> dict[str, int]:
    try:
        return view_counts(viewer.id)
    except Exception:  # cache down: count directly
        return view_counts.uncached(viewer.id)


def known_total(
    filters: QueueFilters, counts: dict[str, int], views: dict[str, int] | None = None
) -> int | None:
    """The number of tickets a status-only view matches, from the counts the page shows.

    The pager would otherwise COUNT(*) the matching rows on every request, which at 100,000
    tickets is most of a page's time. Views with any other filter still count (None).
    """
    if filters.q or filters.category or filters.priority or filters.assignee or filters.surge:
        return None
    if filters.view_key != "active":
        if views is None or filters.status and filters.effective_status != "active":
            return None
        if filters.view_key == "resolved" and filters.status:
            return None
        return views.get(filters.view_key)
    status = filters.effective_status
    if status == "active":
        return counts.get("open", 0) + counts.get("in_progress", 0)
    if status:
        return counts.get(status, 0)
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
