"""Rate limits: what a person hammering a form or the API notices (429, Retry-After, a clear
message), and that everyone else is unaffected."""

from __future__ import annotations

import pytest

from portal import create_app, ratelimit
from portal.config import TestConfig as PortalTestConfig
from tests.api.test_ai_api import bearer
from tests.factories import PASSWORD, make_user
from tests.helpers import HX, assert_fragment, text


@pytest.fixture
def limits(app):
    """Real limits for this test: lower the ones it names, from a clean slate."""
    ratelimit.limiter.reset()

    def set_limits(**values: str) -> None:
        for key, value in values.items():
            app.config[f"RATELIMIT_{key.upper()}"] = value

    yield set_limits
    ratelimit.limiter.reset()


def test_300_wrong_passwords_are_stopped_long_before_300(client, app, user, limits):
    limits(login_account="10 per 15 minutes", login_client="50 per 15 minutes")
    statuses = []
    for i in range(300):
        resp = client.post("/auth/login", data={"email": user.email, "password": f"guess-{i}"})
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            break
    assert statuses.count(422) == 10 and statuses[-1] == 429  # the 11th try is refused
    # The right password during the lockout is refused too, with a clear message.
    resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 60
    assert "Too many failed logins" in text(resp) and "minutes" in text(resp)
    assert client.get("/tickets/").status_code == 302  # not logged in
    # The browser's boosted form gets the same words in a toast (htmx swaps no 429 page).
    boosted = client.post(
        "/auth/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"HX-Request": "true", "HX-Boosted": "true"},
    )
    assert boosted.status_code == 429 and "Too many failed logins" in boosted.headers["HX-Trigger"]
    # Another account from the same address still logs in.
    other = make_user("user")
    assert (
        client.post("/auth/login", data={"email": other.email, "password": PASSWORD}).status_code
        == 302
    )


def test_successful_logins_do_not_count(client, user, limits):
    limits(login_account="3 per 15 minutes")
    for _ in range(5):
        assert (
            client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
        client.post("/auth/logout")


def test_login_per_client_address_across_accounts(client, limits):
    limits(login_client="5 per 15 minutes")
    codes = [
        client.post("/auth/login", data={"email": f"n{i}@example.com", "password": "x"}).status_code
        for i in range(7)
    ]
    assert codes == [422] * 5 + [429] * 2


def test_register_is_limited_per_client(client, limits):
    limits(register="2 per hour")
    codes = []
    for i in range(3):
        client.post("/auth/logout")
        codes.append(
            client.post(
                "/auth/register",
                data={
                    "name": "N",
                    "email": f"new{i}@example.com",
                    "password": "Kestrel-5521-plum",
                    "confirm": "Kestrel-5521-plum",
                },
            ).status_code
        )
    assert codes == [302, 302, 429]


def test_api_is_limited_per_token_as_json(client, user, other_user, limits):
    limits(api="3 per minute")
    h = bearer(user)
    codes = [client.get("/api/tickets/", headers=h).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    resp = client.get("/api/tickets/", headers=h)
    assert resp.status_code == 429 and resp.is_json
    assert resp.json["status"] == 429 and "Too many requests" in resp.json["error"]
    assert int(resp.headers["Retry-After"]) >= 1
    # Another token is counted apart.
    assert client.get("/api/tickets/", headers=bearer(other_user)).status_code == 200


def test_ai_panel_actions_per_user_answer_a_fragment(client, login_as, staff, ticket, limits):
    limits(ai_panel="2 per minute")
    login_as(staff)
    url = f"/staff/tickets/{ticket.id}/ai/regenerate"
    codes = [client.post(url, headers=HX).status_code for _ in range(2)]
    assert codes == [200, 200]
    resp = client.post(f"/staff/tickets/{ticket.id}/ai", headers=HX)  # the same budget
    assert resp.status_code == 429 and "Retry-After" in resp.headers
    assert_fragment(resp)
    assert "Too many requests" in text(resp)


def test_ai_chat_messages_per_user(client, user, limits):
    from tests.api.test_ai_api import start_conversation

    limits(ai_chat="2 per minute")
    h = bearer(user)
    conv = start_conversation(client, h)
    body = {"conversation_id": conv, "message": "How do I reset my password?"}
    codes = [client.post("/api/ai/chat/", json=body, headers=h).status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_proxy_fix_counts_the_forwarded_client(app, limits):
    """Behind a proxy (PROXY_FIX_X_FOR=1) two clients are two addresses, not one."""
    proxied = create_app(
        PortalTestConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        PROXY_FIX_X_FOR=1,
        RATELIMIT_LOGIN_CLIENT="2 per 15 minutes",
    )
    c = proxied.test_client()

    def attempt(addr: str) -> int:
        return c.post(
            "/auth/login",
            data={"email": "nobody@example.com", "password": "x"},
            headers={"X-Forwarded-For": addr},
        ).status_code

    with proxied.app_context():
        from portal.extensions import db

        db.create_all()
        assert [attempt("203.0.113.5") for _ in range(3)][-1] == 429
        assert attempt("198.51.100.7") != 429
