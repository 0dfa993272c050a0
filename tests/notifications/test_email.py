"""Email against a real SMTP server on 127.0.0.1, and a mail failure never failing a ticket."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Notification, Ticket, TicketResponse
from portal.services import tickets as ticket_service
from tests.factories import make_ticket


def only_notification(user) -> Notification:
    db.session.expire_all()
    (note,) = db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
    return note


def test_new_ticket_emails_the_user(client, login_as, user, smtp_server):
    login_as(user)
    resp = client.post("/tickets/new", data={"title": "Wifi <drops>", "description": "Hourly."})
    assert resp.status_code == 303
    assert smtp_server.received.wait(5)
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == [user.email]
    assert envelope.mail_from == "support@portal.test"
    text = envelope.content.decode()
    ticket = db.session.scalar(sa.select(Ticket))
    # The ticket's token leads the subject, so a reply by mail threads back (tests/mail).
    assert f"Subject: [#{ticket.id}] We received your ticket #{ticket.id}" in text
    assert f"/tickets/{ticket.id}/" in text
    note = only_notification(user)
    assert note.email_status == "sent" and note.emailed_at is not None


def test_staff_reply_emails_the_user_with_a_link(user, staff, smtp_server):
    ticket = make_ticket(user)
    smtp_server.messages.clear()
    ticket_service.add_reply(ticket, staff, "Fixed it.")
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == [user.email]
    assert "replied to your ticket" in envelope.content.decode()


def test_internal_note_sends_no_email(user, staff, smtp_server):
    ticket = make_ticket(user)
    smtp_server.messages.clear()
    ticket_service.add_reply(ticket, staff, "note", internal=True)
    assert smtp_server.messages == []


def test_smtp_down_ticket_and_reply_still_save(client, login_as, user, smtp_down, caplog):
    login_as(user)
    resp = client.post("/tickets/new", data={"title": "Printer", "description": "Jammed."})
    assert resp.status_code == 303
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.title == "Printer"))
    assert ticket is not None
    note = only_notification(user)
    assert note.email_status == "pending"  # a refused connection is retried (test_email_retry)
    assert "ConnectionRefused" in note.email_error or "Errno" in note.email_error
    assert "email for notification" in caplog.text  # logged, not raised

    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "Any update?"})
    assert resp.status_code == 303
    assert db.session.scalar(
        sa.select(TicketResponse).where(TicketResponse.content == "Any update?")
    )
    # The user still sees it in-app.
    assert b"Notifications" in client.get("/notifications/").data


def test_smtp_that_never_answers_times_out(user, smtp_silent):
    ticket = make_ticket(user)
    note = only_notification(user)
    assert ticket.id and note.email_status == "pending"  # a timeout is transient: retried
    assert note.email_error.startswith("attempt 1 failed, retrying")
    assert "timed out" in note.email_error.lower() or "Timeout" in note.email_error


def test_queue_down_records_the_failure(user, smtp_server, monkeypatch):
    from portal import tasks as notification_tasks

    def broken(*a, **k):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(notification_tasks, "send_notification_email", broken)
    ticket = make_ticket(user)
    note = only_notification(user)
    assert ticket.id and note.email_status == "failed"
    assert "could not queue" in note.email_error


def test_a_title_cannot_add_email_headers(user, smtp_server):
    make_ticket(user, title="Help\r\nBcc: victim@example.test\r\nX-Evil: 1")
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == [user.email]
    headers = envelope.content.decode().split("\r\n\r\n", 1)[0]
    assert "\r\nBcc:" not in headers and "\r\nX-Evil:" not in headers
    assert "Help Bcc: victim@example.test X-Evil: 1" in headers


def test_email_from_a_worker_links_to_the_portal_url(app, user, smtp_server):
    """No request context (as in `flask worker`): the link uses PORTAL_URL."""
    from portal.services import notifications

    app.config["PORTAL_URL"] = "https://support.example.test"
    ticket = make_ticket(user)
    note = only_notification(user)
    smtp_server.messages.clear()
    db.session.execute(sa.update(Notification).values(email_status="pending"))
    db.session.commit()
    assert notifications.send_email(note.id) == "sent"
    (envelope,) = smtp_server.messages
    assert f"https://support.example.test/tickets/{ticket.id}/" in envelope.content.decode()
