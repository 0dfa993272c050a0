"""Auto-assignment on "ticket_triaged": least-loaded active staff for the category, or visibly none."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import Notification, Ticket, TicketEvent
from portal.services import settings as settings_service
from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user


@pytest.fixture(autouse=True)
def _manual(quiet_ai):
    """quiet_ai (tests/conftest.py) in place of this folder's manual_only: the AI stays quiet
    and auto-assign is off until a test switches it on."""


def staff_with(*categories, active=True, role="staff"):
    person = make_user(role, active=active)
    person.categories = list(categories)
    db.session.commit()
    return person


def triaged(ticket, *, auto_assign: bool = True) -> Ticket:
    settings_service.update_settings({"TICKET_AUTO_ASSIGN": auto_assign})
    try:
        events.dispatch(events.TICKET_TRIAGED, ticket_id=ticket.id)
    finally:
        settings_service.update_settings({"TICKET_AUTO_ASSIGN": False})
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def load(person, n, user):
    for _ in range(n):
        ticket_service.assign_ticket(make_ticket(user, category="general"), person, person)


def assignee_events(ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "assignee")
            .order_by(TicketEvent.id)
        )
    )


def test_least_loaded_staff_who_handles_the_category(user, admin):
    busy = staff_with("billing")
    free = staff_with("billing", "technical")
    other = staff_with("technical")  # does not handle billing, and has nothing to do
    load(busy, 2, user)
    load(free, 1, user)
    done = make_ticket(user, category="general")
    ticket_service.assign_ticket(done, admin, free)
    ticket_service.resolve_ticket(done, admin)  # resolved work is not load

    ticket = triaged(make_ticket(user, category="billing"))
    assert ticket.assigned_to_id == free.id != other.id
    (event,) = assignee_events(ticket)
    assert event.actor_kind == "system" and event.actor_id is None
    assert event.detail == "auto-assigned: least loaded for billing"
    assert event.new_value == free.name
    note = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == free.id, Notification.ticket_id == ticket.id
        )
    )
    assert note.kind == "assigned"


def test_ties_go_to_the_longest_serving_and_admins_count(user):
    first = staff_with("bug_report", role="admin")
    staff_with("bug_report")
    ticket = triaged(make_ticket(user, category="bug_report"))
    assert ticket.assigned_to_id == first.id


def test_inactive_staff_and_plain_users_are_skipped(user):
    staff_with("billing", active=False)
    pretender = make_user("user")
    pretender.categories = ["billing"]
    db.session.commit()
    ticket = triaged(make_ticket(user, category="billing"))
    assert ticket.assigned_to_id is None
    (event,) = assignee_events(ticket)
    assert event.detail == "no staff member handles billing"
    assert event.actor_kind == "system" and event.actor_id is None


def test_nobody_available_is_visible_on_the_staff_page_once(client, login_as, user, staff):
    ticket = triaged(make_ticket(user, category="feature_request"))
    triaged(ticket)  # a second triage does not repeat the note
    assert ticket.assigned_to_id is None
    assert len(assignee_events(ticket)) == 1
    login_as(staff)
    page = client.get(f"/staff/tickets/{ticket.id}/").data.decode()
    assert "no staff member handles feature_request" in page


def test_uncategorised_ticket_waits_for_a_category(user):
    staff_with("general")
    ticket = triaged(make_ticket(user))
    assert ticket.assigned_to_id is None and assignee_events(ticket) == []


def test_setting_off_does_nothing(user):
    staff_with("billing")
    ticket = triaged(make_ticket(user, category="billing"), auto_assign=False)
    assert ticket.assigned_to_id is None and assignee_events(ticket) == []


def test_already_assigned_or_closed_tickets_are_left_alone(user, admin):
    staff_with("billing")
    chosen = staff_with()
    ticket = make_ticket(user, category="billing")
    ticket_service.assign_ticket(ticket, admin, chosen)
    assert triaged(ticket).assigned_to_id == chosen.id
    closed = make_ticket(user, category="billing")
    ticket_service.close_ticket(closed, user)
    assert triaged(closed).assigned_to_id is None
    assert assignee_events(closed) == []


def test_unknown_ticket_is_ignored(app):
    events.dispatch(events.TICKET_TRIAGED, ticket_id=999_999)  # no error


def test_a_new_ticket_is_assigned_after_triage(client, login_as, user):
    """End to end: the form saves, the triage task dispatches "ticket_triaged", we assign."""
    person = staff_with("technical")
    settings_service.update_settings({"TICKET_AUTO_ASSIGN": True})
    login_as(user)
    resp = client.post(
        "/tickets/new",
        data={"title": "VPN drops", "description": "Every hour.", "category": "technical"},
    )
    assert resp.status_code == 303
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.title == "VPN drops"))
    assert ticket.assigned_to_id == person.id
