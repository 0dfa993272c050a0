"""Version tokens (services/live.py): each changes when what its page shows changes, and only
then; the requester's token never moves for an internal note."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.services import live, reply_changes
from portal.services import notifications as notification_service
from portal.services import tickets as ticket_service
from tests.factories import make_reply, make_ticket, make_user


@pytest.fixture
def ticket(user):
    return make_ticket(user, title="Exam page blank")


def test_tokens_are_stable_while_nothing_changes(ticket, user):
    assert live.queue_token() == live.queue_token()
    assert live.staff_ticket_token(ticket.id) == live.staff_ticket_token(ticket.id)
    assert live.ticket_token(ticket.id) == live.ticket_token(ticket.id)
    assert live.notifications_token(user) == live.notifications_token(user)


def test_a_public_reply_changes_every_ticket_token_and_the_queue(ticket, staff):
    before = (live.queue_token(), live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    make_reply(ticket, staff, "We are on it.")
    after = (live.queue_token(), live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    assert all(b != a for b, a in zip(before, after, strict=True))


def test_an_internal_note_moves_the_staff_token_only(ticket, staff):
    customer, staff_view = live.ticket_token(ticket.id), live.staff_ticket_token(ticket.id)
    make_reply(ticket, staff, "VIP: handle with care", internal=True)
    assert live.ticket_token(ticket.id) == customer
    assert live.staff_ticket_token(ticket.id) != staff_view


def test_field_changes_move_queue_and_both_ticket_tokens(ticket, staff):
    before = (live.queue_token(), live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    ticket_service.update_ticket(ticket, staff, {"status": "in_progress", "priority": "urgent"})
    after = (live.queue_token(), live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    assert all(b != a for b, a in zip(before, after, strict=True))


def test_a_new_ticket_moves_the_queue_but_not_another_ticket(ticket, user):
    queue, mine = live.queue_token(), live.ticket_token(ticket.id)
    make_ticket(user, title="Another one")
    assert live.queue_token() != queue
    assert live.ticket_token(ticket.id) == mine


def test_an_edited_public_reply_moves_the_requester_token(ticket, staff):
    reply = make_reply(ticket, staff, "Try again tomorrow.")
    before = live.ticket_token(ticket.id)
    reply_changes.edit_reply(reply, staff, "Try again tomorrow morning, after 9.")
    assert live.ticket_token(ticket.id) != before


def test_notifications_token_follows_unread_and_new(user, staff):
    other = make_user("user")
    before = live.notifications_token(user)
    ticket = make_ticket(user, title="Wifi")
    make_reply(ticket, staff, "Reply that notifies the requester")
    after_new = live.notifications_token(user)
    assert after_new != before
    assert notification_service.mark_all_read(user) >= 1
    assert live.notifications_token(user) != after_new
    # Someone else's notifications are not in this token.
    mine = live.notifications_token(user)
    make_reply(make_ticket(other, title="Theirs"), staff, "Reply to them")
    assert live.notifications_token(user) == mine


def test_missing_ticket_has_no_token(app):
    assert live.staff_ticket_token(999_999) is None
    assert live.ticket_token(999_999) is None


@pytest.mark.parametrize(
    "scope",
    [
        "",
        "queue2",
        "ticket-",
        "ticket-abc",
        "ticket-0",
        "ticket-" + "9" * 40,
        "staff-ticket-\ud800",
    ],
)
def test_malformed_scopes_are_not_found(user, scope):
    with pytest.raises(live.ScopeNotFound):
        live.token_for(user, scope)


def test_requesters_cannot_poll_staff_scopes_or_others_tickets(user, other_user, staff, ticket):
    for scope in ("queue", f"staff-ticket-{ticket.id}"):
        with pytest.raises(live.ScopeNotFound):
            live.token_for(user, scope)
    with pytest.raises(live.ScopeNotFound):
        live.token_for(other_user, f"ticket-{ticket.id}")
    assert live.token_for(user, f"ticket-{ticket.id}") == live.ticket_token(ticket.id)
    assert live.token_for(staff, "queue") == live.queue_token()


def test_newer_public_replies_are_what_arrived_after_the_seen_id(ticket, user, staff):
    first = make_reply(ticket, user, "First")
    make_reply(ticket, staff, "A note", internal=True)
    mine = make_reply(ticket, staff, "My own reply")
    second = make_reply(ticket, user, "Second, while you typed")
    newer = live.newer_public_replies(ticket, first.id, staff)
    assert [r.id for r in newer] == [second.id]  # not the note, not the viewer's own
    assert live.newer_public_replies(ticket, second.id, staff) == []
    assert live.last_public_id(ticket) == second.id
    assert mine.id < second.id
    db.session.rollback()


def test_a_deleted_reply_moves_both_tokens(ticket, staff):
    reply = make_reply(ticket, staff, "Sent to the wrong ticket")
    before = (live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    reply_changes.delete_reply(reply, staff)
    after = (live.staff_ticket_token(ticket.id), live.ticket_token(ticket.id))
    assert before[0] != after[0] and before[1] != after[1]
