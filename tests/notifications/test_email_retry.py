"""Transient mail failures are retried by huey; permanent ones fail at once.

Immediate mode runs a task at once, but puts a retry on huey's schedule with its delay:
`run_scheduled()` plays the consumer's scheduler, so no test waits out the delay.
"""

from __future__ import annotations

import datetime
import smtplib

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Notification, Ticket
from portal.services import notifications
from portal.tasks import send_notification_email
from tests.factories import make_ticket
from tests.notifications.conftest import Inbox, run_scheduled
from tests.notifications.test_email import only_notification


def scheduled_emails() -> list:
    return [
        t for t in send_notification_email.huey.scheduled() if t.name == "send_notification_email"
    ]


class Refusing(Inbox):
    """A server that answers RCPT or DATA with `reply` (e.g. "451 ..." or "550 ...")."""

    def __init__(self, stage: str, reply: str) -> None:
        super().__init__()
        self.stage, self.reply = stage, reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.stage == "RCPT":
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stage == "DATA":
            return self.reply
        return await super().handle_DATA(server, session, envelope)


def test_smtp_down_keeps_the_email_pending_and_a_retry_delivers_it(
    client, login_as, user, smtp_down, start_smtp, app
):
    login_as(user)
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    resp = client.post("/tickets/new", data={"title": "Printer", "description": "Jammed."})
    assert resp.status_code == 303  # the request never pays for the mail server
    assert db.session.scalar(sa.select(Ticket).where(Ticket.title == "Printer"))

    note = only_notification(user)
    assert note.email_status == "pending"
    assert note.email_error.startswith("attempt 1 failed, retrying in 60 s: ")
    assert "ConnectionRefusedError" in note.email_error

    (retry,) = scheduled_emails()
    assert retry.args == (note.id,)
    assert retry.retries == 2  # three retries, one used
    assert retry.eta - before >= datetime.timedelta(seconds=59)
    assert retry.eta - before < datetime.timedelta(seconds=90)

    inbox = start_smtp()  # the server comes back on the same port
    assert len(run_scheduled()) == 1
    assert inbox.received.wait(5)
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == [user.email]
    assert "We received your ticket #" in envelope.content.decode()
    note = only_notification(user)
    assert note.email_status == "sent" and note.emailed_at is not None
    assert note.email_error is None
    assert scheduled_emails() == []

    # Idempotent: whatever might still run for it, a sent email is not sent again.
    assert send_notification_email.call_local(note.id) == "sent"
    assert len(inbox.messages) == 1


def test_retry_delay_comes_from_the_app_config(app, user, smtp_down):
    app.config["SMTP_RETRY_DELAY"] = 5
    before = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    make_ticket(user)
    assert only_notification(user).email_error.startswith("attempt 1 failed, retrying in 5 s: ")
    (retry,) = scheduled_emails()
    assert datetime.timedelta(seconds=4) <= retry.eta - before < datetime.timedelta(seconds=30)


def test_the_last_retry_failing_records_failed(user, smtp_down):
    ticket = make_ticket(user)
    assert ticket.id
    assert only_notification(user).email_status == "pending"
    for attempt in (2, 3):
        assert len(run_scheduled()) == 1
        note = only_notification(user)
        assert note.email_status == "pending"
        assert note.email_error.startswith(f"attempt {attempt} failed, retrying")
        assert len(scheduled_emails()) == 1

    assert len(run_scheduled()) == 1  # the third retry: the fourth and last attempt
    note = only_notification(user)
    assert note.email_status == "failed"
    assert note.email_error.startswith("gave up after 4 attempts: ConnectionRefusedError")
    assert scheduled_emails() == []


@pytest.mark.parametrize(
    "stage, busy, refusal",
    [
        ("RCPT", "450 4.2.1 Mailbox busy, try later", "550 5.1.1 No such user"),
        ("DATA", "451 4.3.0 Local error, try later", "554 5.6.0 Message rejected"),
    ],
)
def test_4xx_is_retried_but_5xx_fails_at_once(
    app, user, start_smtp, stage, busy, refusal, smtp_down
):
    server = start_smtp(Refusing(stage, busy))
    make_ticket(user)
    note = only_notification(user)
    assert note.email_status == "pending"
    assert busy.split()[0] in note.email_error
    assert len(scheduled_emails()) == 1

    server.reply = refusal  # the retry meets a permanent refusal: no more retries
    assert len(run_scheduled()) == 1
    note = only_notification(user)
    assert note.email_status == "failed"
    assert refusal.split()[0] in note.email_error
    assert not note.email_error.startswith("gave up")
    assert scheduled_emails() == []
    assert server.messages == []

    # A permanent refusal on the first attempt: failed at once, nothing scheduled.
    make_ticket(user, title="Second")
    db.session.expire_all()
    (second,) = [n for n in db.session.scalars(sa.select(Notification)) if n.id != note.id]
    assert second.email_status == "failed" and refusal.split()[0] in second.email_error
    assert scheduled_emails() == []


def test_a_message_that_cannot_be_built_fails_without_using_its_retries(
    user, smtp_down, monkeypatch
):
    make_ticket(user)
    assert only_notification(user).email_status == "pending"
    (retry,) = scheduled_emails()
    assert retry.retries == 2

    def broken(note):
        raise ValueError("bad header")

    monkeypatch.setattr(notifications, "build_email", broken)
    assert len(run_scheduled()) == 1  # two retries left, but a ValueError will not heal
    note = only_notification(user)
    assert note.email_status == "failed" and note.email_error == "ValueError: bad header"
    assert scheduled_emails() == []


@pytest.mark.parametrize(
    "exc, transient",
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (OSError("network unreachable"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (smtplib.SMTPConnectError(421, b"busy"), True),
        (smtplib.SMTPDataError(451, b"later"), True),
        (smtplib.SMTPSenderRefused(452, b"full", "a@x.test"), True),
        (smtplib.SMTPRecipientsRefused({"a@x.test": (450, b"busy")}), True),
        (
            smtplib.SMTPRecipientsRefused({"a@x.test": (450, b"busy"), "b@x.test": (550, b"no")}),
            False,
        ),
        (smtplib.SMTPDataError(554, b"rejected"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
        (smtplib.SMTPAuthenticationError(454, b"temporary auth failure"), False),
        (smtplib.SMTPNotSupportedError("no AUTH"), False),
        (ValueError("bad header"), False),
    ],
)
def test_which_failures_are_transient(exc, transient):
    assert notifications.is_transient(exc) is transient


def test_a_failure_after_the_mail_went_out_is_not_retried(
    client, login_as, user, smtp_server, monkeypatch, allow_unhandled_errors
):
    """The server accepted the mail, then recording "sent" failed: huey must not send it again."""
    record = notifications._record_email

    def database_refuses_sent(notification_id, status, error=None):
        if status == "sent":
            raise sa.exc.OperationalError("UPDATE notifications", {}, Exception("locked"))
        return record(notification_id, status, error)

    monkeypatch.setattr(notifications, "_record_email", database_refuses_sent)
    login_as(user)
    resp = client.post("/tickets/new", data={"title": "Printer", "description": "Jammed."})
    assert resp.status_code == 303
    assert smtp_server.received.wait(5)
    assert len(smtp_server.messages) == 1
    assert scheduled_emails() == []  # nothing will send it a second time
    assert len(run_scheduled()) == 0
    assert len(smtp_server.messages) == 1
