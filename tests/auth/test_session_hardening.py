"""Cookies and headers of a logged-in browser: flags, HSTS, no-store, CSRF and logout."""

from __future__ import annotations

import re

import pytest

from portal import config, create_app
from portal.models import User
from tests.factories import PASSWORD

HTTPS = "https://localhost"


def _cookie_header(resp, name: str) -> str:
    headers = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, (name, resp.headers.getlist("Set-Cookie"))
    return headers[-1]


@pytest.fixture
def secure_client(app, client):
    """Served as behind HTTPS with SESSION_COOKIE_SECURE on (set as create_app sets it)."""
    derived = create_app(config.TestConfig, SESSION_COOKIE_SECURE=True).config
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = derived["REMEMBER_COOKIE_SECURE"]
    return client


def test_remember_cookie_is_secure_httponly_lax_under_secure_sessions(secure_client, user):
    resp = secure_client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
        base_url=HTTPS,
    )
    assert resp.status_code == 302
    for name in ("remember_token", "session"):
        cookie = _cookie_header(resp, name)
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_without_secure_sessions(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_remember_cookie_flags_without_secure(client, user):
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookie = _cookie_header(resp, "remember_token")
    assert "; HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    assert "1970" not in expires


def test_private_pages_are_not_stored_public_ones_may_be(client, login_as, user):
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
    login_as(user)
    for path in ("/tickets/", "/tickets/new"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_logout_clears_the_remember_cookie(client, user):
    client.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    resp = client.post("/auth/logout")
    cookie = _cookie_header(resp, "remember_token")
    assert "Expires=Thu, 01 Jan 1970" in cookie
    assert client.get("/tickets/").status_code == 302  # logged out, no cookie logs back in


def test_login_rotates_the_csrf_token(app, client, user):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/auth/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": before}
    )
    assert resp.status_code == 302
    page = client.get("/tickets/new").get_data(as_text=True)
    after = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert after != before
    # The token from before login no longer works.
    resp = client.post("/auth/logout", data={"csrf_token": before})
    assert resp.status_code == 400
    assert client.post("/auth/logout", data={"csrf_token": after}).status_code == 302


@pytest.mark.skipif(
    not hasattr(User, "session_stamp"), reason="needs the per-account session stamp"
)
def test_a_copied_session_or_remember_cookie_stops_working_after_logout(app, user):
    victim = app.test_client()
    victim.post("/auth/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    stolen = {c.key: c.value for c in victim._cookies.values()}
    victim.post("/auth/logout")
    thief = app.test_client()
    for key, value in stolen.items():
        thief.set_cookie(key, value)
    assert thief.get("/tickets/").status_code == 302
    thief.delete_cookie("session")
    assert thief.get("/tickets/").status_code == 302  # the remember cookie alone, too
