"""CSRF on, as in production: every POST needs the token from the page (form field or the
X-CSRFToken header htmx sends from <body hx-headers>)."""

from __future__ import annotations

import json
import re

import pytest

from portal import config as portal_config
from portal import create_app
from portal.extensions import cache, db
from tests.conftest import (
    ENGINE_OPTIONS,
    ON_POSTGRES,
    TEST_DATABASE_URL,
    _reset_postgres,
    fresh_g_per_request,
    speed_up,
)
from tests.factories import PASSWORD, make_ticket, make_user
from tests.helpers import location_path, snapshot, text


@pytest.fixture
def app():
    """The suite's app with CSRF protection switched on."""
    app = create_app(
        portal_config.TestConfig,
        SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL,
        SQLALCHEMY_ENGINE_OPTIONS=ENGINE_OPTIONS,
        WTF_CSRF_ENABLED=True,
    )
    speed_up(app)
    fresh_g_per_request(app)
    with app.app_context():
        if ON_POSTGRES:
            db.create_all()
            _reset_postgres()
        else:
            db.create_all()
        cache.clear()
        yield app
        db.session.remove()
        if not ON_POSTGRES:
            db.drop_all()
        db.engine.dispose()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _header_token(html: str) -> str:
    """The token htmx sends, read from <body hx-headers='{"X-CSRFToken": ...}'>."""
    raw = re.search(r"<body[^>]*hx-headers='([^']+)'", html).group(1)
    return json.loads(raw)["X-CSRFToken"]


def _login(client, user):
    token = _token(text(client.get("/auth/login")))
    resp = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302


@pytest.fixture
def people(app):
    owner = make_user("user")
    return {
        "user": owner,
        "staff": make_user("staff"),
        "admin": make_user("admin"),
        "ticket": make_ticket(owner, title="CSRF ticket"),
    }


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _csrf_protected_routes(app, people) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every state-changing route CSRFProtect guards: new
    endpoints from any area are covered without editing this file."""
    csrf = app.extensions["csrf"]
    exempt_views = getattr(csrf, "_exempt_views", set())
    # Exempt blueprints (the API checks CSRF itself, for cookie sessions only) are theirs to test.
    exempt_bps = {getattr(bp, "name", bp) for bp in getattr(csrf, "_exempt_blueprints", set())}
    adapter = app.url_map.bind("localhost")
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if f"{view.__module__}.{view.__name__}" in exempt_views:
            continue
        if rule.endpoint.split(".")[0] in exempt_bps:
            continue
        values = {}
        for arg in rule.arguments:
            values[arg] = people["user"].id if "user" in arg else people["ticket"].id
        for method in sorted(rule.methods & UNSAFE):
            routes.append(
                (rule.endpoint, method, adapter.build(rule.endpoint, values, method=method))
            )
    return routes


def test_every_post_without_token_is_400_and_writes_nothing(app, people, hx):
    routes = _csrf_protected_routes(app, people)
    assert {"tickets.ticket_new", "staff.ticket_update", "admin.user_role", "auth.login"} <= {
        e for e, _, _ in routes
    }
    anonymous = app.test_client()
    signed_in = app.test_client()
    _login(signed_in, people["admin"])
    data = {"title": "x", "description": "y", "content": "z", "role": "admin", "status": "closed"}
    for endpoint, method, path in routes:
        before = snapshot()
        # Anonymous: refused either way (routes that check CSRF after login answer 401).
        resp = anonymous.open(path, method=method, data=data | {"csrf_token": "forged"})
        assert resp.status_code in (400, 401), (endpoint, method, "anonymous", resp.status_code)
        for client, headers in (
            (signed_in, {}),
            (signed_in, hx),
            (signed_in, {"X-CSRFToken": "forged"}),
            (signed_in, hx | {"X-CSRFToken": "forged"}),
        ):
            resp = client.open(
                path, method=method, data=data | {"csrf_token": "forged"}, headers=headers
            )
            assert resp.status_code == 400, (endpoint, method, headers, resp.status_code)
        resp = signed_in.open(path, method=method, data=data)
        assert resp.status_code == 400, (endpoint, method, "no token at all")
        assert snapshot() == before, f"{method} {path} wrote data without a CSRF token"
    assert signed_in.get("/admin/users").status_code == 200, "still logged in"
    page = text(anonymous.post("/auth/login", data={"email": "a@b.c", "password": "x"}))
    assert "Your form expired" in page


def test_form_token_from_the_page_works(client, people):
    _login(client, people["user"])
    page = text(client.get("/tickets/new"))
    resp = client.post(
        "/tickets/new",
        data={"title": "With token", "description": "ok", "csrf_token": _token(page)},
    )
    assert resp.status_code == 303
    assert "With token" in text(client.get(location_path(resp)))


def test_htmx_header_token_works(client, people, hx):
    _login(client, people["user"])
    t = people["ticket"]
    page = text(client.get(f"/tickets/{t.id}/"))
    resp = client.post(
        f"/tickets/{t.id}/responses/",
        data={"content": "Sent by htmx"},
        headers=hx | {"X-CSRFToken": _header_token(page)},
    )
    assert resp.status_code == 200
    assert "Sent by htmx" in text(resp)


def test_staff_and_admin_forms_carry_working_tokens(client, people):
    t = people["ticket"]
    _login(client, people["staff"])
    page = text(client.get(f"/staff/tickets/{t.id}/"))
    resp = client.post(f"/staff/tickets/{t.id}/resolve", data={"csrf_token": _token(page)})
    assert resp.status_code == 303
    db.session.refresh(t)
    assert t.status == "resolved"
    _login_as_admin = people["admin"]
    client.post("/auth/logout", data={"csrf_token": _token(text(client.get("/staff/")))})
    _login(client, _login_as_admin)
    page = text(client.get("/admin/users"))
    uid = people["user"].id
    role_form = page[page.index(f'action="/admin/users/{uid}/role"') :]
    resp = client.post(
        f"/admin/users/{uid}/role", data={"role": "staff", "csrf_token": _token(role_form)}
    )
    assert resp.status_code == 303
    db.session.refresh(people["user"])
    assert people["user"].role == "staff"


def test_csrf_failure_for_htmx_is_a_fragment_with_toast(client, people, hx):
    _login(client, people["user"])
    resp = client.post(
        f"/tickets/{people['ticket'].id}/responses/", data={"content": "x"}, headers=hx
    )
    assert resp.status_code == 400
    assert "<html" not in text(resp)
    assert "toast" in resp.headers["HX-Trigger"]
