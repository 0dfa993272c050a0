"""Who is notified about what: one test per rule of portal/services/notifications.py."""

from __future__ import annotations

import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import Notification
from portal.services import tickets as ticket_service
from tests.factories import make_ticket
from tests.helpers import extra_listener


def inbox_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def test_ticket_created_notifies_the_user(user):
    ticket = make_ticket(user, title="Projector broken")
    notes = inbox_of(user)
    assert [(n.kind, n.ticket_id) for n in notes] == [("ticket_created", ticket.id)]
    assert "Projector broken" in notes[0].message
    assert notes[0].email_status == "off"  # no SMTP configured


def test_assignment_notifies_the_assignee_not_a_self_assigner(user, staff, admin):
    ticket = make_ticket(user)
    ticket_service.assign_ticket(ticket, admin, staff)
    assert [n.kind for n in inbox_of(staff)] == ["assigned"]
    ticket_service.assign_ticket(ticket, admin, admin)  # admin took it themselves
    assert inbox_of(admin) == []


def test_system_assignment_notifies_the_assignee(user, staff):
    ticket = make_ticket(user)
    ticket_service.update_ticket(
        ticket, None, {"assigned_to_id": staff.id}, actor_kind="system", detail="auto"
    )
    assert [n.kind for n in inbox_of(staff)] == ["assigned"]


def test_public_staff_reply_notifies_the_user(user, staff):
    ticket = make_ticket(user)
    ticket_service.add_reply(ticket, staff, "Try restarting the router.")
    assert [n.kind for n in inbox_of(user)] == ["ticket_created", "reply"]


def test_internal_note_never_notifies_the_user(user, staff):
    ticket = make_ticket(user)
    ticket_service.assign_ticket(ticket, staff, staff)
    ticket_service.add_reply(ticket, staff, "Secret: user is on the old plan", internal=True)
    assert [n.kind for n in inbox_of(user)] == ["ticket_created"]
    assert all("Secret" not in n.message for n in db.session.scalars(sa.select(Notification)))


def test_ai_reply_notifies_the_user(user):
    ticket = make_ticket(user)
    bot = ticket_service.get_bot_user()
    db.session.commit()
    ticket_service.add_reply(ticket, bot, "Here is how.", actor_kind="ai", ai_confidence=0.9)
    notes = inbox_of(user)
    assert [n.kind for n in notes] == ["ticket_created", "reply"]
    assert "assistant" in notes[-1].message.lower()
    assert inbox_of(bot) == []  # the bot account never gets notices


def test_user_reply_notifies_the_assignee_only(user, staff, admin):
    ticket = make_ticket(user)
    ticket_service.add_reply(ticket, user, "Any news?")  # nobody assigned: nobody to tell
    assert inbox_of(staff) == [] and inbox_of(admin) == []
    ticket_service.assign_ticket(ticket, admin, staff)
    ticket_service.add_reply(ticket, user, "Still broken.")
    assert [n.kind for n in inbox_of(staff)] == ["assigned", "reply"]
    assert [n.kind for n in inbox_of(user)] == ["ticket_created"]  # not told of own reply


def test_resolve_notifies_the_user_but_not_when_they_close_it(user, staff):
    ticket = make_ticket(user)
    ticket_service.resolve_ticket(ticket, staff)
    assert [n.kind for n in inbox_of(user)] == ["ticket_created", "resolved"]
    ticket_service.update_ticket(ticket, user, {"status": "closed"})
    assert len(inbox_of(user)) == 2


def test_inactive_people_are_not_notified(user, staff, admin):
    ticket = make_ticket(user)
    ticket_service.assign_ticket(ticket, admin, staff)
    staff.active = False
    db.session.commit()
    ticket_service.add_reply(ticket, user, "Hello?")
    assert [n.kind for n in inbox_of(staff)] == ["assigned"]


def test_a_failing_notification_does_not_break_other_handlers(app, user, monkeypatch):
    from portal.services import notifications

    seen = []
    with extra_listener(app, events.TICKET_CREATED, lambda ticket_id, **_: seen.append(ticket_id)):
        monkeypatch.setattr(
            notifications, "notify", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
        )
        ticket = make_ticket(user)
    assert seen == [ticket.id]
    assert inbox_of(user) == []
