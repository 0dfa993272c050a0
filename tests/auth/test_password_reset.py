"""Password reset by mail, set-password links and password change, through the pages."""

from __future__ import annotations

import re
import time
from email import message_from_bytes

import pytest

from portal.extensions import db
from portal.services import password_tokens
from portal.services.password_tokens import RESET
from tests.factories import PASSWORD, make_user
from tests.helpers import location_path, text

SAME_ANSWER = "If an account exists for"


def _link_in(envelope) -> str:
    body = message_from_bytes(envelope.content).get_payload(decode=True).decode()
    match = re.search(r"https?://[^/\s]+(/auth/password/reset/\S+)", body)
    assert match, body
    return match.group(1)


def _login(client, email, password=PASSWORD):
    return client.post("/auth/login", data={"email": email, "password": password})


def test_login_page_offers_the_reset(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/reset"' in html and "Forgot your password?" in html


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, user, smtp_server):
    known = client.post("/auth/reset", data={"email": user.email})
    unknown = client.post("/auth/reset", data={"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200
    assert SAME_ANSWER in text(known) and SAME_ANSWER in text(unknown)
    assert text(known).replace(user.email, "X") == text(unknown).replace("nobody@example.test", "X")
    assert smtp_server.received.wait(5)
    (envelope,) = smtp_server.messages  # only the known address got mail
    assert envelope.rcpt_tos == [user.email]


def test_reset_mail_link_sets_a_new_password_once(client, user, smtp_server):
    client.post("/auth/reset", data={"email": user.email.upper()})
    assert smtp_server.received.wait(5)
    link = _link_in(smtp_server.messages[0])
    page = client.get(link)
    assert page.status_code == 200 and user.email in text(page)
    resp = client.post(link, data={"password": "brand-new-pw-1", "confirm": "brand-new-pw-1"})
    assert resp.status_code == 303 and location_path(resp) == "/auth/login"
    assert "Your password is set" in text(client.get("/auth/login"))
    assert _login(client, user.email, "brand-new-pw-1").status_code == 302
    client.post("/auth/logout")
    assert _login(client, user.email, PASSWORD).status_code == 422
    # The link is used up: a clear 400 page, not a form.
    again = client.get(link)
    assert again.status_code == 400 and "This link does not work" in text(again)
    replay = client.post(link, data={"password": "another-pw-22", "confirm": "another-pw-22"})
    assert replay.status_code == 400
    db.session.refresh(user)
    assert user.check_password("brand-new-pw-1")


def test_using_a_reset_link_ends_other_sessions(app, user):
    laptop, phone = app.test_client(), app.test_client()
    for c in (laptop, phone):
        assert _login(c, user.email).status_code == 302
    token = password_tokens.make_token(user, RESET)
    fresh = app.test_client()
    resp = fresh.post(
        f"/auth/password/reset/{token}",
        data={"password": "brand-new-pw-1", "confirm": "brand-new-pw-1"},
    )
    assert resp.status_code == 303
    for c in (laptop, phone):
        page = c.get("/tickets/")
        assert page.status_code == 302 and location_path(page) == "/auth/login"


def test_a_remember_me_cookie_dies_with_the_password(app, user):
    browser = app.test_client()
    browser.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = browser.get_cookie("remember_token")
    assert remember is not None
    token = password_tokens.make_token(user, RESET)
    app.test_client().post(
        f"/auth/password/reset/{token}",
        data={"password": "brand-new-pw-1", "confirm": "brand-new-pw-1"},
    )
    # A browser that only has the old remember cookie (its session cookie gone) is not let in.
    later = app.test_client()
    later.set_cookie("remember_token", remember.value)
    page = later.get("/tickets/")
    assert page.status_code == 302 and location_path(page) == "/auth/login"


def test_an_expired_link_is_a_clear_410(client, user):
    token = password_tokens.make_token(user, RESET, now=time.time() - 2 * 3600)
    resp = client.get(f"/auth/password/reset/{token}")
    assert resp.status_code == 410
    assert "This link has expired" in text(resp) and "Ask for a new link" in text(resp)


@pytest.mark.parametrize(
    "path",
    [
        "/auth/password/reset/garbage",
        "/auth/password/reset/" + "a" * 3000,
        "/auth/password/reset/%ED%A0%80",
        "/auth/password/reset/%00",
    ],
)
def test_a_wrong_link_is_a_clear_400(client, path):
    resp = client.get(path)
    assert resp.status_code == 400 and "This link does not work" in text(resp)


def test_an_unknown_link_kind_is_404(client, user):
    token = password_tokens.make_token(user, RESET)
    assert client.get(f"/auth/password/other/{token}").status_code == 404


def test_set_password_enforces_the_rules_beside_the_field(client, user):
    token = password_tokens.make_token(user, RESET)
    resp = client.post(
        f"/auth/password/reset/{token}", data={"password": "short", "confirm": "short"}
    )
    assert resp.status_code == 422 and "Use 8 to 200 characters." in text(resp)
    resp = client.post(
        f"/auth/password/reset/{token}",
        data={"password": "long-enough-1", "confirm": "different-1"},
    )
    assert resp.status_code == 422 and "Passwords differ." in text(resp)
    # The link still works after a refused password.
    assert client.get(f"/auth/password/reset/{token}").status_code == 200


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 300 + "@x.test"])
def test_reset_form_errors_are_422(client, email):
    resp = client.post("/auth/reset", data={"email": email})
    assert resp.status_code == 422


