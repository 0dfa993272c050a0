"""What a merge leaves pointing from ticket to ticket, and what deleting one of them does.

A merged ticket points at its target (``merged_into_id``), the replies it brought point back
at it (``merged_from_id``), and its requester follows the target (``via_ticket_id``). Called by
``tickets.delete_ticket`` before the delete; it commits nothing itself.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, TicketParticipant, TicketResponse, User
from portal.models.base import utcnow


def _merged_under(source: Ticket) -> set[int]:
    """The source and every ticket merged into it, at any depth."""
    found = {source.id}
    frontier = [source.id]
    while frontier:
        below = db.session.scalars(
            sa.select(Ticket.id).where(Ticket.merged_into_id.in_(frontier))
        ).all()
        frontier = [i for i in below if i not in found]
        found.update(frontier)
    return found


def detach_merges(ticket: Ticket, *, bot: User) -> None:
    """Before `ticket` is deleted: nothing may keep pointing at it, and the tickets merged into
    it get their own messages back rather than lose them with it (or, when it was itself
    merged on, point where it went: their messages are there).

    The foreign keys say ON DELETE SET NULL, but SQLite applies none of them and reuses the
    highest id: a pointer left behind would name the next person's new ticket.
    """
    sources = db.session.scalars(
        sa.select(Ticket).where(Ticket.merged_into_id == ticket.id).order_by(Ticket.id)
    ).all()
    if ticket.merged_into_id is not None:
        # It was merged on itself: its sources' messages went on with it; they point there now.
        for source in sources:
            source.merged_into_id = ticket.merged_into_id
        sources = []
    home: dict[int, Ticket] = {}  # a merged ticket's id → the source its replies go back to
    for source in sources:
        home.update(dict.fromkeys(_merged_under(source), source))
    for reply in list(ticket.responses):
        source = home.get(reply.merged_from_id)
        if source is None:
            continue
        if (
            reply.merged_from_id == source.id
            and reply.response_type == "user"
            and reply.user_id == source.user_id
            and reply.created_at == source.created_at
            and reply.content == f"{source.title}\n\n{source.description}"
        ):
            continue  # the copy of its description the merge wrote: the source has the original
        reply.ticket = source
        if reply.merged_from_id == source.id:
            reply.merged_from_id = None  # back home: no longer "from" anywhere
    now = utcnow()
    for source in sources:
        source.merged_into_id = None
        db.session.add(
            TicketResponse(
                ticket=source,
                user_id=bot.id,
                response_type="system",
                content=f"#{ticket.id}, which this ticket was merged into, was deleted. "
                "The messages of this ticket are back here.",
                created_at=now,
            )
        )
        source.version += 1
        source.updated_at = now
    db.session.execute(
        sa.update(TicketResponse)
        .where(TicketResponse.merged_from_id == ticket.id)
        .values(merged_from_id=None)
    )
    db.session.execute(
        sa.update(TicketParticipant)
        .where(TicketParticipant.via_ticket_id == ticket.id)
        .values(via_ticket_id=None)
    )
