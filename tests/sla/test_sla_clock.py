"""Each ticket's SLA clock through the one service path, with the clock frozen.

The default calendar: Europe/Berlin, Mon-Fri 09:00-17:00, German public holidays. Monday
2 March 2026 09:00 CET is 08:00 UTC. Default targets: medium 8 h / 40 h, urgent 1 h / 8 h.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime as D

import pytest
import sqlalchemy as sa
import time_machine

from portal.extensions import db
from portal.models import Notification, Ticket, TicketEvent
from portal.services import settings as settings_service
from portal.services import sla, sla_sweep
from portal.services import tickets as ticket_service
from tests.factories import make_reply, make_ticket, make_user

MON_0900 = D(2026, 3, 2, 8, 0)  # Mon 2 Mar 2026 09:00 CET


def at(moment: D):
    return time_machine.travel(moment.replace(tzinfo=UTC), tick=False)


def sla_events(ticket: Ticket) -> list[tuple[str | None, str | None]]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.field == "sla")
        .order_by(TicketEvent.id)
    )
    return [(e.new_value, e.detail) for e in rows]


def notes(kind: str, user=None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.kind == kind)
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return list(db.session.scalars(stmt))


def test_due_times_are_set_at_creation(user):
    with at(MON_0900):
        ticket = make_ticket(user, priority="medium")
    assert ticket.first_response_due == D(2026, 3, 2, 16, 0)  # Mon 17:00 CET
    assert ticket.resolution_due == D(2026, 3, 6, 16, 0)  # Fri 17:00 CET: five days of 8 h
    assert ticket.first_response_at is None
    assert ticket.sla_next_due == ticket.first_response_due
    assert sla_events(ticket)[0][0] == "clock started"


def test_created_on_a_saturday_night_the_clock_starts_on_monday(user):
    with at(D(2026, 2, 28, 22, 45)):  # Sat 23:45 CET
        ticket = make_ticket(user, priority="urgent")
    assert ticket.first_response_due == D(2026, 3, 2, 9, 0)  # Mon 10:00 CET
    assert ticket.resolution_due == D(2026, 3, 2, 16, 0)  # Mon 17:00 CET


def test_first_public_staff_reply_is_the_first_response_and_pauses_the_clock(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="medium")
    with at(D(2026, 3, 2, 9, 0)):  # Mon 10:00 CET
        make_reply(ticket, staff, "An internal thought", internal=True)
        assert ticket.first_response_at is None  # a note is no response
        make_reply(ticket, staff, "We are on it.")
    assert ticket.first_response_at == D(2026, 3, 2, 9, 0)
    assert ticket.sla_paused_at == D(2026, 3, 2, 9, 0)
    assert ticket.status == "in_progress"  # still one of the four statuses
    assert sla.clock(ticket).label == "paused"
    assert [e[0] for e in sla_events(ticket)] == ["clock started", "first response met", "paused"]

    # The requester answers on Tuesday 10:00 CET: 7 h on Monday + 1 h on Tuesday were paused.
    with at(D(2026, 3, 3, 9, 0)):
        make_reply(ticket, user, "Here are the details.")
        clock = sla.clock(ticket)
    assert ticket.sla_paused_at is None
    assert ticket.sla_paused_seconds == 8 * 3600
    assert ticket.resolution_due == D(2026, 3, 9, 16, 0)  # a business day later: next Mon 17:00
    assert ticket.sla_next_due == ticket.resolution_due
    assert clock.label == "39 h left"  # 40 h less the hour used before the pause
    new, detail = sla_events(ticket)[-1]
    assert new == "running" and "8 h" in detail


def test_a_late_first_response_is_recorded_as_late(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    with at(D(2026, 3, 2, 9, 30)):  # Mon 10:30 CET: 30 minutes past the 1 h target
        assert sla.clock(ticket).label == "overdue 30 m"
        assert sla.is_breached(ticket)
        make_reply(ticket, staff, "Sorry for the wait.")
    assert "first response late" in [e[0] for e in sla_events(ticket)]
    assert sla.clock(ticket).first_response_breached


def test_an_ai_answer_counts_only_when_the_setting_says_so(user):
    bot = ticket_service.get_bot_user()
    with at(MON_0900):
        ticket = make_ticket(user)
        ticket_service.add_reply(ticket, bot, "Try clearing the cache.", actor_kind="ai")
    assert ticket.first_response_at is None and ticket.sla_paused_at is None

    settings_service.update_settings({"SLA_AI_FIRST_ANSWER_COUNTS": True})
    with at(D(2026, 3, 2, 8, 30)):
        other = make_ticket(user)
        ticket_service.add_reply(other, bot, "Try clearing the cache.", actor_kind="ai")
    assert other.first_response_at == D(2026, 3, 2, 8, 30)


def test_a_priority_change_moves_the_due_times(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="medium")
    with at(D(2026, 3, 2, 8, 15)):
        ticket_service.update_ticket(ticket, staff, {"priority": "urgent"})
    assert ticket.first_response_due == D(2026, 3, 2, 9, 0)  # created + 1 h
    assert ticket.resolution_due == D(2026, 3, 2, 16, 0)  # created + 8 h
    assert sla_events(ticket)[-1][0] == "due times recomputed"

    with at(D(2026, 3, 2, 8, 20)):
        ticket_service.update_ticket(ticket, staff, {"priority": "low"})
    assert ticket.first_response_due == D(2026, 3, 3, 16, 0)  # 16 h: Tue 17:00 CET


def test_a_category_override_narrows_the_priority_default(user, staff):
    sla.save_policies({("urgent", "billing"): (0.5, None)})
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent", category="billing")
        general = make_ticket(user, priority="urgent", category="general")
    assert ticket.first_response_due == D(2026, 3, 2, 8, 30)
    assert ticket.resolution_due == D(2026, 3, 2, 16, 0)  # the priority's 8 h
    assert general.first_response_due == D(2026, 3, 2, 9, 0)
    with at(D(2026, 3, 2, 8, 5)):
        ticket_service.update_ticket(general, staff, {"category": "billing"})
    assert general.first_response_due == D(2026, 3, 2, 8, 30)


def test_no_target_means_no_clock(user):
    sla.save_policies({("low", None): (None, None)})
    with at(MON_0900):
        ticket = make_ticket(user, priority="low")
    assert ticket.first_response_due is None and ticket.resolution_due is None
    assert sla.clock(ticket).label == "" and not sla.is_breached(ticket)
    assert sla_events(ticket) == []


def test_resolving_stops_the_clock_and_reopening_resumes_it(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    with at(D(2026, 3, 2, 8, 30)):
        ticket_service.resolve_ticket(ticket, staff)
    assert ticket.sla_next_due is None and not sla.is_breached(ticket)
    with at(D(2026, 3, 3, 8, 0)):  # a business day later (Tue 09:00 CET)
        assert not sla.is_breached(ticket)  # judged when it stopped
        ticket_service.reopen_ticket(ticket, user)
    assert ticket.first_response_due == D(2026, 3, 3, 8, 30)  # 30 minutes were still left
    assert ticket.sla_next_due == ticket.first_response_due


def test_warnings_and_escalations_go_out_exactly_once(user, staff, admin):
    settings_service.update_settings({"SLA_WARN_MINUTES": 30})
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")  # first response due 10:00 CET
        ticket_service.assign_ticket(ticket, staff, staff)
        assert sla_sweep.sweep().warned == []  # an hour left: not yet
    with at(D(2026, 3, 2, 8, 35)):  # 25 minutes left
        assert sla_sweep.sweep().warned == [ticket.id]
        assert sla_sweep.sweep().warned == []
        assert sla_sweep.sweep().warned == []
    assert len(notes("sla_warning", staff)) == 1
    assert "due in 25 m" in notes("sla_warning", staff)[0].message

    with at(D(2026, 3, 2, 9, 1)):  # breached
        assert sla.clock(ticket).label == "overdue 1 m"
        assert sla_sweep.sweep().escalated == [ticket.id]
        assert sla_sweep.sweep().escalated == []
    with at(D(2026, 3, 2, 12, 0)):
        assert sla_sweep.sweep().escalated == []
    assert len(notes("sla_escalated", admin)) == 1
    assert len(notes("sla_escalated", staff)) == 1  # the assignee hears too
    assert len(notes("sla_warning")) == 1
    assert [e[0] for e in sla_events(ticket)][-2:] == [
        "first response due soon",
        "first response breached",
    ]


def test_a_second_worker_cannot_claim_the_same_escalation(user):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
        assert sla_sweep._claim(ticket.id, Ticket.sla_escalated_at, MON_0900) is True
        assert sla_sweep._claim(ticket.id, Ticket.sla_escalated_at, MON_0900) is False


def test_the_resolution_target_gets_its_own_warning_after_the_first_response(user, staff):
    settings_service.update_settings({"SLA_WARN_MINUTES": 30})
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
        ticket_service.assign_ticket(ticket, staff, staff)
    with at(D(2026, 3, 2, 8, 40)):
        assert sla_sweep.sweep().warned == [ticket.id]
        make_reply(ticket, staff, "Looking.")
        make_reply(ticket, user, "Thanks, still broken.")
    with at(D(2026, 3, 2, 15, 45)):  # 16:45 CET, resolution due 17:00 CET (+ paused 0)
        assert sla_sweep.sweep().warned == [ticket.id]
        assert sla_sweep.sweep().warned == []
    assert len(notes("sla_warning", staff)) == 2


def test_escalation_to_a_named_staff_member(user, staff, admin):
    lead = make_user("staff", email="lead@example.test")
    settings_service.update_settings({"SLA_ESCALATE_TO": "Lead@Example.test"})
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    with at(D(2026, 3, 2, 10, 0)):
        assert sla_sweep.sweep().escalated == [ticket.id]
    assert len(notes("sla_escalated", lead)) == 1
    assert notes("sla_escalated", admin) == []


def test_paused_tickets_are_neither_warned_nor_escalated(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
        make_reply(ticket, staff, "Could you send a screenshot?")
    with at(D(2026, 3, 4, 8, 0)):
        result = sla_sweep.sweep()
    assert result.warned == [] and result.escalated == []
    assert not sla.is_breached(ticket)


def test_resolved_tickets_close_automatically_after_the_set_days(user, staff):
    with at(MON_0900):
        old = make_ticket(user)
        recent = make_ticket(user)
        ticket_service.resolve_ticket(old, staff)
    with at(D(2026, 3, 5, 8, 0)):
        ticket_service.resolve_ticket(recent, staff)
    with at(D(2026, 3, 9, 8, 1)):  # 7 days and a minute after the first resolution
        assert sla_sweep.sweep().closed == [old.id]
        assert sla_sweep.sweep().closed == []
    db.session.expire_all()
    assert old.status == "closed" and recent.status == "resolved"
    event = db.session.scalars(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == old.id, TicketEvent.field == "status")
        .order_by(TicketEvent.id.desc())
    ).first()
    assert event.actor_kind == "system" and event.new_value == "closed"
    assert "7 days" in event.detail


def test_a_new_message_restarts_the_auto_close_wait(user, staff):
    with at(MON_0900):
        ticket = make_ticket(user)
        ticket_service.resolve_ticket(ticket, staff)
    with at(D(2026, 3, 6, 8, 0)):
        make_reply(ticket, staff, "One more hint, in case it comes back.")
    with at(D(2026, 3, 10, 8, 0)):
        assert sla_sweep.sweep().closed == []


def test_auto_close_zero_never_closes(user, staff):
    settings_service.update_settings({"AUTO_CLOSE_DAYS": 0})
    with at(MON_0900):
        ticket = make_ticket(user)
        ticket_service.resolve_ticket(ticket, staff)
    with at(D(2027, 3, 2, 8, 0)):
        assert sla_sweep.sweep().closed == []
    assert ticket.status == "resolved"


def test_the_cli_runs_the_sweep_once(app, user):
    with at(MON_0900):
        make_ticket(user, priority="urgent")
    with at(D(2026, 3, 2, 10, 0)):
        result = app.test_cli_runner().invoke(args=["sla-sweep"])
    assert result.exit_code == 0
    assert "1 escalated" in result.output


@pytest.mark.parametrize("viewer", ["user", "staff"])
def test_the_api_ticket_has_an_sla_object(client, user, staff, viewer):
    from portal.api.auth import create_token

    with at(MON_0900):
        ticket = make_ticket(user, priority="urgent")
    who = user if viewer == "user" else staff
    headers = {"Authorization": f"Bearer {create_token(who, 'test')}"}
    with at(D(2026, 3, 2, 8, 30)):
        body = client.get(f"/api/tickets/{ticket.id}/", headers=headers).json
    assert body["sla"] == {
        "first_response_due": "2026-03-02T09:00:00Z",
        "resolution_due": "2026-03-02T16:00:00Z",
        "first_response_at": None,
        "breached": False,
    }
    with at(D(2026, 3, 2, 9, 30)):
        assert client.get(f"/api/tickets/{ticket.id}/", headers=headers).json["sla"]["breached"]
        listing = client.get("/api/tickets/", headers=headers).json
    assert listing["items"][0]["sla"]["breached"] is True
