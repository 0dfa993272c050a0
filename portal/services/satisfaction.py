"""Satisfaction (CSAT): the requester rates a resolved ticket 1-5, with an optional comment.

One rating per resolution. A ticket's resolutions are counted by its audit events (each move
to "resolved" is one); a ticket reopened and resolved again can be rated again. Rating the same
resolution again *changes* the rating rather than being refused: the requester who clicked "1"
in the e-mail by mistake, or who changes their mind after a reply, should be able to say so,
and a repeated click of the one-click link must not produce an error. The audit timeline keeps
each rating given, so nothing is lost.

The one-click link in the resolution notice carries a signed token (ticket id, resolution,
requester and rating); it expires after LINK_MAX_AGE. Opening it changes nothing: the page
shows the rating preselected and one "Send rating" button (a POST).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import RATINGS, Ticket, TicketEvent, TicketSatisfaction, User
from portal.models.base import MAX_ID, utcnow
from portal.services import tickets as ticket_service
from portal.services.errors import NotFound, PermissionDenied, TicketError

COMMENT_MAX = 2000
LINK_MAX_AGE = 30 * 24 * 3600  # seconds: a rating link in an e-mail works for 30 days
TOKEN_SALT = "portal.satisfaction.link"


class NotRateable(TicketError):
    """The ticket is not (or no longer) in a state that can be rated: a 409."""


class BadLink(Exception):
    """A rating link that was tampered with, is malformed or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


# ---------------------------------------------------------------------------- reading


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


def rating_for(ticket: Ticket, resolution: int | None = None) -> TicketSatisfaction | None:
    """The rating of the given (default: the current) resolution, if one was given."""
    resolution = resolution if resolution is not None else resolution_number(ticket)
    return db.session.scalar(
        sa.select(TicketSatisfaction).where(
            TicketSatisfaction.ticket_id == ticket.id,
            TicketSatisfaction.resolution == resolution,
        )
    )


def ratings_for(ticket: Ticket) -> list[TicketSatisfaction]:
    """Every rating of the ticket, first resolution first (for staff)."""
    return list(
        db.session.scalars(
            sa.select(TicketSatisfaction)
            .where(TicketSatisfaction.ticket_id == ticket.id)
            .order_by(TicketSatisfaction.resolution)
        )
    )


# ---------------------------------------------------------------------------- writing


def parse_rating(value: object) -> int:
    """1-5 from a form ("4"), JSON (4) or a token; anything else is a TicketError."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()) if len(value.strip()) <= 2 else None
    if not isinstance(value, int) or value not in RATINGS:
        raise TicketError("Choose a rating from 1 to 5.", field="rating")
    return value


def _clean_comment(comment: object) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise TicketError("The comment must be text.", field="comment")
    text = comment.replace("\x00", "").strip()
    if len(text) > COMMENT_MAX:
        raise TicketError(f"Keep the comment under {COMMENT_MAX:,} characters.", field="comment")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TicketError(
            "The comment holds a character that is not text.", field="comment"
        ) from None
    return text


def rate(
    ticket: Ticket,
    user: User,
    rating: object,
    comment: object = None,
    *,
    resolution: int | None = None,
    keep_comment: bool = False,
) -> TicketSatisfaction:
    """Record (or change) the requester's rating of the ticket's current resolution.

    `resolution` (from a link) must be the current one: a link for an earlier resolution of a
    reopened ticket is refused. `keep_comment` leaves an earlier comment as it is when none is
    sent (the one-click link's first step). Raises PermissionDenied for anyone but the
    requester, NotRateable when the ticket is not resolved, TicketError for a bad rating.
    """
    if ticket.user_id != user.id:
        raise PermissionDenied("Only the requester can rate this ticket.")
    value = parse_rating(rating)
    text = _clean_comment(comment)
    if not can_rate(ticket, user):
        raise NotRateable(
            "This ticket is not resolved: you can rate it once it is.", field="rating"
        )
    current = resolution_number(ticket)
    if resolution is not None and resolution != current:
        raise NotRateable(
            "This rating link is for an earlier resolution of the ticket. "
            "Rate the latest one on the ticket page.",
            field="rating",
        )
    row = rating_for(ticket, current)
    now = utcnow()
    old = None
    if row is None:
        row = TicketSatisfaction(
            ticket_id=ticket.id,
            user_id=user.id,
            resolution=current,
            rating=value,
            comment=text,
            agent_id=ticket.assigned_to_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(row)
        try:
            db.session.flush()
        except sa.exc.IntegrityError:
            # Two clicks raced: the other one stored the row; change that one instead.
            db.session.rollback()
            row = rating_for(ticket, current)
            if row is None:
                raise
            old = row.rating
    else:
        old = row.rating
    if old is not None:
        row.rating = value
        if text or not keep_comment:
            row.comment = text
        row.updated_at = now
    ticket_service.record_event(
        ticket,
        "satisfaction",
        actor=user,
        actor_kind="user",
        old=old,
        new=value,
        detail=f"resolution {current}" + (", with a comment" if row.comment else ""),
    )
    return row


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
