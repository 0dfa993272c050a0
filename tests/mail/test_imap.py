"""IMAP polling against a real Dovecot: a message is marked seen only after its ticket is
committed; one the ingest fails on stays unseen and is taken in on the next poll."""

from __future__ import annotations

import pytest

from portal import tasks
from portal.extensions import db
from portal.models import FailedMail, Ticket
from portal.services import mail_imap
from portal.services import tickets as ticket_service
from tests.factories import count
from tests.mail.conftest import make_mail


def test_poll_turns_unseen_mail_into_tickets_and_marks_it_seen(app, mailbox):
    mailbox.append(make_mail(subject="Laptop fan is loud"))
    mailbox.append(make_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}))
    assert mailbox.unseen() == 2
    result = mail_imap.poll()
    assert (result.fetched, result.kept, result.left_unseen) == (2, 2, 0)
    assert mailbox.unseen() == 0 and mailbox.total() == 2  # marked, never deleted
    db.session.expire_all()
    assert [t.title for t in db.session.query(Ticket)] == ["Laptop fan is loud"]
    # Nothing new: a second poll changes nothing.
    assert mail_imap.poll().fetched == 0 and count(Ticket) == 1


def test_failure_during_ingest_leaves_the_message_unseen_for_the_next_poll(
    app, mailbox, monkeypatch
):
    mailbox.append(make_mail(subject="VPN drops"))

    def broken(*a, **kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_service, "create_ticket", broken)
    result = mail_imap.poll()
    assert (result.fetched, result.left_unseen) == (1, 0 + 1)
    assert mailbox.unseen() == 1
    db.session.expire_all()
    assert count(Ticket) == 0 and count(FailedMail) == 1  # the admin sees it meanwhile

    monkeypatch.undo()
    assert tasks.poll_mailbox.call_local().startswith("1 fetched, 1 done")
    assert mailbox.unseen() == 0
    db.session.expire_all()
    assert count(Ticket) == 1 and count(FailedMail) == 0


def test_oversized_mail_is_kept_for_the_admin_and_marked_seen(app, mailbox):
    app.config["MAIL_MAX_BYTES"] = 1000
    mailbox.append(make_mail(body="z" * 4000))
    assert mail_imap.poll().kept == 1
    assert mailbox.unseen() == 0
    db.session.expire_all()
    assert count(FailedMail) == 1 and count(Ticket) == 0


def test_wrong_password_or_no_tls_marks_nothing(app, mailbox):
    app.config["MAIL_IMAP_ALLOW_INSECURE_AUTH"] = False
    mailbox.append(make_mail())
    with pytest.raises(mail_imap.ImapConfigError, match="no TLS"):
        mail_imap.poll()
    app.config["MAIL_IMAP_ALLOW_INSECURE_AUTH"] = True
    with pytest.raises(mail_imap.imaplib.IMAP4.error):
        mail_imap.poll(mailbox.url.replace("secret-pw", "wrong"))
    assert mailbox.unseen() == 1
    # The periodic task logs and waits for the next run.
    app.config["MAIL_IMAP_URL"] = mailbox.url.replace("secret-pw", "wrong")
    assert tasks.poll_mailbox.call_local().startswith("error")


def test_mail_poll_command(app, mailbox):
    mailbox.append(make_mail())
    result = app.test_cli_runner().invoke(args=["mail-poll"])
    assert result.exit_code == 0 and "1 fetched, 1 done" in result.output
    app.config["MAIL_IMAP_URL"] = "ftp://nowhere"
    bad = app.test_cli_runner().invoke(args=["mail-poll"])
    assert bad.exit_code == 1 and "imaps://" in bad.output


@pytest.mark.parametrize(
    ("url", "secure", "port", "user", "password", "box"),
    [
        ("imaps://me%40x.test:p%3Aw@mail.x.test/INBOX", True, 993, "me@x.test", "p:w", "INBOX"),
        ("imap://u:p@127.0.0.1:1143/Support%20In", False, 1143, "u", "p", "Support In"),
        ("imaps://u:p@h", True, 993, "u", "p", "INBOX"),
    ],
)
def test_parse_url(url, secure, port, user, password, box):
    t = mail_imap.parse_url(url)
    assert (t.secure, t.port, t.user, t.password, t.mailbox) == (secure, port, user, password, box)


def test_poll_interval():
    import os
    from datetime import datetime

    os.environ["MAIL_IMAP_URL"] = "imaps://u:p@h/INBOX"
    try:
        os.environ["MAIL_IMAP_POLL_SECONDS"] = "300"
        assert tasks.imap_poll_due(datetime(2026, 1, 1, 10, 5))
        assert not tasks.imap_poll_due(datetime(2026, 1, 1, 10, 6))
        os.environ["MAIL_IMAP_POLL_SECONDS"] = "20"
        assert tasks.imap_poll_due(datetime(2026, 1, 1, 10, 6))
    finally:
        os.environ.pop("MAIL_IMAP_URL")
        os.environ.pop("MAIL_IMAP_POLL_SECONDS")
    assert not tasks.imap_poll_due(datetime(2026, 1, 1, 10, 5))


def test_a_message_that_keeps_failing_is_left_to_the_admin(app, mailbox, monkeypatch):
    mailbox.append(make_mail(subject="Poison"))

    def broken(*a, **kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(ticket_service, "create_ticket", broken)
    for _ in range(mail_imap.MAX_ATTEMPTS - 1):
        assert mail_imap.poll().left_unseen == 1
    assert mail_imap.poll().kept == 1
    assert mailbox.unseen() == 0
    db.session.expire_all()
    (row,) = db.session.query(FailedMail).all()
    assert row.attempts == mail_imap.MAX_ATTEMPTS and row.source == "imap"
