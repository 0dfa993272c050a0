"""Plain copies of tickets for the AI: it never sees (or lazily loads through) an ORM row."""

from __future__ import annotations

from portal.ai.inputs import Message, TicketText
from portal.models import Ticket


def ticket_text(ticket: Ticket) -> TicketText:
    return TicketText(
        id=ticket.id,
        title=ticket.title,
        description=ticket.description,
        category=ticket.category,
        status=ticket.status,
        requester_name=ticket.user.name if ticket.user else None,
        messages=tuple(
            Message(role=r.response_type, text=r.content, internal=r.is_internal)
            for r in ticket.responses
        ),
    )
