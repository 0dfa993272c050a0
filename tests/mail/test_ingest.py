"""The mail ingest: what a message becomes (ticket, reply, ignored, duplicate, failed)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import FailedMail, MailMessage, Ticket, TicketEvent, TicketResponse, User
from portal.services import mail_ingest, merge, users
from portal.services import tickets as ticket_service
from tests.factories import count, make_ticket, make_user
from tests.mail.conftest import SUPPORT, make_mail


def ingest(raw: bytes) -> mail_ingest.IngestResult:
    result = mail_ingest.ingest(raw)
    db.session.expire_all()
    return result


def test_unknown_sender_gets_a_ticket_and_an_account_without_a_password():
    result = ingest(make_mail())
    assert result.outcome == "created"
    ticket = db.session.get(Ticket, result.ticket_id)
    assert ticket.title == "Printer jams on page two"
    assert ticket.description == "The printer on floor 3 jams on every second page."
    assert ticket.user.email == "uma@example.test"
    assert ticket.user.name == "Uma Reader"
    assert ticket.user.role == "user"
    # No password logs in until they claim the account.
    assert users.authenticate("uma@example.test", "") is None
    assert not ticket.user.check_password("")
    # Made by the one service path: the same audit event as a web ticket.
    assert (
        db.session.scalar(sa.select(TicketEvent.field).where(TicketEvent.ticket_id == ticket.id))
        == "created"
    )


def test_known_sender_by_address_in_any_case():
    user = make_user("user", email="lee@example.test")
    result = ingest(make_mail(frm="LEE <Lee@EXAMPLE.test>"))
    assert db.session.get(Ticket, result.ticket_id).user_id == user.id
    assert count(User) == 1  # no second account


def test_subject_missing_or_too_long():
    assert db.session.get(Ticket, ingest(make_mail(subject=None)).ticket_id).title == (
        "(no subject)"
    )
    long = ingest(make_mail(subject="Re: Fwd: " + "x" * 500))
    title = db.session.get(Ticket, long.ticket_id).title
    assert len(title) <= ticket_service.TITLE_MAX and title.startswith("xxx")


def _mailed_ticket(**kw) -> tuple[Ticket, str]:
    raw = make_mail(message_id="<first@example.test>", **kw)
    ticket = db.session.get(Ticket, ingest(raw).ticket_id)
    return ticket, "first@example.test"


def test_reply_threads_by_in_reply_to_and_drops_the_quote():
    ticket, first = _mailed_ticket()
    body = (
        "Restarting did not help.\n\nThanks,\nUma\n\n"
        "On Mon, 1 Dec 2026 at 10:00, Support <support@portal.test> wrote:\n"
        "> Please try restarting it.\n> Support\n"
    )
    result = ingest(
        make_mail(subject="Re: Printer jams", body=body, headers={"In-Reply-To": f"<{first}>"})
    )
    assert (result.outcome, result.ticket_id) == ("replied", ticket.id)
    reply = db.session.get(TicketResponse, result.response_id)
    assert reply.content == "Restarting did not help."
    assert reply.response_type == "user" and not reply.is_internal
    assert count(Ticket) == 1


def test_reply_threads_by_references():
    ticket, first = _mailed_ticket()
    result = ingest(
        make_mail(subject="Re: x", headers={"References": f"<nothing@else.test> <{first}>"})
    )
    assert (result.outcome, result.ticket_id) == ("replied", ticket.id)


def test_reply_threads_by_subject_token():
    ticket, _ = _mailed_ticket()
    result = ingest(make_mail(subject=f"Re: [#{ticket.id}] Printer jams", body="Still jams."))
    assert (result.outcome, result.ticket_id) == ("replied", ticket.id)


def test_reply_threads_by_plus_address():
    ticket, _ = _mailed_ticket()
    result = ingest(make_mail(to=f"support+{ticket.id}@portal.test", subject="more"))
    assert (result.outcome, result.ticket_id) == ("replied", ticket.id)


def test_a_stranger_naming_a_ticket_gets_a_new_ticket_not_access():
    ticket, first = _mailed_ticket()
    for raw in (
        make_mail(frm="mallory@evil.test", subject=f"[#{ticket.id}] let me in"),
        make_mail(frm="mallory@evil.test", headers={"In-Reply-To": f"<{first}>"}),
        make_mail(frm="mallory@evil.test", to=f"support+{ticket.id}@portal.test"),
    ):
        result = ingest(raw)
        assert result.outcome == "created" and result.ticket_id != ticket.id
        assert db.session.get(Ticket, result.ticket_id).user.email == "mallory@evil.test"
    assert db.session.get(Ticket, ticket.id).responses == []
    assert db.session.get(Ticket, ticket.id).title == "Printer jams on page two"


def test_staff_mail_reply_is_a_public_staff_reply():
    ticket, _ = _mailed_ticket()
    staff = make_user("staff", email="sam@portal.test")
    result = ingest(make_mail(frm=staff.email, subject=f"Re: [#{ticket.id}]", body="Try tray 2."))
    reply = db.session.get(TicketResponse, result.response_id)
    assert (reply.ticket_id, reply.response_type, reply.is_internal) == (ticket.id, "staff", False)
    assert db.session.get(Ticket, ticket.id).status == "in_progress"


def test_participant_may_reply():
    ticket, _ = _mailed_ticket()
    other = make_user("user", email="ola@example.test")
    source = make_ticket(other, title="Same printer")
    merge.merge_tickets(source, ticket, actor=make_user("staff"))
    result = ingest(make_mail(frm=other.email, subject=f"[#{ticket.id}] me too"))
    assert (result.outcome, result.ticket_id) == ("replied", ticket.id)


def test_reply_to_a_merged_ticket_follows_the_merge():
    user = make_user("user", email="uma@example.test")
    target = make_ticket(user, title="Target")
    source = make_ticket(user, title="Duplicate")
    merge.merge_tickets(source, target, actor=make_user("staff"))
    result = ingest(make_mail(subject=f"Re: [#{source.id}] Duplicate"))
    assert (result.outcome, result.ticket_id) == ("replied", target.id)


def test_reply_to_a_closed_ticket_opens_a_new_one_naming_it():
    ticket, first = _mailed_ticket()
    ticket_service.close_ticket(ticket, ticket.user)
    result = ingest(make_mail(body="It is back.", headers={"In-Reply-To": f"<{first}>"}))
    assert result.outcome == "created" and result.ticket_id != ticket.id
    new = db.session.get(Ticket, result.ticket_id)
    assert new.description.startswith(f"Follow-up to closed ticket #{ticket.id}.")
    assert "It is back." in new.description
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_reply_to_a_resolved_ticket_reopens_it():
    ticket, _ = _mailed_ticket()
    ticket_service.resolve_ticket(ticket, make_user("staff"))
    result = ingest(make_mail(subject=f"Re: [#{ticket.id}]", body="Not fixed."))
    assert result.ticket_id == ticket.id
    assert db.session.get(Ticket, ticket.id).status == "open"


@pytest.mark.parametrize(
    ("frm", "headers"),
    [
        ("uma@example.test", {"Auto-Submitted": "auto-replied"}),
        ("uma@example.test", {"Precedence": "bulk"}),
        ("uma@example.test", {"Precedence": "list"}),
        ("uma@example.test", {"X-Autoreply": "yes"}),
        ("uma@example.test", {"X-Autorespond": "Out of office"}),
        ("MAILER-DAEMON@mx.example.test", {}),
        ("postmaster@example.test", {}),
        ("uma@example.test", {"Return-Path": "<>"}),
        (SUPPORT, {}),
    ],
)
def test_auto_replies_bounces_and_loops_are_ignored(frm, headers, caplog):
    caplog.set_level("INFO", logger="portal.services.mail_ingest")
    result = ingest(make_mail(frm=frm, headers=headers))
    assert result.outcome == "ignored"
    assert count(Ticket) == 0
    assert "ignored" in caplog.text


def test_auto_submitted_no_is_a_person():
    assert ingest(make_mail(headers={"Auto-Submitted": "no"})).outcome == "created"


def test_the_same_message_id_twice_changes_nothing():
    raw = make_mail(message_id="<once@example.test>")
    first = ingest(raw)
    again = ingest(make_mail(message_id="<once@example.test>", body="different words"))
    assert again.outcome == "duplicate" and again.ticket_id == first.ticket_id
    assert count(Ticket) == 1 and count(TicketResponse) == 0
    assert count(MailMessage) == 1


def test_our_own_message_id_coming_back_is_a_loop():
    ticket = make_ticket(make_user("user", email="uma@example.test"))
    db.session.add(MailMessage(message_id="n1@portal.test", direction="out", ticket_id=ticket.id))
    db.session.commit()
    result = ingest(make_mail(message_id="<n1@portal.test>"))
    assert result.outcome == "ignored" and count(TicketResponse) == 0


def test_html_only_mail_becomes_plain_text():
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>The <b>VPN</b> &amp; e-mail are down.</p><script>alert(1)</script>"
        "<img src=x onerror=alert(2)><div>Since 9:00</div>"
        "<blockquote>old quoted text</blockquote></body></html>"
    )
    ticket = db.session.get(Ticket, ingest(make_mail(html=html)).ticket_id)
    assert ticket.description == "The VPN & e-mail are down.\n\nSince 9:00"
    assert "<" not in ticket.description and "alert" not in ticket.description


def test_signature_is_stripped_from_a_new_ticket():
    body = "My laptop will not boot.\n\n-- \nUma Reader\nAccounts, 3rd floor\n"
    ticket = db.session.get(Ticket, ingest(make_mail(body=body)).ticket_id)
    assert ticket.description == "My laptop will not boot."


def _raw(headers: str, body: bytes) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_unknown_charset_is_read_best_effort():
    raw = _raw(
        "From: uma@example.test\nSubject: =?x-unknown?q?Caf=E9?= menu\nMessage-ID: <c1@x.test>\n"
        "Content-Type: text/plain; charset=x-unknown\n",
        b"The caf\xe9 menu is wrong.\r\n",
    )
    ticket = db.session.get(Ticket, ingest(raw).ticket_id)
    assert ticket.description == "The café menu is wrong."
    assert "menu" in ticket.title


def test_bytes_invalid_in_the_declared_charset():
    raw = _raw(
        "From: uma@example.test\nSubject: broken\nMessage-ID: <c2@x.test>\n"
        "Content-Type: text/plain; charset=utf-8\n",
        b"Price \xa3 10 \xff\xfe and a NUL \x00 here.\r\n",
    )
    ticket = db.session.get(Ticket, ingest(raw).ticket_id)
    assert "Price" in ticket.description and "here." in ticket.description
    assert "\x00" not in ticket.description


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage that is no mail at all",
        b"Subject: nobody sent this\r\n\r\nno From header\r\n",
        b"From: not an address\r\nSubject: x\r\n\r\nbody\r\n",
        b"From: <>\r\nSubject: x\r\n\r\nbody\r\n",
    ],
)
def test_malformed_or_no_from_is_ignored_not_a_crash(raw):
    assert ingest(raw).outcome == "ignored"
    assert count(Ticket) == 0 and count(FailedMail) == 0


def test_five_hundred_recipients():
    to = ", ".join(f"person{i}@example.test" for i in range(500))
    result = ingest(make_mail(to=to + ", " + SUPPORT))
    assert result.outcome == "created"


def test_huge_body_is_cut_to_fit():
    result = ingest(make_mail(body="word " * 30_000))  # past what the reply parser reads
    ticket = db.session.get(Ticket, result.ticket_id)
    assert len(ticket.description) <= ticket_service.DESCRIPTION_MAX
    assert ticket.description.endswith("[… the rest of this e-mail was cut]")


def test_attachments_are_listed_not_stored():
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "uma@example.test"
    msg["To"] = SUPPORT
    msg["Subject"] = "Screenshot"
    msg.set_content("See the picture.")
    msg.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="shot.png")
    result = ingest(msg.as_bytes())
    assert result.outcome == "created"
    assert [(a.name, a.content_type, a.size) for a in result.attachments] == [
        ("shot.png", "image/png", 8)
    ]
    assert db.session.get(Ticket, result.ticket_id).description == "See the picture."


def test_oversized_mail_is_kept_as_failed_and_admin_retry_takes_it_in(app):
    app.config["MAIL_MAX_BYTES"] = 2000
    raw = make_mail(body="x" * 5000)
    result = ingest(raw)
    assert result.outcome == "failed" and result.permanent
    row = db.session.get(FailedMail, result.failed_id)
    assert row.raw == raw and "Too large" in row.reason and row.sender == "uma@example.test"
    assert count(Ticket) == 0
    retried = mail_ingest.retry_failed(row.id)
    assert retried.outcome == "created"
    assert count(FailedMail) == 0 and count(Ticket) == 1


def test_an_error_while_taking_in_keeps_the_mail_and_a_later_try_clears_it(monkeypatch):
    def broken(*a, **kw):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(ticket_service, "create_ticket", broken)
    raw = make_mail()
    first = ingest(raw)
    assert first.outcome == "failed" and not first.permanent
    assert "database hiccup" in first.reason
    again = ingest(raw)  # the MTA delivers it again: the same row, counted
    assert again.failed_id == first.failed_id
    assert db.session.get(FailedMail, first.failed_id).attempts == 2
    assert count(Ticket) == 0 and count(MailMessage) == 0 and count(FailedMail) == 1
    monkeypatch.undo()
    assert ingest(raw).outcome == "created"
    assert count(FailedMail) == 0


def test_html_reply_drops_the_mail_clients_quoted_block():
    ticket, _ = _mailed_ticket()
    html = (
        '<div dir="ltr">Fixed now, thanks.<div class="gmail_quote">On Mon, Support wrote:'
        "<div>Please restart <b>it</b>.</div></div></div><div>PS: tray 2 too.</div>"
    )
    result = ingest(make_mail(subject=f"Re: [#{ticket.id}]", html=html))
    reply = db.session.get(TicketResponse, result.response_id)
    assert reply.content == "Fixed now, thanks.\n\nPS: tray 2 too."
