"""Bulk actions on the staff queue: one change (assignee, status, priority or category)
applied to many tickets, each through the one-ticket service path (tickets.update_ticket), so
each change is permission-checked, version-checked, audited and clears caches exactly as a
single change does. What could not be changed is reported with its reason; the rest still go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.extensions import db
from portal.models import CATEGORIES, LABELS, PRIORITIES, STATUSES, Ticket, User
from portal.models.base import parse_id
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, StaleTicket, TicketError
from portal.services.queue import can_view
from portal.services.users import staff_members

MAX_BULK = 200  # ticket ids one request may name
ACTIONS = ("assign", "status", "priority", "category")
_LISTED = 20  # failures named one by one in the summary; the rest are counted


@dataclass
class BulkResult:
    updated: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # ticket id -> reason, in order

    @property
    def summary(self) -> str:
        """What the agent reads: "Updated 7 tickets. Not changed: #12 (merged into #9), …"."""
        n = len(self.updated)
        parts = [
            f"Updated {n} {'ticket' if n == 1 else 'tickets'}." if n else "No tickets updated."
        ]
        if self.failed:
            items = [f"#{i} ({why})" for i, why in list(self.failed.items())[:_LISTED]]
            more = len(self.failed) - _LISTED
            if more > 0:
                items.append(f"and {more} more")
            parts.append("Not changed: " + ", ".join(items))
        return " ".join(parts)


def parse_ticket_ids(values: list[str]) -> list[int]:
    """The checked ticket ids, de-duplicated in order; TicketError for none, too many or junk."""
    if not values:
        raise TicketError("Select at least one ticket.", field="ticket_ids")
    if len(values) > MAX_BULK:
        raise TicketError(
            f"Select at most {MAX_BULK} tickets at a time ({len(values)} were sent).",
            field="ticket_ids",
        )
    ids: list[int] = []
    for value in values:
        ident = parse_id(value)
        if ident is None:
            raise TicketError(
                "Those are not ticket numbers: reload the queue and try again.", field="ticket_ids"
            )
        if ident not in ids:
            ids.append(ident)
    return ids


def parse_versions(text: str | None) -> dict[int, int]:
    """ "12:3 15:1": the version of each ticket as the queue showed it (junk is ignored)."""
    out: dict[int, int] = {}
    for pair in (text or "").split()[: MAX_BULK * 5]:
        ident, _, version = pair.partition(":")
        ticket_id, seen = parse_id(ident), parse_id(version)
        if ticket_id is not None and seen is not None:
            out[ticket_id] = seen
    return out


def build_changes(actor: User, action: str | None, value: str | None) -> dict[str, Any]:
    """The one-ticket service's `changes` for a bulk action, checked before any ticket is."""
    value = (value or "").strip()
    if action == "assign":
        if value == "me":
            return {"assigned_to_id": actor.id}
        if value in ("", "none"):
            return {"assigned_to_id": None}
        ident = parse_id(value)
        if ident is None or ident not in {u.id for u in staff_members()}:
            raise TicketError("Choose a staff member from the list.", field="assignee")
        return {"assigned_to_id": ident}
    if action == "status":
        if value not in STATUSES:
            raise TicketError("Choose a status from the list.", field="status")
        return {"status": value}
    if action == "priority":
        if value not in PRIORITIES:
            raise TicketError("Choose a priority from the list.", field="priority")
        return {"priority": value}
    if action == "category":
        if value not in CATEGORIES:
            raise TicketError("Choose a category from the list.", field="category")
        return {"category": value}
    raise TicketError("Choose what to change.", field="action")


def _already(changes: dict[str, Any]) -> str:
    (name, value), *_ = changes.items()
    if name == "assigned_to_id":
        if value is None:
            return "already unassigned"
        person = db.session.get(User, value)
        return f"already assigned to {person.name if person else 'them'}"
    if name == "status":
        return f"already {LABELS.get(value, value).lower()}"
    if name == "priority":
        return f"already {LABELS.get(value, value).lower()} priority"
    return f"already {LABELS.get(value, value)}"


def bulk_update(
    actor: User,
    ticket_ids: list[int],
    changes: dict[str, Any],
    *,
    versions: dict[int, int] | None = None,
) -> BulkResult:
    """Apply `changes` to each ticket through tickets.update_ticket, one commit per ticket.

    `versions` holds the version each ticket had when the queue was shown: a ticket changed
    since is refused (as the one-ticket form refuses it). Missing, unseen and merged tickets
    are reported, never fatal.
    """
    if not actor.is_staff:
        raise PermissionDenied("Only staff can change tickets in bulk.")
    if len(ticket_ids) > MAX_BULK:
        raise TicketError(f"Select at most {MAX_BULK} tickets at a time.", field="ticket_ids")
    versions = versions or {}
    result = BulkResult()
    for ticket_id in ticket_ids:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None or not can_view(actor, ticket):
            result.failed[ticket_id] = "not found"
            continue
        if ticket.merged_into_id is not None:
            result.failed[ticket_id] = f"merged into #{ticket.merged_into_id}"
            continue
        try:
            changed = ticket_service.update_ticket(
                ticket, actor, dict(changes), expected_version=versions.get(ticket_id)
            )
        except StaleTicket:
            db.session.rollback()
            result.failed[ticket_id] = "changed by someone else after the queue loaded"
            continue
        except (TicketError, PermissionDenied) as e:
            db.session.rollback()
            message = getattr(e, "message", None) or str(e) or "not allowed"
            result.failed[ticket_id] = message.rstrip(".")
            continue
        if changed:
            result.updated.append(ticket_id)
        else:
            result.failed[ticket_id] = _already(changes)
    return result
