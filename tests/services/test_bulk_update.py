"""Bulk queue actions: each ticket through the one-ticket service path, audited, checked and
reported one by one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import Ticket, TicketEvent
from portal.services import bulk_update as bulk
from portal.services import merge as merge_service
from portal.services import queue as queue_service
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, TicketError
from tests.factories import make_ticket, make_user
from tests.helpers import extra_listener, snapshot


@pytest.fixture
def three(user):
    return [make_ticket(user, title=f"Printer {i}") for i in range(3)]


def _events(ticket_id: int, field: str) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        sa.select(TicketEvent.actor_id, TicketEvent.old_value, TicketEvent.new_value).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.field == field
        )
    ).all()


def test_status_for_each_ticket_is_audited_and_dispatched(app, three, staff):
    seen = []
    with extra_listener(app, events.TICKET_UPDATED, lambda **kw: seen.append(kw["ticket_id"])):
        result = bulk.bulk_update(staff, [t.id for t in three], {"status": "resolved"})
    assert result.updated == [t.id for t in three] and result.failed == {}
    assert result.summary == "Updated 3 tickets."
    for t in three:
        db.session.refresh(t)
        assert t.status == "resolved" and t.resolved_at is not None
        assert _events(t.id, "status") == [(staff.id, "open", "resolved")]
    assert sorted(seen) == sorted(t.id for t in three)


def test_counts_are_fresh_after_a_bulk_change(three, staff):
    assert queue_service.safe_status_counts()["open"] == 3  # now cached
    bulk.bulk_update(staff, [three[0].id, three[1].id], {"status": "closed"})
    counts = queue_service.safe_status_counts()
    assert counts["open"] == 1 and counts["closed"] == 2


def test_mixed_results_name_each_ticket_and_why(user, staff, three):
    done, already, merged = three
    ticket_service.resolve_ticket(already, staff)
    target = make_ticket(user, title="Printer (kept)")
    merge_service.merge_tickets(merged, target, actor=staff)
    missing = 999_999
    result = bulk.bulk_update(
        staff, [done.id, already.id, merged.id, missing], {"status": "resolved"}
    )
    assert result.updated == [done.id]
    assert result.failed == {
        already.id: "already resolved",
        merged.id: f"merged into #{target.id}",
        missing: "not found",
    }
    assert result.summary == (
        f"Updated 1 ticket. Not changed: #{already.id} (already resolved), "
        f"#{merged.id} (merged into #{target.id}), #{missing} (not found)"
    )


def test_a_ticket_changed_since_the_queue_loaded_is_refused(three, staff):
    first, second, _ = three
    seen = {first.id: first.version, second.id: second.version}
    ticket_service.update_ticket(second, staff, {"priority": "high"})  # someone else, meanwhile
    result = bulk.bulk_update(staff, [first.id, second.id], {"priority": "urgent"}, versions=seen)
    assert result.updated == [first.id]
    assert "changed by someone else" in result.failed[second.id]
    db.session.refresh(second)
    assert second.priority == "high"


def test_assign_to_me_a_colleague_and_nobody(three, staff):
    colleague = make_user("staff", name="Carla Colleague")
    ids = [t.id for t in three]
    changes = bulk.build_changes(staff, "assign", "me")
    assert bulk.bulk_update(staff, ids, changes).updated == ids
    changes = bulk.build_changes(staff, "assign", str(colleague.id))
    assert bulk.bulk_update(staff, ids[:1], changes).updated == ids[:1]
    assert _events(ids[0], "assignee")[-1] == (staff.id, staff.name, "Carla Colleague")
    result = bulk.bulk_update(staff, ids, bulk.build_changes(staff, "assign", "none"))
    assert result.updated == ids
    again = bulk.bulk_update(staff, ids[:1], bulk.build_changes(staff, "assign", "none"))
    assert again.failed == {ids[0]: "already unassigned"}


def test_a_plain_user_cannot_bulk_update(user, three):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        bulk.bulk_update(user, [three[0].id], {"status": "closed"})
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "value", "field"),
    [
        ("status", "deleted", "status"),
        ("priority", "", "priority"),
        ("category", "x" * 5000, "category"),
        ("assign", "99999999999", "assignee"),
        ("assign", "²", "assignee"),
        ("title", "New title", "action"),
        (None, None, "action"),
    ],
)
def test_bad_changes_are_refused_before_any_ticket(staff, action, value, field):
    with pytest.raises(TicketError) as err:
        bulk.build_changes(staff, action, value)
    assert err.value.field == field


def test_assigning_to_a_plain_user_is_refused(staff, user):
    with pytest.raises(TicketError):
        bulk.build_changes(staff, "assign", str(user.id))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "Select at least one ticket."),
        ([str(i) for i in range(1, 202)], "at most 200"),
        (["12", "abc"], "not ticket numbers"),
        (["-1"], "not ticket numbers"),
        (["99999999999999999999"], "not ticket numbers"),
        (["\ud800"], "not ticket numbers"),
        (["1\x00"], "not ticket numbers"),
    ],
)
def test_bad_id_lists(values, message):
    with pytest.raises(TicketError) as err:
        bulk.parse_ticket_ids(values)
    assert message in err.value.message


def test_ids_are_deduplicated_in_order():
    assert bulk.parse_ticket_ids(["5", "3", "5", " 7 "]) == [5, 3, 7]


def test_versions_ignore_junk():
    assert bulk.parse_versions("4:2 x:1 5: 6:abc 7:3 \ud800:1") == {4: 2, 7: 3}


def test_only_allowed_fields_reach_the_service(three, staff):
    result = bulk.bulk_update(staff, [three[0].id], {"title": "hacked"})
    assert "title" in result.failed[three[0].id]
    assert db.session.get(Ticket, three[0].id).title == "Printer 0"
