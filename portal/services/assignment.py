"""Auto-assignment: a triaged ticket goes to the least-loaded active staff member who handles
its category. Nobody available → it stays unassigned, and the audit timeline says why.

Listens to "ticket_triaged"(ticket_id), which the triage task dispatches after triage (also
when the AI is off). Staff choose their categories on their profile page.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from portal.extensions import db
from portal.models import CATEGORIES, Ticket, User
from portal.services import tickets as ticket_service
from portal.services.errors import TicketError
from portal.services.settings import get_setting
from portal.services.users import staff_members

log = logging.getLogger(__name__)

OPEN_STATUSES = ("open", "in_progress")


# ---------------------------------------------------------------------------- staff categories


def set_categories(user: User, categories: list[str]) -> list[str]:
    """Store the categories a staff member handles (validated, de-duplicated, in list order)."""
    if not user.is_staff:
        raise TicketError("Only staff handle categories.", field="categories")
    unknown = [c for c in categories if c not in CATEGORIES]
    if unknown:
        raise TicketError("Choose categories from the list.", field="categories")
    chosen = [c for c in CATEGORIES if c in set(categories)]
    user.categories = chosen
    db.session.commit()
    return chosen


def open_load(user_ids: list[int]) -> dict[int, int]:
    """Open + in-progress tickets assigned to each of `user_ids`."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(Ticket.assigned_to_id, sa.func.count())
        .where(Ticket.assigned_to_id.in_(user_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assigned_to_id)
    ).all()
    load = dict.fromkeys(user_ids, 0)
    load.update({uid: n for uid, n in rows})
    return load


def staff_for_category(category: str) -> list[User]:
    """Active, non-bot staff and admins who chose `category` on their profile."""
    # A JSON list has no portable "contains" in SQL; the staff table is small.
    return [u for u in staff_members() if category in (u.categories or [])]


def coverage() -> dict[str, list[str]]:
    """Who handles each category: a category nobody handles stays unassigned."""
    people = staff_members()
    return {c: [u.name for u in people if c in (u.categories or [])] for c in CATEGORIES}


def open_by_category() -> dict[str | None, tuple[int, int]]:
    """{category (None for uncategorised): (open + in-progress tickets, of which unassigned)}."""
    rows = db.session.execute(
        sa.select(
            Ticket.category,
            sa.func.count(),
            sa.func.sum(sa.case((Ticket.assigned_to_id.is_(None), 1), else_=0)),
        )
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.category)
    ).all()
    return {category: (total, unassigned or 0) for category, total, unassigned in rows}


def set_category_matrix(
    matrix: dict[int, list[str]], seen: dict[int, list[str]] | None = None
) -> list[User]:
    """Set the categories of several staff members at once (the admin's matrix).

    Everything is checked before anything is written, and one commit saves it all: a bad
    category or a person who is not active staff raises TicketError and changes nothing.
    An empty list is valid (the person handles nothing). Returns the people whose categories
    changed.
    """
    unknown = sorted({str(c) for cats in matrix.values() for c in cats if c not in CATEGORIES})
    if unknown:
        shown = ", ".join(repr(c[:40]) for c in unknown[:3])
        raise TicketError(
            f"Choose categories from the list ({shown} is not one).", field="categories"
        )
    people = {
        u.id: u
        for u in db.session.scalars(sa.select(User).where(User.id.in_(list(matrix))))
        if u.is_staff and u.active and not u.is_bot
    }
    missing = [uid for uid in matrix if uid not in people]
    if missing:
        raise TicketError(
            f"User #{missing[0]} is not active staff: reload the page and try again.",
            field="people",
        )
    # `seen`: each row as the form showed it. A row the admin left alone is not written (a
    # staff member may have changed their own categories meanwhile); a row both changed is
    # refused, so nobody's change is lost unseen.
    seen = seen or {}
    writes: dict[int, list[str]] = {}
    for uid, categories in matrix.items():
        person = people[uid]
        chosen = [c for c in CATEGORIES if c in set(categories)]
        current = list(person.categories or [])
        if uid in seen:
            shown = [c for c in CATEGORIES if c in set(seen[uid])]
            if chosen == shown:
                continue
            if current != shown:
                raise TicketError(
                    f"{person.name}'s categories changed after you opened this page; "
                    "review them and save again.",
                    field="people",
                )
        if chosen != current:
            writes[uid] = chosen
    for uid, chosen in writes.items():
        people[uid].categories = chosen
    db.session.commit()
    return [people[uid] for uid in writes]


def least_loaded_staff(category: str) -> User | None:
    candidates = staff_for_category(category)
    if not candidates:
        return None
    load = open_load([u.id for u in candidates])
    return min(candidates, key=lambda u: (load[u.id], u.id))


# ---------------------------------------------------------------------------- auto-assign


def _note_unassigned(ticket: Ticket, detail: str) -> None:
    """An audit event, attributed to the system, saying why nobody was assigned (once)."""
    last = ticket.events[-1] if ticket.events else None
    if last is not None and last.field == "assignee" and last.detail == detail:
        return
    ticket_service.record_event(ticket, "assignee", actor_kind="system", detail=detail)


def auto_assign(ticket_id: int) -> User | None:
    """Assign per TICKET_AUTO_ASSIGN; returns the assignee, or None when nobody was assigned."""
    if not get_setting("TICKET_AUTO_ASSIGN"):
        return None
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.assigned_to_id is not None:
        return None
    if ticket.status not in OPEN_STATUSES:
        return None
    if not ticket.category:
        return None  # it waits for a category (staff set one, or assign by hand)
    assignee = least_loaded_staff(ticket.category)
    if assignee is None:
        _note_unassigned(ticket, f"no staff member handles {ticket.category}")
        return None
    ticket_service.update_ticket(
        ticket,
        None,
        {"assigned_to_id": assignee.id},
        actor_kind="system",
        detail=f"auto-assigned: least loaded for {ticket.category}",
    )
    return assignee


def on_ticket_triaged(ticket_id: int, **_: Any) -> None:
    try:
        auto_assign(ticket_id)
    except Exception:  # assignment is a convenience: the ticket is already saved
        log.exception("auto-assign failed for ticket %s", ticket_id)
        db.session.rollback()