@pytest.mark.parametrize("raw", ["email=%ED%A0%80%40x.test", "email=a%00b%40x.test", "email=%FF"])
def test_reset_with_strange_characters_is_never_a_500(client, raw):
    resp = client.post("/auth/reset", data=raw, content_type="application/x-www-form-urlencoded")
    assert resp.status_code in (200, 422)


def test_deactivated_and_bot_accounts_get_no_mail(client, smtp_server):
    make_user("user", email="gone@example.test", active=False)
    resp = client.post("/auth/reset", data={"email": "gone@example.test"})
    assert SAME_ANSWER in text(resp)
    assert smtp_server.messages == []


def test_reset_without_smtp_still_answers_the_same(client, user):
    resp = client.post("/auth/reset", data={"email": user.email})
    assert resp.status_code == 200 and SAME_ANSWER in text(resp)


# ---------------------------------------------------------------------------- change


def test_change_password_needs_the_current_one(client, login_as, user):
    login_as(user)
    resp = client.post(
        "/auth/password",
        data={"current": "wrong-one", "password": "brand-new-pw-1", "confirm": "brand-new-pw-1"},
    )
    assert resp.status_code == 422 and "Your current password is not right." in text(resp)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_change_password_keeps_this_browser_and_ends_the_others(app, client, login_as, user):
    other = app.test_client()
    assert _login(other, user.email).status_code == 302
    login_as(user)
    resp = client.post(
        "/auth/password",
        data={"current": PASSWORD, "password": "brand-new-pw-1", "confirm": "brand-new-pw-1"},
    )
    assert resp.status_code == 303
    assert "Password changed" in text(client.get("/auth/password"))
    assert client.get("/tickets/").status_code == 200
    gone = other.get("/tickets/")
    assert gone.status_code == 302 and location_path(gone) == "/auth/login"


def test_change_password_page_is_linked_from_the_header(client, login_as, user):
    login_as(user)
    assert 'href="/auth/password"' in client.get("/tickets/").get_data(as_text=True)


def test_change_password_refuses_a_short_one(client, login_as, user):
    login_as(user)
    resp = client.post(
        "/auth/password", data={"current": PASSWORD, "password": "short", "confirm": "short"}
    )
    assert resp.status_code == 422 and "Use 8 to 200 characters." in text(resp)


def test_staff_profile_links_to_password_change(client, login_as, staff):
    login_as(staff)
    page = client.get("/staff/profile/").get_data(as_text=True)
    assert 'href="/auth/password"' in page and "Change your password" in page
