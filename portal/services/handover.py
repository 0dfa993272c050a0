"""A requester asking for a person instead of the AI."""

from __future__ import annotations

from portal.models import Ticket, User
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, TicketError

HANDOVER_DETAIL = "The requester asked to talk to a person"


def request_human(ticket: Ticket, requester: User, *, via: str = "ticket page") -> bool:
    """The requester asks for a person: flag the ticket for staff, noted in the audit.

    Returns False when it was already flagged. update_ticket lets end users change only the
    status and ask for a person, so the audit event names the requester and says why.
    """
    if requester.id != ticket.user_id:
        raise PermissionDenied("Only the requester can ask for a person.")
    if ticket.needs_human:
        return False
    if ticket.status == "closed":
        raise TicketError("This ticket is closed. Reopen it to ask for a person.")
    changed = ticket_service.update_ticket(
        ticket,
        requester,
        {"needs_human": True},
        detail=f"{HANDOVER_DETAIL} ({via})",
    )
    return bool(changed)
