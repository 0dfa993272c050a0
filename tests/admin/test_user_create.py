"""Admins create users from the UI, with a password or by an invitation link."""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import User
from tests.factories import make_user
from tests.helpers import location_path, snapshot, text


def _data(**overrides) -> dict:
    data = {"name": "Grace Hopper", "email": "grace@example.test", "role": "staff"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _invite_path(html: str) -> str:
    match = re.search(r"https?://[^/\s\"]+(/auth/password/invite/[^\s\"<]+)", html)
    assert match, html[:2000]
    return match.group(1)


def test_users_page_links_to_the_form(client, login_as, admin):
    login_as(admin)
    assert 'href="/admin/users/new"' in client.get("/admin/users").get_data(as_text=True)
    page = client.get("/admin/users/new")
    assert page.status_code == 200 and "Add a user" in text(page)


def test_create_with_a_password(client, login_as, admin):
    login_as(admin)
    resp = client.post("/admin/users/new", data=_data(setup="password", password="long-enough-pw"))
    assert resp.status_code == 303 and location_path(resp) == "/admin/users"
    assert "Account created for grace@example.test (staff)" in text(client.get("/admin/users"))
    user = _user("grace@example.test")
    assert (user.name, user.role, user.invited_at) == ("Grace Hopper", "staff", None)
    assert user.check_password("long-enough-pw")


def test_invite_without_mail_shows_the_link_once_and_it_works_once(app, client, login_as, admin):
    login_as(admin)
    resp = client.post("/admin/users/new", data=_data(setup="invite"))
    assert resp.status_code == 200
    page = text(resp)
    assert "Mail is not configured" in page and "shown only this once" in page
    link = _invite_path(resp.get_data(as_text=True))
    user = _user("grace@example.test")
    assert user.invited_at is not None
    assert "Invited" in text(client.get("/admin/users"))
    # Shown once: the list never repeats the link.
    assert "/auth/password/invite/" not in client.get("/admin/users").get_data(as_text=True)

    person = app.test_client()
    assert "Welcome, Grace Hopper" in text(person.get(link))
    done = person.post(link, data={"password": "graces-own-pw", "confirm": "graces-own-pw"})
    assert done.status_code == 303 and location_path(done) == "/auth/login"
    login = person.post(
        "/auth/login", data={"email": "grace@example.test", "password": "graces-own-pw"}
    )
    assert login.status_code == 302
    db.session.refresh(user)
    assert user.invited_at is None
    assert person.get(link).status_code == 400  # used


def test_invite_with_mail_sends_the_link(client, login_as, admin, smtp_server):
    login_as(admin)
    resp = client.post("/admin/users/new", data=_data(setup="invite"))
    assert resp.status_code == 303 and location_path(resp) == "/admin/users"
    assert "Invitation e-mailed to grace@example.test" in text(client.get("/admin/users"))
    assert smtp_server.received.wait(5)
    (envelope,) = smtp_server.messages
    assert envelope.rcpt_tos == ["grace@example.test"]
    body = message_from_bytes(envelope.content).get_payload(decode=True).decode()
    assert "/auth/password/invite/" in body and "72 hours" in body


def test_resend_retires_the_earlier_link(app, client, login_as, admin):
    login_as(admin)
    first = _invite_path(client.post("/admin/users/new", data=_data()).get_data(as_text=True))
    user = _user("grace@example.test")
    resent = client.post(f"/admin/users/{user.id}/invite")
    assert resent.status_code == 200
    second = _invite_path(resent.get_data(as_text=True))
    person = app.test_client()
    assert person.get(first).status_code == 400
    assert person.get(second).status_code == 200


def test_resend_for_someone_with_a_password_is_refused(client, login_as, admin, user):
    login_as(admin)
    resp = client.post(f"/admin/users/{user.id}/invite")
    assert resp.status_code == 303
    assert "already set a password" in text(client.get("/admin/users"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "   "}, "name", "Enter a name."),
        ({"name": "n" * 101}, "name", "100"),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": ""}, "email", "Enter an email address."),
        ({"email": "a b@x.test"}, "email", "Enter a valid email address."),
        ({"role": "owner"}, "role", "Not a valid choice"),
        ({"setup": "password", "password": ""}, "password", "Enter a password"),
        ({"setup": "password", "password": "short"}, "password", "at least 8"),
    ],
)
def test_invalid_fields_are_422_beside_the_field(
    client, login_as, admin, overrides, field, message
):
    login_as(admin)
    before = snapshot()
    resp = client.post("/admin/users/new", data=_data(**overrides))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert f'id="{field}-error"' in html or f'id="{field}' in html
    assert message in text(resp)
    assert snapshot() == before


@pytest.mark.parametrize(
    "email", ["Taken@Example.test", "taken@example.test", " TAKEN@example.TEST "]
)
def test_a_taken_address_in_any_case_is_422(client, login_as, admin, email):
    make_user("user", email="taken@example.test")
    login_as(admin)
    resp = client.post("/admin/users/new", data=_data(email=email))
    assert resp.status_code == 422
    assert "An account with this email already exists." in text(resp)


def test_a_mixed_case_stored_address_is_still_a_duplicate(client, login_as, admin):
    make_user("user", email="Mixed@Example.test")  # e.g. from before addresses were normalised
    login_as(admin)
    resp = client.post("/admin/users/new", data=_data(email="mixed@example.test"))
    assert resp.status_code == 422


def test_strange_input_is_never_a_500(client, login_as, admin):
    login_as(admin)
    raw = "name=%ED%A0%80&email=x%40y.test&role=user&setup=invite"
    resp = client.post(
        "/admin/users/new", data=raw, content_type="application/x-www-form-urlencoded"
    )
    assert resp.status_code in (200, 422)
    huge = client.post("/admin/users/new", data=_data(name="x" * 100_000))
    assert huge.status_code in (413, 422)


def test_non_admins_cannot_create(client, login_as, staff):
    login_as(staff)
    before = snapshot()
    assert client.post("/admin/users/new", data=_data()).status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert snapshot() == before


def test_create_needs_the_csrf_token(app, client, login_as, admin):
    login_as(admin)
    app.config["WTF_CSRF_ENABLED"] = True
    before = snapshot()
    resp = client.post("/admin/users/new", data=_data())
    assert resp.status_code == 400
    assert snapshot() == before


def test_resend_for_an_unknown_or_bot_user_is_404(client, login_as, admin):
    from portal.services.tickets import get_bot_user

    login_as(admin)
    assert client.post("/admin/users/99999/invite").status_code == 404
    assert client.post(f"/admin/users/{get_bot_user().id}/invite").status_code == 404


def test_every_problem_is_named_at_once(client, login_as, admin):
    login_as(admin)
    resp = client.post(
        "/admin/users/new",
        data=_data(name="", email=admin.email.upper(), setup="password", password=""),
    )
    assert resp.status_code == 422
    page = text(resp)
    for message in (
        "Enter a name.",
        "An account with this email already exists.",
        "Enter a password, or choose to send an invitation.",
    ):
        assert message in page
