"""The ticket service: the one mutation path, its audit trail and status rules."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import CATEGORIES, Ticket, TicketEvent
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, StaleTicket, TicketError
from tests.factories import count, make_reply, make_ticket, make_user
from tests.helpers import snapshot


def _events(ticket, field=None):
    db.session.expire_all()
    stmt = db.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if field:
        stmt = stmt.where(TicketEvent.field == field)
    return list(db.session.scalars(stmt.order_by(TicketEvent.id)))


def test_create_writes_a_created_event(user):
    t = make_ticket(user, title="Hello")
    (event,) = _events(t, "created")
    assert (event.field, event.actor_id, event.new_value, event.actor_kind) == (
        "created",
        user.id,
        "Hello",
        "user",
    )


@pytest.mark.parametrize(
    ("changes", "field", "old", "new"),
    [
        ({"priority": "urgent"}, "priority", "medium", "urgent"),
        ({"category": "billing"}, "category", None, "billing"),
        ({"status": "in_progress"}, "status", "open", "in_progress"),
        ({"needs_human": True}, "needs_human", "False", "True"),
    ],
)
def test_every_change_is_audited_with_who_and_old_new(user, staff, changes, field, old, new):
    t = make_ticket(user)
    version = t.version
    changed = ticket_service.update_ticket(t, staff, changes)
    assert list(changed) == [field]
    (event,) = [e for e in _events(t, field) if e.actor_id == staff.id]
    assert (event.old_value, event.new_value) == (old, new)
    assert t.version == version + 1


def test_assignment_is_audited_by_name(user, staff):
    agent = make_user("staff", name="Agent Ann")
    t = make_ticket(user)
    ticket_service.assign_ticket(t, staff, agent)
    ticket_service.assign_ticket(t, staff, None)
    events = [e for e in _events(t, "assignee") if e.actor_id == staff.id]
    assert [(e.old_value, e.new_value) for e in events] == [
        (None, "Agent Ann"),
        ("Agent Ann", None),
    ]


def test_no_change_writes_nothing(user, staff):
    t = make_ticket(user)
    before = snapshot()
    assert ticket_service.update_ticket(t, staff, {"priority": "medium", "status": "open"}) == {}
    assert snapshot() == before


def test_ai_changes_are_attributed_to_the_ai(user):
    t = make_ticket(user)
    # The AI workflow may already have categorised it: pick a category it does not have.
    target = next(c for c in CATEGORIES if c != t.category)
    ticket_service.update_ticket(t, None, {"category": target}, actor_kind="ai")
    event = _events(t, "category")[-1]
    assert (event.new_value, event.actor_id, event.actor_kind) == (target, None, "ai")


def test_resolved_at_set_on_resolve_and_cleared_on_reopen(user, staff):
    t = make_ticket(user)
    assert t.resolved_at is None
    ticket_service.resolve_ticket(t, staff)
    assert t.resolved_at is not None
    ticket_service.close_ticket(t, staff)
    assert t.resolved_at is not None  # closing keeps when it was resolved
    ticket_service.reopen_ticket(t, staff)
    assert t.resolved_at is None


def test_replies_move_status(user, staff):
    t = make_ticket(user)
    make_reply(t, user, "more detail")
    assert t.status == "open"
    make_reply(t, staff, "internal", internal=True)
    assert t.status == "open"  # notes do not count as an answer
    make_reply(t, staff, "answer")
    assert t.status == "in_progress"
    ticket_service.resolve_ticket(t, staff)
    make_reply(t, user, "still broken")
    assert t.status == "open" and t.resolved_at is None
    status_events = _events(t, "status")
    assert [(e.old_value, e.new_value, e.detail) for e in status_events] == [
        ("open", "in_progress", "staff replied"),
        ("in_progress", "resolved", None),
        ("resolved", "open", "user replied"),
    ]


def test_internal_notes_do_not_touch_last_activity(user, staff):
    t = make_ticket(user)
    before = t.last_activity_at
    make_reply(t, staff, "note", internal=True)
    assert t.last_activity_at == before


def test_users_cannot_write_internal_notes(user):
    t = make_ticket(user)
    with pytest.raises(PermissionDenied):
        ticket_service.add_reply(t, user, "sneaky", internal=True)


def test_users_can_only_close_or_reopen_their_own(user, other_user):
    t = make_ticket(user)
    with pytest.raises(PermissionDenied):
        ticket_service.update_ticket(t, user, {"priority": "urgent"})
    with pytest.raises(PermissionDenied):
        ticket_service.update_ticket(t, user, {"status": "resolved"})
    with pytest.raises(PermissionDenied):
        ticket_service.update_ticket(t, other_user, {"status": "closed"})
    assert ticket_service.update_ticket(t, user, {"status": "closed"})


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "deleted"},
        {"priority": "meh"},
        {"category": "other"},
        {"assigned_to_id": 999},
        {"title": "renamed"},
    ],
)
def test_invalid_changes_raise_and_change_nothing(user, staff, changes):
    t = make_ticket(user)
    before = snapshot()
    with pytest.raises(TicketError):
        ticket_service.update_ticket(t, staff, changes)
    assert snapshot() == before


def test_cannot_assign_to_inactive_or_non_staff(user, staff):
    t = make_ticket(user)
    gone = make_user("staff", active=False)
    for person in (gone, user):
        with pytest.raises(TicketError):
            ticket_service.assign_ticket(t, staff, person)


def test_stale_version_raises_and_changes_nothing(user, staff):
    t = make_ticket(user)
    old = t.version
    ticket_service.update_ticket(t, staff, {"priority": "high"})
    before = snapshot()
    with pytest.raises(StaleTicket):
        ticket_service.update_ticket(t, staff, {"priority": "low"}, expected_version=old)
    assert snapshot() == before


def test_client_token_makes_create_and_reply_idempotent(user, other_user):
    a = make_ticket(user, client_token="abc")
    assert make_ticket(user, client_token="abc").id == a.id
    assert count(Ticket) == 1
    r1 = make_reply(a, user, "once", client_token="r")
    r2 = make_reply(a, user, "once", client_token="r")
    assert r1.id == r2.id


def test_oversized_client_token_is_ignored_not_an_error(user):
    t = make_ticket(user, client_token="x" * 300)
    assert t.id and (t.client_token is None or len(t.client_token) <= 64)
    r = make_reply(t, user, "hi", client_token="y" * 300)
    assert r.id


def test_event_values_are_truncated_to_fit(user):
    t = make_ticket(user, title="t" * 200)
    (event,) = _events(t, "created")
    assert len(event.new_value) <= 255


def test_bot_user_is_created_once_and_cannot_log_in(app):
    a = ticket_service.get_bot_user()
    b = ticket_service.get_bot_user()
    assert a.id == b.id and not a.is_active


def _race(monkeypatch, model):
    """Make the first token lookup miss, as when a twin request commits just after it."""
    real = ticket_service._by_token
    calls = {"n": 0}

    def lookup(m, token):
        calls["n"] += 1
        if m is model and calls["n"] == 1:
            return None
        return real(m, token)

    monkeypatch.setattr(ticket_service, "_by_token", lookup)


def test_racing_double_submit_returns_the_first_ticket(user, monkeypatch):
    first = make_ticket(user, client_token="race")
    _race(monkeypatch, Ticket)
    again = make_ticket(user, client_token="race")
    assert again.id == first.id
    assert count(Ticket) == 1


def test_racing_double_reply_returns_the_first_reply(user, monkeypatch):
    from portal.models import TicketResponse

    t = make_ticket(user)
    first = make_reply(t, user, "hello", client_token="race-r")
    _race(monkeypatch, TicketResponse)
    again = make_reply(t, user, "hello", client_token="race-r")
    assert again.id == first.id
    assert count(TicketResponse) == 1
