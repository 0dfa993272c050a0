"""Version tokens for live pages: a short string per scope that changes whenever what that
scope's page shows changes, so an open tab can ask "anything new?" for the price of a few
indexed aggregates and get 204 No Content when nothing is.

Tokens are read from the database, not from a counter in the cache: the task worker (AI
triage, first answers) is another process, and with the embedded default's SimpleCache it
shares no cache with the web server, so only the database sees every change.

Scopes:
- ``queue``: the staff queue (every row, count and view): the newest ticket, the latest
  activity and the status counts. Notes change no row, so they do not count.
- ``staff-ticket-<id>``: the staff ticket page: the ticket's fields, its replies and notes,
  its audit events (every change through services/tickets.py writes one).
- ``ticket-<id>``: the requester's page: status, priority, category, assignee, merge and the
  *public* replies only, so a note never changes what a requester's tab sees, not even its
  token.
- ``notifications``: the viewer's unread count and newest notification.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Notification, Ticket, TicketEvent, TicketResponse, User
from portal.models.base import parse_id
from portal.services import queue as queue_service
from portal.services.settings import get_setting

QUEUE = "queue"
NOTIFICATIONS = "notifications"
STAFF_TICKET = "staff-ticket-"
TICKET = "ticket-"
TOKEN_MAX = 40


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()[:16]


def clean_token(value: str | None) -> str:
    """A token sent back by a browser: hex only, short; anything else never matches."""
    value = (value or "").strip()
    ok = 0 < len(value) <= TOKEN_MAX and value.isascii() and value.isalnum()
    return value if ok else ""


def queue_token() -> str:
    newest, latest = db.session.execute(
        sa.select(sa.func.max(Ticket.id), sa.func.max(Ticket.last_activity_at))
    ).one()
    # The memoised status counts catch a deletion (cleared by services/cache.py).
    counts = sorted(queue_service.safe_status_counts().items())
    return _digest(newest, str(latest), counts)


def _scalar(column, *where) -> sa.ScalarSelect:
    return sa.select(column).where(*where).scalar_subquery()


def staff_ticket_token(ticket_id: int) -> str | None:
    """None when the ticket does not exist."""
    of_ticket = TicketEvent.ticket_id == ticket_id
    replies = TicketResponse.ticket_id == ticket_id
    row = db.session.execute(
        sa.select(
            Ticket.version,
            Ticket.updated_at,
            Ticket.status,
            Ticket.merged_into_id,
            # Every change through services/tickets.py and merge.py writes an audit event
            # (a reply edited or deleted too); events go only with their ticket.
            _scalar(sa.func.max(TicketEvent.id), of_ticket),
            _scalar(sa.func.max(TicketResponse.id), replies),
        ).where(Ticket.id == ticket_id)
    ).first()
    if row is None:
        return None
    return _digest(tuple(str(v) for v in row), bool(get_setting("RESPONSE_AI_ASSISTANCE")))


def ticket_token(ticket_id: int) -> str | None:
    """What a requester (or follower) sees: public things only. None when there is no ticket."""
    public = (TicketResponse.ticket_id == ticket_id, TicketResponse.is_internal.is_(False))
    row = db.session.execute(
        sa.select(
            Ticket.status,
            Ticket.priority,
            Ticket.category,
            Ticket.assigned_to_id,
            Ticket.merged_into_id,
            Ticket.needs_human,
            _scalar(sa.func.max(TicketResponse.id), *public),
            _scalar(sa.func.count(TicketResponse.id), *public),
            # An edited public reply (same id, new text) changes the total length.
            _scalar(
                sa.func.coalesce(sa.func.sum(sa.func.length(TicketResponse.content)), 0), *public
            ),
        ).where(Ticket.id == ticket_id)
    ).first()
    if row is None:
        return None
    return _digest(tuple(str(v) for v in row))


def notifications_token(user: User) -> str:
    unread, newest = db.session.execute(
        sa.select(
            sa.func.count(Notification.id).filter(Notification.read_at.is_(None)),
            sa.func.max(Notification.id),
        ).where(Notification.user_id == user.id)
    ).one()
    return _digest(unread, newest)


class ScopeNotFound(Exception):
    """A scope this viewer may not poll, or that names nothing: answered as a 404."""


def scope_ticket_id(scope: str) -> tuple[str, int | None]:
    """('queue', None), ('staff-ticket-', 7), ('ticket-', 7), ('notifications', None)."""
    if scope in (QUEUE, NOTIFICATIONS):
        return scope, None
    for prefix in (STAFF_TICKET, TICKET):
        if scope.startswith(prefix):
            ticket_id = parse_id(scope[len(prefix) :])
            if ticket_id is None:
                raise ScopeNotFound(scope)
            return prefix, ticket_id
    raise ScopeNotFound(scope)


def token_for(viewer: User, scope: str) -> str:
    """The current token of a scope the viewer may see; ScopeNotFound otherwise (a requester
    asking for the queue or another requester's ticket learns nothing, not even that it
    exists)."""
    kind, ticket_id = scope_ticket_id(scope)
    if kind == QUEUE:
        if not viewer.is_staff:
            raise ScopeNotFound(scope)
        return queue_token()
    if kind == NOTIFICATIONS:
        return notifications_token(viewer)
    assert ticket_id is not None
    if kind == STAFF_TICKET:
        token = staff_ticket_token(ticket_id) if viewer.is_staff else None
    else:
        ticket = db.session.get(Ticket, ticket_id)
        token = None
        if ticket is not None and queue_service.can_view(viewer, ticket):
            token = ticket_token(ticket_id)
    if token is None:
        raise ScopeNotFound(scope)
    return token


def newer_public_replies(ticket: Ticket, seen_id: int | None, viewer: User) -> list:
    """Public messages on the ticket after `seen_id` that the viewer did not write: what
    arrived while they were writing a reply. Oldest first."""
    if seen_id is None:
        seen_id = 0
    return list(
        db.session.scalars(
            sa.select(TicketResponse)
            .where(
                TicketResponse.ticket_id == ticket.id,
                TicketResponse.is_internal.is_(False),
                TicketResponse.id > seen_id,
                TicketResponse.user_id != viewer.id,
            )
            .order_by(TicketResponse.id)
        )
    )


def last_public_id(ticket: Ticket) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.max(TicketResponse.id)).where(
                TicketResponse.ticket_id == ticket.id, TicketResponse.is_internal.is_(False)
            )
        )
        or 0
    )
