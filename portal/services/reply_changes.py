"""Changing or removing a reply after it was sent: the same audit, commit and events as the
ticket service (portal/services/tickets.py), whose helpers these use."""

from __future__ import annotations

from portal import events
from portal.extensions import db
from portal.models import TicketResponse, User
from portal.models.base import utcnow
from portal.services.errors import PermissionDenied
from portal.services.tickets import REPLY_MAX, _after_commit, _clean_text, _event


def edit_reply(reply: TicketResponse, actor: User, body: str) -> TicketResponse:
    """Authors fix their own replies; an admin may fix anyone's (audited with the author's
    name). Staff never rewrite another person's words. Everyone sees the reply as "edited"."""
    if reply.is_ai_generated or reply.response_type == "system":
        raise PermissionDenied("AI and system replies cannot be edited.")
    own = reply.user_id == actor.id
    if not own and not actor.is_admin:
        raise PermissionDenied("You can only edit your own replies.")
    body = _clean_text(body, field="content", label="Reply", maximum=REPLY_MAX)
    if body == reply.content:
        return reply
    old_len = len(reply.content)
    reply.content = body
    reply.edited_at = utcnow()
    _event(
        reply.ticket,
        actor,
        "reply_edited",
        f"{old_len} characters",
        f"{len(body)} characters",
        detail=f"reply {reply.id}" if own else f"reply {reply.id} by {reply.user.name}, as admin",
    )
    reply.ticket.updated_at = utcnow()
    db.session.commit()
    _after_commit(events.REPLY_EDITED, ticket_id=reply.ticket_id, response_id=reply.id)
    return reply


def delete_reply(reply: TicketResponse, actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff can delete replies.")
    ticket = reply.ticket
    _event(
        ticket,
        actor,
        "reply_deleted",
        f"{reply.response_type} reply {reply.id}",
        None,
        detail=reply.content[:80],
    )
    db.session.delete(reply)
    ticket.updated_at = utcnow()
    db.session.commit()
    _after_commit(events.REPLY_DELETED, ticket_id=ticket.id)
