"""The list page, mark read, mark all read, paging, the header count; htmx and plain."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import Notification
from portal.services import notifications as service
from tests.factories import make_ticket


def add_notes(user, n: int, ticket=None) -> list[Notification]:
    notes = [
        service.notify(user, kind="reply", message=f"Message number {i}", ticket=ticket)
        for i in range(n)
    ]
    return notes


def test_empty_state(client, login_as, user):
    login_as(user)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b"No notifications yet" in page.data
    assert b"all caught up" in client.get("/notifications/?show=unread").data


def test_header_shows_unread_count(client, login_as, user):
    make_ticket(user)
    add_notes(user, 2)
    login_as(user)
    page = client.get("/tickets/").data.decode()
    assert 'id="notifications-badge"' in page
    assert "Notifications: 3 unread" in page
    badge = client.get("/notifications/badge", headers={"HX-Request": "true"})
    assert badge.status_code == 200 and b"<html" not in badge.data
    assert b"3 unread" in badge.data


def test_list_pages_and_escapes(client, login_as, user):
    ticket = make_ticket(user, title="<script>alert(1)</script>")
    add_notes(user, 25, ticket)
    login_as(user)
    first = client.get("/notifications/").data
    assert b"Message number 24" in first and b"Message number 4" not in first
    assert b"Page 1 of 2" in first
    second = client.get("/notifications/?page=2").data
    assert b"Message number 4" in second and b"Message number 24" not in second
    assert b"<script>alert(1)</script>" not in second
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in second


def test_mark_read_plain_and_htmx(client, login_as, user, hx):
    a, b = add_notes(user, 2)
    login_as(user)
    resp = client.post(f"/notifications/{a.id}/read")
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/notifications/")
    assert service.unread_count(user) == 1
    resp = client.post(f"/notifications/{b.id}/read?show=unread", headers=hx)
    assert resp.status_code == 200
    assert b"<html" not in resp.data and b"all caught up" in resp.data
    assert "notifications-changed" in resp.headers["HX-Trigger"]
    assert "HX-Request" in resp.headers["Vary"]
    assert service.unread_count(user) == 0


def test_mark_all_read(client, login_as, user, other_user):
    add_notes(user, 3)
    add_notes(other_user, 2)
    login_as(user)
    resp = client.post("/notifications/read-all", follow_redirects=True)
    assert b"Marked 3 notifications as read." in resp.data
    assert service.unread_count(user) == 0
    assert service.unread_count(other_user) == 2


def test_open_marks_read_and_goes_to_the_right_ticket_page(client, login_as, user, staff):
    ticket = make_ticket(user)
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == user.id))
    login_as(user)
    resp = client.post(f"/notifications/{note.id}/open")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/tickets/{ticket.id}/")
    assert service.unread_count(user) == 0
    (staff_note,) = add_notes(staff, 1, ticket)
    login_as(staff)
    resp = client.post(f"/notifications/{staff_note.id}/open", headers={"HX-Request": "true"})
    assert resp.status_code == 204
    assert resp.headers["HX-Redirect"].endswith(f"/staff/tickets/{ticket.id}/")


def test_someone_elses_notification_is_404(client, login_as, user, other_user):
    (note,) = add_notes(user, 1)
    login_as(other_user)
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert service.unread_count(user) == 1


def test_dual_mode_list(client, login_as, user, hx):
    add_notes(user, 1)
    login_as(user)
    full = client.get("/notifications/")
    assert b"<html" in full.data
    fragment = client.get("/notifications/", headers=hx)
    assert b"<html" not in fragment.data and b'id="notification-list"' in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/notifications/", headers={**hx, "HX-Boosted": "true"})
    assert b"<html" in boosted.data


def test_csrf_is_enforced(app, client, login_as, user):
    (note,) = add_notes(user, 1)
    login_as(user)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/notifications/{note.id}/read").status_code == 400
        assert client.post("/notifications/read-all").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert service.unread_count(user) == 1


def test_huge_ids_are_404(client, login_as, user):
    login_as(user)
    for verb in ("read", "open"):
        assert client.post(f"/notifications/99999999999999999999/{verb}").status_code == 404
