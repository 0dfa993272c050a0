"""The one-click rating links of the resolution notice, and the rules they share with the
ticket page: which resolution a ticket is on, and who may rate it.

Kept apart from portal.services.satisfaction (which writes through the ticket service) so the
notification service can build links without importing the ticket service.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import RATINGS, Ticket, TicketEvent, User
from portal.models.base import MAX_ID
from portal.services.errors import NotFound, TicketError

LINK_MAX_AGE = 30 * 24 * 3600  # seconds: a rating link in an e-mail works for 30 days
TOKEN_SALT = "portal.satisfaction.link"


class BadLink(Exception):
    """A rating link that was tampered with, is malformed or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def resolution_number(ticket: Ticket) -> int:
    """How many times the ticket moved to "resolved" (at least 1 once it has a resolved_at:
    tickets imported or seeded without audit events still count one resolution)."""
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.field == "status",
            TicketEvent.new_value == "resolved",
        )
    )
    return max(count or 0, 1 if ticket.resolved_at is not None else 0)


def can_rate(ticket: Ticket, user: User | None) -> bool:
    """The requester, on a ticket that was resolved (and possibly closed afterwards)."""
    return (
        user is not None
        and ticket.user_id == user.id
        and ticket.merged_into_id is None
        and ticket.status in ("resolved", "closed")
        and ticket.resolved_at is not None
    )


def parse_rating(value: object) -> int:
    """1-5 from a form ("4"), JSON (4) or a token; anything else is a TicketError."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 2 else None
    if not isinstance(value, int) or value not in RATINGS:
        raise TicketError("Choose a rating from 1 to 5.", field="rating")
    return value


# ---------------------------------------------------------------------------- links


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_link_token(ticket: Ticket, rating: int, *, resolution: int | None = None) -> str:
    resolution = resolution if resolution is not None else resolution_number(ticket)
    return _serializer().dumps(
        {"t": ticket.id, "r": resolution, "u": ticket.user_id, "v": parse_rating(rating)}
    )


@dataclass(frozen=True)
class LinkTarget:
    ticket: Ticket
    requester: User
    resolution: int
    rating: int


def read_link_token(token: str, *, max_age: int | None = None) -> LinkTarget:
    """The ticket, requester, resolution and rating a link names; BadLink when it cannot be
    trusted (tampered, malformed, expired) and NotFound when the ticket is gone."""
    token = (token or "").strip()
    if not token or len(token) > 500 or not token.isascii():
        raise BadLink("This rating link is not valid. Open the ticket to rate it.")
    try:
        data = _serializer().loads(token, max_age=max_age or LINK_MAX_AGE)
    except SignatureExpired:
        raise BadLink(
            "This rating link has expired. Open the ticket to rate it.", expired=True
        ) from None
    except BadSignature:
        raise BadLink("This rating link is not valid. Open the ticket to rate it.") from None
    if not isinstance(data, dict):
        raise BadLink("This rating link is not valid. Open the ticket to rate it.")
    ids = [data.get(k) for k in ("t", "r", "u", "v")]
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID for v in ids):
        raise BadLink("This rating link is not valid. Open the ticket to rate it.")
    ticket = db.session.get(Ticket, data["t"])
    requester = db.session.get(User, data["u"])
    if ticket is None or requester is None or ticket.user_id != requester.id:
        raise NotFound(data["t"])
    try:
        rating = parse_rating(data["v"])
    except TicketError:
        raise BadLink("This rating link is not valid. Open the ticket to rate it.") from None
    return LinkTarget(ticket=ticket, requester=requester, resolution=data["r"], rating=rating)
