"""Merging tickets: the one service function, its rules, its audit and its notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Notification, TicketEvent, TicketParticipant
from portal.models.base import utcnow
from portal.services import merge as merge_service
from portal.services import surges as surge_service
from portal.services.errors import PermissionDenied, StaleTicket, TicketError
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import snapshot


@pytest.fixture
def pair(user, other_user, staff):
    target = make_ticket(user, title="VPN drops every few minutes")
    source = make_ticket(other_user, title="VPN keeps disconnecting")
    return source, target


def _notices(person, kind):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Notification.message).where(
            Notification.user_id == person.id, Notification.kind == kind
        )
    ).all()


def test_merge_moves_replies_in_time_order_and_marks_them(pair, user, other_user, staff):
    source, target = pair
    make_reply(target, staff, "target 1")
    make_reply(source, other_user, "source 1")
    make_reply(source, staff, "source note", internal=True)
    make_reply(target, user, "target 2")

    merge_service.merge_tickets(source, target, actor=staff)

    db.session.expire_all()
    thread = [(r.content, r.merged_from_id, r.is_internal) for r in target.responses]
    assert thread[0] == (f"{source.title}\n\n{source.description}", source.id, False)
    assert thread[1:5] == [
        ("target 1", None, False),
        ("source 1", source.id, False),
        ("source note", source.id, True),
        ("target 2", None, False),
    ]
    # The public note names no other requester's ticket number.
    assert thread[5][0].startswith("Another request about the same problem was merged")
    assert f"#{source.id}" not in thread[5][0]
    times = [r.created_at for r in target.responses]
    assert times == sorted(times)
    # The source keeps only the system note that points to the target.
    assert [r.content for r in source.responses] == [
        f"Merged into #{target.id}. The conversation continues there."
    ]
    assert source.responses[0].response_type == "system"
    assert (source.status, source.merged_into_id) == ("closed", target.id)


def test_merge_keeps_both_requesters_and_notifies_them(pair, user, other_user, staff):
    source, target = pair
    merge_service.merge_tickets(source, target, actor=staff)

    followers = db.session.scalars(
        sa.select(TicketParticipant.user_id).where(TicketParticipant.ticket_id == target.id)
    ).all()
    assert followers == [other_user.id]
    assert _notices(other_user, "merged") == [
        f"Your ticket #{source.id} was merged into #{target.id}; the conversation continues there: "
        f"{target.title}"
    ]
    assert _notices(user, "merged") == [
        f"Another request was merged into your ticket #{target.id}: {target.title}"
    ]
    assert _notices(staff, "merged") == []

    # Public replies on the target reach both requesters; internal notes reach nobody.
    make_reply(target, staff, "Fixed on our side", internal=True)
    assert _notices(other_user, "reply") == []
    make_reply(target, staff, "The VPN is back")
    assert len(_notices(other_user, "reply")) == 1
    assert len(_notices(user, "reply")) == 1


def test_merge_of_one_requesters_two_tickets_adds_nobody(user, staff):
    first = make_ticket(user, title="Printer offline")
    second = make_ticket(user, title="Printer still offline")
    merge_service.merge_tickets(second, first, actor=staff)
    assert first.participants == []
    assert len(_notices(user, "merged")) == 1


def test_merge_is_audited_on_both_tickets(pair, staff):
    source, target = pair
    merge_service.merge_tickets(source, target, actor=staff)
    db.session.expire_all()

    def fields(ticket):
        return {
            (e.field, e.new_value, e.actor_id)
            for e in db.session.scalars(
                sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
            )
        }

    assert ("merged_into", f"#{target.id}", staff.id) in fields(source)
    assert ("status", "closed", staff.id) in fields(source)
    assert ("merged", f"#{source.id}", staff.id) in fields(target)


def test_merge_carries_followers_of_the_source_along(user, other_user, staff):
    third = make_user("user")
    a = make_ticket(third, title="Wifi down in library")
    b = make_ticket(other_user, title="Library wifi down")
    c = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(a, b, actor=staff)
    merge_service.merge_tickets(b, c, actor=staff)
    followers = {p.user_id for p in c.participants}
    assert followers == {other_user.id, third.id}


def test_merge_refuses_self_loop_already_merged_and_closed(pair, user, staff):
    source, target = pair
    before = snapshot()
    with pytest.raises(TicketError) as e:
        merge_service.merge_tickets(source, source, actor=staff)
    assert e.value.field == "into" and "itself" in e.value.message
    assert snapshot() == before

    merge_service.merge_tickets(source, target, actor=staff)
    other = make_ticket(user, title="Something else")
    before = snapshot()
    with pytest.raises(TicketError) as e:  # back the other way: a loop
        merge_service.merge_tickets(target, source, actor=staff)
    assert "loop" in e.value.message and e.value.field == "into"
    with pytest.raises(StaleTicket) as e:  # the source again: already merged
        merge_service.merge_tickets(source, other, actor=staff)
    assert "already merged" in e.value.message
    with pytest.raises(TicketError) as e:  # into a merged ticket
        merge_service.merge_tickets(other, source, actor=staff)
    assert f"merge into #{target.id} instead" in e.value.message
    assert snapshot() == before

    closed = make_ticket(user, title="Old one")
    merge_service_close(closed, staff)
    with pytest.raises(TicketError, match="closed"):
        merge_service.merge_tickets(other, closed, actor=staff)


def merge_service_close(ticket, staff):
    from portal.services import tickets as ticket_service

    ticket_service.close_ticket(ticket, staff)


def test_stale_version_is_refused_and_changes_nothing(pair, staff):
    source, target = pair
    seen = source.version
    make_reply(source, staff, "a change after the page was loaded")
    before = snapshot()
    with pytest.raises(StaleTicket):
        merge_service.merge_tickets(source, target, actor=staff, expected_version=seen)
    assert snapshot() == before


def test_users_cannot_merge(pair, other_user):
    source, target = pair
    before = snapshot()
    with pytest.raises(PermissionDenied):
        merge_service.merge_tickets(source, target, actor=other_user)
    assert snapshot() == before


def test_merge_many_reports_what_failed(user, other_user, staff):
    target = make_ticket(user, title="Exam portal down")
    ok = make_ticket(other_user, title="Exam portal is down")
    stale = make_ticket(other_user, title="Cannot reach exam portal")
    seen = stale.version
    make_reply(stale, staff, "changed meanwhile")
    result = merge_service.merge_many(
        target, [(ok.id, ok.version), (stale.id, seen), (999_999, 1)], actor=staff
    )
    assert result.merged == [ok.id]
    assert [i for i, _ in result.failed] == [stale.id, 999_999]
    assert "changed" in result.failed[0][1]


def test_a_bulk_merge_tells_the_targets_requester_once(user, other_user, staff):
    target = make_ticket(user, title="Exam portal down")
    mine = make_ticket(user, title="Exam portal still down")
    sources = [make_ticket(make_user("user"), title=f"Exam portal down {i}") for i in range(6)]
    sources.append(make_ticket(other_user, title="Exam portal is down"))
    result = merge_service.merge_many(
        target, [(t.id, t.version) for t in [mine, *sources]], actor=staff
    )
    assert len(result.merged) == 8
    assert _notices(user, "merged") == [  # one notice for the others' seven, not seven
        f"Your ticket #{mine.id} was merged into #{target.id}; "
        f"the conversation continues there: {target.title}",
        f"7 other requests were merged into your ticket #{target.id}: {target.title}",
    ]
    assert _notices(other_user, "merged") == [
        f"Your ticket #{sources[-1].id} was merged into #{target.id}; "
        f"the conversation continues there: {target.title}"
    ]


# --------------------------------------------------------------------------- surges

VPN = [
    ("VPN keeps disconnecting", "Since this morning the campus VPN drops every few minutes."),
    ("VPN disconnects every few minutes", "The campus VPN connection drops constantly today."),
    ("Campus VPN down?", "VPN disconnecting all the time, I cannot work from home."),
]
OTHER = [
    ("Cannot pay my invoice", "The billing page rejects my card."),
    ("Grades page blank", "Course grades page shows nothing."),
]


def _make(user, texts):
    return [make_ticket(user, title=t, description=d) for t, d in texts]


def test_three_similar_new_tickets_are_a_surge(user, other_user):
    tickets = _make(user, VPN[:2]) + _make(other_user, VPN[2:]) + _make(user, OTHER)
    [surge] = surge_service.current_surges()
    assert sorted(surge.ids) == sorted(t.id for t in tickets[:3])
    assert surge.count == 3 and surge.oldest_id == tickets[0].id
    assert "vpn" in surge.terms
    assert surge.window_text == "the last hour"


def test_two_similar_tickets_are_no_surge(user):
    _make(user, VPN[:2] + OTHER)
    assert surge_service.current_surges() == []


def test_old_tickets_do_not_make_a_surge(user):
    tickets = _make(user, VPN)
    tickets[0].created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert surge_service.current_surges() == []


def test_merged_and_closed_tickets_leave_the_surge(user, staff):
    tickets = _make(user, VPN)
    assert len(surge_service.current_surges()) == 1
    merge_service.merge_tickets(tickets[1], tickets[0], actor=staff)
    assert surge_service.current_surges() == []  # the merge cleared the cached groups


def test_similar_tickets_suggests_merge_targets(user, other_user):
    tickets = _make(user, VPN) + _make(other_user, OTHER)
    suggested = [t.id for t, _ in surge_service.similar_tickets(tickets[0])]
    assert set(suggested) == {tickets[1].id, tickets[2].id}


def test_deleting_a_merged_ticket_leaves_nothing_pointing_at_it(pair, admin, staff, user):
    from portal.services import tickets as ticket_service

    source, target = pair  # the source is the newest ticket: SQLite hands its id out again
    make_reply(source, source.user, "source 1")
    merge_service.merge_tickets(source, target, actor=staff)
    ticket_service.delete_ticket(source, admin)  # the target keeps the moved replies
    db.session.expire_all()
    assert "source 1" in [r.content for r in target.responses]
    assert all(r.merged_from_id is None for r in target.responses)
    assert all(p.via_ticket_id is None for p in target.participants)
    stranger = make_ticket(make_user("user"), title="Someone else's ticket")
    assert stranger.id not in {r.merged_from_id for r in target.responses}
    ticket_service.delete_ticket(target, admin)


def test_deleting_the_target_gives_the_merged_tickets_their_messages_back(
    user, other_user, staff, admin
):
    from portal.services import tickets as ticket_service

    third = make_user("user")
    deep = make_ticket(third, title="VPN gone", description="Gone since noon.")
    make_reply(deep, third, "deep 1")
    source = make_ticket(other_user, title="VPN keeps disconnecting", description="Every 5 min.")
    make_reply(source, other_user, "source 1")
    make_reply(source, staff, "source note", internal=True)
    target = make_ticket(user, title="VPN drops every few minutes")  # the newest id
    merge_service.merge_tickets(deep, source, actor=staff)
    merge_service.merge_tickets(source, target, actor=staff)
    make_reply(target, staff, "target 1")

    ticket_service.delete_ticket(target, admin)
    db.session.expire_all()
    assert source.merged_into_id is None and deep.merged_into_id == source.id
    back = [(r.content, r.merged_from_id, r.is_internal) for r in source.responses]
    assert ("source 1", None, False) in back and ("source note", None, True) in back
    assert ("deep 1", deep.id, False) in back  # it was in the source, from #deep, before
    assert "target 1" not in [c for c, _, _ in back]
    assert not any(c.startswith("VPN keeps disconnecting\n\n") for c, _, _ in back)  # no copy
    assert "which this ticket was merged into, was deleted" in source.responses[-1].content
    # The freed id (SQLite hands it out again) belongs to a stranger's new ticket: no merged
    # ticket points there, and nobody follows it.
    stranger = make_ticket(make_user("user"), title="Private")
    assert merge_service.merged_here(stranger) == []
    assert stranger.participants == []
    ticket_service.reopen_ticket(source, other_user)  # no longer merged: it can go on
    assert source.status == "open"


def test_deleting_a_merged_target_points_its_sources_on(user, other_user, staff, admin):
    from portal.services import tickets as ticket_service

    first = make_ticket(other_user, title="VPN gone")
    make_reply(first, other_user, "first 1")
    middle = make_ticket(make_user("user"), title="VPN down")
    last = make_ticket(user, title="VPN drops")
    merge_service.merge_tickets(first, middle, actor=staff)
    merge_service.merge_tickets(middle, last, actor=staff)
    ticket_service.delete_ticket(middle, admin)
    db.session.expire_all()
    assert first.merged_into_id == last.id  # where its messages are, and its requester follows
    assert "first 1" in [r.content for r in last.responses]
    assert [r.response_type for r in first.responses] == ["system"]


def test_a_merged_ticket_stays_closed(pair, other_user, staff):
    from portal.services import tickets as ticket_service

    source, target = pair
    merge_service.merge_tickets(source, target, actor=staff)
    for actor in (other_user, staff):
        with pytest.raises(TicketError, match=f"merged into #{target.id}"):
            ticket_service.reopen_ticket(source, actor)
    assert source.status == "closed"


def test_followers_of_the_source_hear_of_the_next_merge(user, other_user, staff):
    third = make_user("user")
    a = make_ticket(third, title="Wifi down in library")
    b = make_ticket(other_user, title="Library wifi down")
    c = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(a, b, actor=staff)
    merge_service.merge_tickets(b, c, actor=staff)
    assert f"Ticket #{b.id}, which you follow, was merged into #{c.id}" in " ".join(
        _notices(third, "merged")
    )
