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

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, TicketSatisfaction, User
from portal.models.base import utcnow
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, TicketError
from portal.services.satisfaction_links import (  # noqa: F401 (the rating API in one place)
    LINK_MAX_AGE,
    TOKEN_SALT,
    BadLink,
    LinkTarget,
    can_rate,
    make_link_token,
    parse_rating,
    read_link_token,
    resolution_number,
)

COMMENT_MAX = 2000


class NotRateable(TicketError):
    """The ticket is not (or no longer) in a state that can be rated: a 409."""


# ---------------------------------------------------------------------------- reading


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
