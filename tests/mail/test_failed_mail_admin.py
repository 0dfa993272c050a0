"""The admin's "Failed mail" page: list, raw view (escaped), retry, delete; admins only."""

from __future__ import annotations

from portal.extensions import db
from portal.models import FailedMail, Ticket
from portal.services import mail_ingest
from tests.factories import count
from tests.helpers import assert_fragment
from tests.mail.conftest import make_mail


def _failed(app, **kw) -> FailedMail:
    app.config["MAIL_MAX_BYTES"] = 100
    result = mail_ingest.ingest(make_mail(**kw))
    app.config["MAIL_MAX_BYTES"] = None
    return db.session.get(FailedMail, result.failed_id)


def test_list_view_retry(app, client, login_as, admin, hx):
    row = _failed(app, subject="<script>alert(1)</script> Big scan", body="<b>hi</b>" * 200)
    login_as(admin)
    page = client.get("/admin/mail/failed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Big scan" in html
    assert "<script>alert(1)" not in html
    assert "Too large" in html and "uma@example.test" in html

    frag = client.get("/admin/mail/failed", headers=hx)
    assert_fragment(frag)

    detail = client.get(f"/admin/mail/failed/{row.id}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200
    assert "&lt;b&gt;hi&lt;/b&gt;" in text and "<b>hi</b>" not in text  # raw, escaped
    assert "Message-ID:" in text

    resp = client.post(f"/admin/mail/failed/{row.id}/retry")
    assert resp.status_code == 303
    followed = client.get(resp.headers["Location"]).get_data(as_text=True)
    ticket = db.session.query(Ticket).one()
    assert f"The mail became ticket #{ticket.id}." in followed
    assert "No failed mail" in followed
    assert count(FailedMail) == 0


def test_retry_still_failing_says_why(app, client, login_as, admin, monkeypatch):
    from portal.services import tickets as ticket_service

    row = _failed(app)
    monkeypatch.setattr(
        ticket_service, "create_ticket", lambda *a, **k: (_ for _ in ()).throw(OSError("gone"))
    )
    login_as(admin)
    resp = client.post(f"/admin/mail/failed/{row.id}/retry", follow_redirects=True)
    assert resp.status_code == 200
    assert "Still failing: OSError: gone" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FailedMail, row.id).attempts == 2


def test_delete(app, client, login_as, admin):
    row = _failed(app)
    login_as(admin)
    resp = client.post(f"/admin/mail/failed/{row.id}/delete", follow_redirects=True)
    assert "The failed mail was deleted." in resp.get_data(as_text=True)
    assert count(FailedMail) == 0
    assert client.post(f"/admin/mail/failed/{row.id}/delete").status_code == 404
    assert client.get("/admin/mail/failed/99999999999").status_code == 404


def test_staff_and_users_cannot_see_failed_mail(app, client, login_as, staff, user):
    row = _failed(app)
    for person in (staff, user):
        login_as(person)
        assert client.get("/admin/mail/failed").status_code == 403
        assert client.get(f"/admin/mail/failed/{row.id}").status_code == 403
        assert client.post(f"/admin/mail/failed/{row.id}/retry").status_code == 403
    assert count(FailedMail) == 1 and count(Ticket) == 0
