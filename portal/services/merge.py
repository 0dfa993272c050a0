"""Merging duplicate tickets: one ticket operation, from the staff page, a surge or the API.

``merge_tickets(source, target, actor=...)`` moves the source's replies (public and internal)
into the target, where they keep their time and say which ticket they came from; copies the
source's description there as its requester's first message; makes the source's requester
(and whoever followed the source) a participant of the target, so they read its public thread
and hear of its public replies; closes the source with a system note and a pointer to the
target; audits both tickets; and dispatches ``ticket_merged`` (notifications follow).

Nothing here asks a model: suggestions and surges come from portal.ai.similarity through
services.surges, and merging works the same with the AI switched off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import Ticket, TicketParticipant, TicketResponse, User
from portal.models.base import parse_id, utcnow
from portal.services.cache import clear_queue_counts, clear_surges
from portal.services.errors import NotFound, PermissionDenied, StaleTicket, TicketError
from portal.services.tickets import _event, _set_status, get_bot_user

log = logging.getLogger(__name__)

MAX_BULK = 200  # tickets one bulk merge takes on


class AlreadyMerged(StaleTicket):
    """The source was merged meanwhile (a replayed or second form): a conflict, not a typo."""


@dataclass
class MergePreview:
    """What a merge will do, for the confirmation page."""

    source: Ticket
    target: Ticket
    public_replies: int
    internal_notes: int
    requesters_differ: bool
    new_participants: list[User] = field(default_factory=list)


@dataclass
class BulkResult:
    target: Ticket
    merged: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, reason)


def _followers(ticket: Ticket) -> list[User]:
    """The requester and the participants of a ticket, requester first."""
    people = [ticket.user]
    people += [p.user for p in ticket.participants if p.user_id != ticket.user_id]
    return people


def _new_participants(source: Ticket, target: Ticket) -> list[User]:
    have = {target.user_id} | {p.user_id for p in target.participants}
    out: list[User] = []
    for person in _followers(source):
        if person.id not in have and not person.is_bot:
            have.add(person.id)
            out.append(person)
    return out


def check_merge(source: Ticket, target: Ticket, actor: User) -> None:
    """Raise when the merge is not allowed; the same rules the merge itself applies."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can merge tickets.")
    if source.id == target.id:
        raise TicketError("A ticket cannot be merged into itself.", field="into")
    if source.merged_into_id is not None:
        raise AlreadyMerged(
            f"Ticket #{source.id} was already merged into #{source.merged_into_id}."
        )
    seen = {target.id}
    ticket = target
    while ticket.merged_into_id is not None:  # where the target went, and on
        if ticket.merged_into_id == source.id:
            raise TicketError(
                f"#{target.id} was merged into #{source.id}: merging back would make a loop.",
                field="into",
            )
        ticket = db.session.get(Ticket, ticket.merged_into_id)
        if ticket is None or ticket.id in seen:
            break
        seen.add(ticket.id)
    if target.merged_into_id is not None:
        raise TicketError(
            f"#{target.id} was itself merged into #{target.merged_into_id}: "
            f"merge into #{target.merged_into_id} instead.",
            field="into",
        )
    if target.status == "closed":
        raise TicketError(f"#{target.id} is closed: reopen it first.", field="into")


def preview(source: Ticket, target: Ticket, actor: User) -> MergePreview:
    check_merge(source, target, actor)
    return MergePreview(
        source=source,
        target=target,
        public_replies=sum(1 for r in source.responses if not r.is_internal),
        internal_notes=sum(1 for r in source.responses if r.is_internal),
        requesters_differ=source.user_id != target.user_id,
        new_participants=_new_participants(source, target),
    )


def find_target(actor: User, value) -> Ticket:
    """A target ticket from what staff typed: "123" or "#123"."""
    text = str(value if value is not None else "").strip().removeprefix("#").strip()
    # At most 10 digits before int(): Python refuses to convert more than 4,300.
    number = parse_id(text)
    if number is None:
        raise TicketError("Enter a ticket number, such as #123.", field="into")
    ticket = db.session.get(Ticket, number)
    if ticket is None or not actor.is_staff:
        raise TicketError(f"There is no ticket #{int(text)}.", field="into")
    return ticket


