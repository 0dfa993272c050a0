"""Two staff members save the same ticket form at the same moment: one wins, one is told."""

from __future__ import annotations

import threading

import pytest

from portal.extensions import db
from portal.models import Ticket, TicketEvent
from portal.services import tickets as ticket_service
from portal.services.errors import StaleTicket
from tests.conftest import ON_POSTGRES
from tests.factories import make_ticket, make_user

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES, reason="row locks need PostgreSQL (SQLite serialises whole writes)"
)


def test_simultaneous_saves_of_one_form_cannot_both_win(app, manual_only):
    ticket_id = make_ticket(make_user()).id
    staff_ids = [make_user("staff").id, make_user("staff").id]
    version = db.session.get(Ticket, ticket_id).version
    db.session.remove()
    both_loaded = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def save(staff_id: int, priority: str) -> None:
        with app.app_context():
            ticket = db.session.get(Ticket, ticket_id)
            actor = db.session.get(type(ticket.user), staff_id)
            both_loaded.wait()  # both forms were loaded at the same version
            try:
                ticket_service.update_ticket(
                    ticket, actor, {"priority": priority}, expected_version=version
                )
                outcomes.append("saved")
            except StaleTicket:
                outcomes.append("stale")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(staff_ids[0], "high")),
        threading.Thread(target=save, args=(staff_ids[1], "low")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    assert sorted(outcomes) == ["saved", "stale"]
    changes = db.session.query(TicketEvent).filter_by(ticket_id=ticket_id, field="priority").all()
    assert len(changes) == 1  # one change, and the audit shows exactly that one
    assert db.session.get(Ticket, ticket_id).priority == changes[0].new_value


def test_crossed_merges_at_the_same_moment_make_no_loop(app, manual_only):
    """Staff merge A into B while a colleague merges B into A: the row locks let one win."""
    from portal.services import merge as merge_service
    from portal.services.errors import TicketError

    requester = make_user()
    ids = [make_ticket(requester, title="VPN down").id, make_ticket(make_user()).id]
    staff_ids = [make_user("staff").id, make_user("staff").id]
    db.session.remove()
    both_loaded = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def merge(staff_id: int, source_id: int, target_id: int) -> None:
        with app.app_context():
            source, target = db.session.get(Ticket, source_id), db.session.get(Ticket, target_id)
            actor = db.session.get(type(source.user), staff_id)
            both_loaded.wait()
            try:
                merge_service.merge_tickets(source, target, actor=actor)
                outcomes.append("merged")
            except TicketError as e:
                outcomes.append("loop" if "loop" in e.message else e.message)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=merge, args=(staff_ids[0], ids[0], ids[1])),
        threading.Thread(target=merge, args=(staff_ids[1], ids[1], ids[0])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)

    assert sorted(outcomes) == ["loop", "merged"]
    merged = [db.session.get(Ticket, i).merged_into_id for i in ids]
    assert merged.count(None) == 1
