"""`flask mail-in` exit codes, and the round trip: our notification mail carries threading
headers, and a reply to it (fed to mail-in) lands on the same ticket."""

from __future__ import annotations

import email
from email import policy

import sqlalchemy as sa

from portal.extensions import db
from portal.models import FailedMail, MailMessage, Ticket, TicketResponse
from portal.services import tickets as ticket_service
from tests.factories import count, make_ticket, make_user
from tests.mail.conftest import SUPPORT, make_mail


def mail_in(app, raw: bytes):
    return app.test_cli_runner().invoke(args=["mail-in"], input=raw)


def test_mail_in_exit_codes(app, monkeypatch):
    stored = mail_in(app, make_mail())
    assert stored.exit_code == 0, stored.output
    assert "created" in stored.output and count(Ticket) == 1

    ignored = mail_in(app, make_mail(headers={"Auto-Submitted": "auto-replied"}))
    assert ignored.exit_code == 0 and "ignored" in ignored.output

    assert mail_in(app, b"").exit_code == 0  # nothing to keep: logged and ignored

    app.config["MAIL_MAX_BYTES"] = 1000
    too_big = mail_in(app, make_mail(body="y" * 3000))
    assert too_big.exit_code == 65  # EX_DATAERR: the MTA bounces it; the copy is kept
    app.config["MAIL_MAX_BYTES"] = None

    def broken(*a, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ticket_service, "create_ticket", broken)
    failed = mail_in(app, make_mail(subject="Second"))
    assert failed.exit_code == 75  # EX_TEMPFAIL: the MTA tries again later
    db.session.expire_all()
    assert count(FailedMail) == 2 and count(Ticket) == 1


def _only(inbox):
    assert inbox.received.wait(5)
    (envelope,) = inbox.messages
    inbox.messages.clear()
    inbox.received.clear()
    return email.message_from_bytes(envelope.content, policy=policy.default)


def test_acknowledgement_to_a_new_requester_and_round_trip(app, smtp_server):
    result = mail_in(app, make_mail(message_id="<orig@example.test>"))
    assert result.exit_code == 0
    ticket = db.session.scalar(sa.select(Ticket))
    ack = _only(smtp_server)
    assert ack["To"] == "uma@example.test"  # an account without a password still hears
    assert ack["Subject"].startswith(f"[#{ticket.id}] We received your ticket #{ticket.id}")
    assert ack["Reply-To"].addresses[0].addr_spec == SUPPORT
    assert ack["Message-ID"].endswith("@portal.test>")
    # The thread's first message is the mail that opened the ticket.
    assert ack["In-Reply-To"] == "<orig@example.test>"
    assert ack["References"] == "<orig@example.test>"
    stored = db.session.scalar(
        sa.select(MailMessage).where(MailMessage.message_id == ack["Message-ID"].strip("<>"))
    )
    assert (stored.direction, stored.ticket_id) == ("out", ticket.id)

    # Staff answer on the web: the requester gets the reply itself by mail.
    staff = make_user("staff")
    ticket_service.add_reply(ticket, staff, "Please try tray 2 instead.")
    note = _only(smtp_server)
    assert "Please try tray 2 instead." in note.get_content()
    assert note["In-Reply-To"] == "<orig@example.test>"

    # The requester answers that mail from their mail client.
    reply = make_mail(
        subject=f"Re: {note['Subject']}",
        body="Tray 2 works, thanks!\n\nOn Friday Support wrote:\n> Please try tray 2 instead.\n",
        headers={"In-Reply-To": note["Message-ID"], "References": note["Message-ID"]},
    )
    assert mail_in(app, reply).exit_code == 0
    db.session.expire_all()
    latest = db.session.scalar(
        sa.select(TicketResponse).order_by(TicketResponse.id.desc()).limit(1)
    )
    assert (latest.ticket_id, latest.content) == (ticket.id, "Tray 2 works, thanks!")
    assert count(Ticket) == 1


def test_web_ticket_mail_threads_on_its_first_notification(app, smtp_server):
    user = make_user("user", email="web@example.test")
    ticket = make_ticket(user, title="From the web")
    first = _only(smtp_server)
    assert first["In-Reply-To"] is None  # the thread starts here
    ticket_service.add_reply(ticket, make_user("staff"), "Looking.")
    second = _only(smtp_server)
    assert second["In-Reply-To"] == first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert "You can answer by replying" not in second.get_content()  # no inbound set up
    app.config["MAIL_REPLY_TO"] = "help@portal.test"
    ticket_service.add_reply(ticket, make_user("staff"), "Found it.")
    third = _only(smtp_server)
    assert third["Reply-To"] == "help@portal.test"
    assert "You can answer by replying to this e-mail." in third.get_content()


def test_failed_send_stores_no_message_id(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=1)
    make_ticket(make_user("user"), title="x")
    db.session.expire_all()
    assert count(MailMessage) == 0


def test_database_down_keeps_the_mail_in_a_file_and_asks_the_mta_to_retry(
    app, monkeypatch, tmp_path
):
    from portal.services import mail_ingest

    def broken(raw):
        raise RuntimeError("no such table: tickets")

    monkeypatch.setattr(mail_ingest, "_ingest", broken)
    monkeypatch.setattr(mail_ingest, "FailedMail", None)  # the failed-mail table is gone too
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    raw = make_mail()
    result = mail_in(app, raw)
    assert result.exit_code == 75
    (kept,) = (tmp_path / "failed-mail").iterdir()
    assert kept.read_bytes() == raw