def merge_tickets(
    source: Ticket,
    target: Ticket,
    *,
    actor: User,
    expected_version: int | None = None,
    announce: bool = True,
) -> Ticket:
    """Merge `source` into `target`; returns the target. Staff only.

    A stale `expected_version` (the source changed after the form was loaded, or was merged
    already) raises StaleTicket and changes nothing. `announce=False` leaves out the system
    note on the target (a bulk merge writes one note for all its tickets).
    """
    if not actor.is_staff:
        raise PermissionDenied("Only staff can merge tickets.")
    # Lock both rows (PostgreSQL) in id order, so two merges of the same pair cannot deadlock
    # and the second one sees the first one's result.
    for ticket in sorted((source, target), key=lambda t: t.id):
        db.session.refresh(ticket, with_for_update=True)
    if source.merged_into_id is not None and expected_version is not None:
        raise AlreadyMerged(
            f"Ticket #{source.id} was already merged into #{source.merged_into_id}."
        )
    if expected_version is not None and expected_version != source.version:
        raise StaleTicket(
            f"Ticket #{source.id} changed after you opened this page. Review it and try again."
        )
    check_merge(source, target, actor)

    now = utcnow()
    moved = list(source.responses)
    for reply in moved:
        reply.ticket = target
        reply.merged_from_id = reply.merged_from_id or source.id
    # The source's own words open its part of the thread, at the time they were written.
    db.session.add(
        TicketResponse(
            ticket=target,
            user_id=source.user_id,
            response_type="user",
            content=f"{source.title}\n\n{source.description}",
            is_internal=False,
            merged_from_id=source.id,
            created_at=source.created_at,
        )
    )
    added = _new_participants(source, target)
    for person in added:
        db.session.add(
            TicketParticipant(
                ticket=target, user_id=person.id, via_ticket_id=source.id, added_by_id=actor.id
            )
        )
    bot = get_bot_user()
    db.session.add(
        TicketResponse(
            ticket=source,
            user_id=bot.id,
            response_type="system",
            content=f"Merged into #{target.id}. The conversation continues there.",
            created_at=now,
        )
    )
    if announce:
        _announce(target, [source.id], bot=bot, at=now)
    source.merged_into_id = target.id
    _set_status(source, actor, "closed", actor_kind="user", detail=f"merged into #{target.id}")
    _event(source, actor, "merged_into", None, f"#{target.id}", detail=target.title)
    names = ", ".join(p.name for p in added)
    _event(
        target,
        actor,
        "merged",
        None,
        f"#{source.id}",
        detail=f"{len(moved)} {'reply' if len(moved) == 1 else 'replies'} moved"
        + (f"; now following: {names}" if names else ""),
    )
    for ticket in (source, target):
        ticket.version += 1
        ticket.updated_at = now
    target.last_activity_at = now
    source.last_activity_at = now
    db.session.commit()
    clear_queue_counts()
    clear_surges()
    try:
        events.dispatch(
            events.TICKET_MERGED,
            source_id=source.id,
            target_id=target.id,
            actor_id=actor.id,
            participant_ids=[p.id for p in added],
            tell_target=announce,  # a bulk merge tells the target's requester once, at the end
        )
    except Exception:  # the queue being down must never undo a merge
        log.exception("could not dispatch ticket_merged")
    return target


def _announce(target: Ticket, ids: list[int], *, bot: User, at) -> None:
    """The system note on the target that says which tickets were merged into it."""
    # A public note: the requester and followers read it, so it names no other ticket's
    # number (staff see the numbers in the history and on each moved message).
    if len(ids) == 1:
        text = "Another request about the same problem was merged into this ticket; "
        text += "its messages are marked \u201cfrom a merged request\u201d."
    else:
        text = f"{len(ids)} other requests about the same problem were merged into this "
        text += "ticket; their messages are marked \u201cfrom a merged request\u201d."
    db.session.add(
        TicketResponse(
            ticket=target, user_id=bot.id, response_type="system", content=text, created_at=at
        )
    )


def merge_many(target: Ticket, sources: list[tuple[int, int | None]], *, actor: User) -> BulkResult:
    """Merge each (ticket id, version seen) into `target`, one by one; what could not be
    merged is reported with its reason and the rest still go."""
    if not actor.is_staff:
        raise PermissionDenied("Only staff can merge tickets.")
    result = BulkResult(target=target)
    for ticket_id, version in sources[:MAX_BULK]:
        if ticket_id == target.id:
            continue
        source = db.session.get(Ticket, ticket_id)
        try:
            if source is None:
                raise NotFound(ticket_id)
            merge_tickets(source, target, actor=actor, expected_version=version, announce=False)
        except NotFound:
            db.session.rollback()
            result.failed.append((ticket_id, "it no longer exists"))
        except TicketError as e:
            db.session.rollback()
            result.failed.append((ticket_id, e.message))
        else:
            result.merged.append(ticket_id)
    if result.merged:
        _announce(target, result.merged, bot=get_bot_user(), at=utcnow())
        db.session.commit()
        try:
            events.dispatch(
                events.TICKET_MERGED,
                source_id=None,
                source_ids=list(result.merged),
                target_id=target.id,
                actor_id=actor.id,
            )
        except Exception:  # the queue being down must never undo a merge
            log.exception("could not dispatch ticket_merged")
    return result


def merged_here(target: Ticket) -> list[Ticket]:
    """Tickets merged into this one, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Ticket).where(Ticket.merged_into_id == target.id).order_by(Ticket.id)
        )
    )
