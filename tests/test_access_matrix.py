"""One access matrix: every endpoint × {anonymous, owner, another user, staff, admin}.

The endpoints come from the app's url_map, so a new endpoint without an expectation fails
(in the foundation's areas) or is skipped with a message naming what to add (in other areas).
Expectations live in ACCESS below; another area can keep its own table in
``tests/<area>/access.py`` exposing ``ACCESS`` in the same shape, and it is merged in here.

Placeholders in paths: {ticket} is a ticket owned by the "user" role, {user} that user's id.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from portal import config as portal_config
from portal import create_app
from portal.services.settings import SPECS
from tests.factories import make_ticket, make_user
from tests.helpers import (
    assert_htmx_login,
    assert_redirects_to_login,
    location_path,
    snapshot,
)

ROLES = ("anonymous", "user", "other_user", "staff", "admin")
FOUNDATION = {"main", "auth", "tickets", "staff", "admin"}
LOGIN = "login"  # 302 to the login page; 401 with HX-Redirect for htmx


@dataclass(frozen=True)
class Redirect:
    to: str  # the redirect's path starts with this ({ticket} and {user} are filled in)


@dataclass(frozen=True)
class Access:
    path: str
    expect: tuple  # one per ROLES entry: LOGIN, a status code or a Redirect
    data: dict = field(default_factory=dict)


def _R(to: str) -> Redirect:
    return Redirect(to)


_settings_form = {
    s.key: ("y" if s.default else "") if s.kind is bool else str(s.default) for s in SPECS
}
_settings_form = {k: v for k, v in _settings_form.items() if v != ""}

_TICKET = "/tickets/{ticket}/"
_STAFF_TICKET = "/staff/tickets/{ticket}/"
_SIGNED_IN_HOME = (_R("/"),) * 4
_STAFF_POST = (LOGIN, 403, 403, _R(_STAFF_TICKET), _R(_STAFF_TICKET))
_STAFF_GET = (LOGIN, 403, 403, 200, 200)
_ADMIN_ONLY = (LOGIN, 403, 403, 403)

ACCESS: dict[tuple[str, str], Access] = {
    ("main.index", "GET"): Access(
        "/", (_R("/auth/login"), _R("/tickets/"), _R("/tickets/"), _R("/staff/"), _R("/staff/"))
    ),
    ("main.healthz", "GET"): Access("/healthz", (200,) * 5),
    ("main.favicon", "GET"): Access("/favicon.ico", (200,) * 5),
    ("auth.login", "GET"): Access("/auth/login", (200, *_SIGNED_IN_HOME)),
    ("auth.login", "POST"): Access(
        "/auth/login", (422, *_SIGNED_IN_HOME), {"email": "nobody@x.test", "password": "wrong-pw"}
    ),
    ("auth.register", "GET"): Access("/auth/register", (200, *_SIGNED_IN_HOME)),
    ("auth.register", "POST"): Access(
        "/auth/register",
        (_R("/tickets/"), *_SIGNED_IN_HOME),
        {
            "name": "New",
            "email": "new@example.com",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    ),
    ("auth.logout", "POST"): Access("/auth/logout", (LOGIN,) + (_R("/auth/login"),) * 4),
    ("tickets.ticket_list", "GET"): Access("/tickets/", (LOGIN, 200, 200, 200, 200)),
    ("tickets.ticket_new", "GET"): Access("/tickets/new", (LOGIN, 200, 200, 200, 200)),
    ("tickets.ticket_new", "POST"): Access(
        "/tickets/new",
        (LOGIN,) + (_R("/tickets/"),) * 4,
        {"title": "Wifi drops", "description": "Every hour."},
    ),
    ("tickets.ticket_create", "POST"): Access(
        "/tickets/",
        (LOGIN,) + (_R("/tickets/"),) * 4,
        {"title": "Wifi drops", "description": "Every hour."},
    ),
    ("tickets.ticket_detail", "GET"): Access(_TICKET, (LOGIN, 200, 404, 200, 200)),
    ("tickets.response_list", "GET"): Access(_TICKET + "responses/", (LOGIN, 200, 404, 200, 200)),
    ("tickets.reply_create", "POST"): Access(
        _TICKET + "responses/",
        (LOGIN, _R(_TICKET), 404, _R(_TICKET), _R(_TICKET)),
        {"content": "Hi"},
    ),
    ("tickets.ticket_close", "POST"): Access(
        _TICKET + "close/", (LOGIN, _R(_TICKET), 404, _R(_TICKET), _R(_TICKET))
    ),
    ("tickets.ticket_reopen", "POST"): Access(
        _TICKET + "reopen/", (LOGIN, _R(_TICKET), 404, _R(_TICKET), _R(_TICKET))
    ),
    ("staff.queue", "GET"): Access("/staff/", _STAFF_GET),
    ("staff.queue_counts", "GET"): Access("/staff/counts", _STAFF_GET),
    ("staff.ticket_detail", "GET"): Access(_STAFF_TICKET, _STAFF_GET),
    ("staff.event_list", "GET"): Access(_STAFF_TICKET + "events", _STAFF_GET),
    ("staff.reply_create", "POST"): Access(
        _STAFF_TICKET + "responses/", _STAFF_POST, {"content": "On it"}
    ),
    ("staff.ticket_update", "POST"): Access(
        _STAFF_TICKET + "fields",
        _STAFF_POST,
        {"status": "open", "priority": "high", "category": ""},
    ),
    ("staff.ticket_resolve", "POST"): Access(_STAFF_TICKET + "resolve", _STAFF_POST),
    ("staff.ticket_close", "POST"): Access(_STAFF_TICKET + "close", _STAFF_POST),
    ("staff.ticket_reopen", "POST"): Access(_STAFF_TICKET + "reopen", _STAFF_POST),
    ("staff.ticket_assign", "POST"): Access(
        _STAFF_TICKET + "assign", _STAFF_POST, {"assignee": "me"}
    ),
    # Queue tools: saved views (private: another person's id is a 404) and bulk actions.
    ("staff.saved_view_list", "GET"): Access("/staff/views/", _STAFF_GET),
    ("staff.saved_view_create", "POST"): Access(
        "/staff/views/", (LOGIN, 403, 403, _R("/staff/"), _R("/staff/")), {"name": "Mine"}
    ),
    ("staff.saved_view_rename", "POST"): Access(
        "/staff/views/999999/rename", (LOGIN, 403, 403, 404, 404), {"name": "Renamed"}
    ),
    ("staff.saved_view_delete", "POST"): Access(
        "/staff/views/999999/delete", (LOGIN, 403, 403, 404, 404)
    ),
    ("staff.bulk_update", "POST"): Access(
        "/staff/bulk",
        (LOGIN, 403, 403, _R("/staff/"), _R("/staff/")),
        {"action": "priority", "priority": "high", "ticket_ids": "999999"},
    ),
    ("admin.index", "GET"): Access("/admin/", (*_ADMIN_ONLY, _R("/admin/settings"))),
    ("admin.settings_edit", "GET"): Access("/admin/settings", (*_ADMIN_ONLY, 200)),
    ("admin.settings_edit", "POST"): Access(
        "/admin/settings", (*_ADMIN_ONLY, _R("/admin/settings")), _settings_form
    ),
    ("admin.user_list", "GET"): Access("/admin/users", (*_ADMIN_ONLY, 200)),
    ("admin.user_role", "POST"): Access(
        "/admin/users/{user}/role", (*_ADMIN_ONLY, _R("/admin/users")), {"role": "staff"}
    ),
    ("admin.user_active", "POST"): Access(
        "/admin/users/{user}/active", (*_ADMIN_ONLY, _R("/admin/users"))
    ),
    # Failed mail: no row exists here, so an admin gets a 404 (tests/mail covers the rest).
    ("admin.failed_mail_list", "GET"): Access("/admin/mail/failed", (*_ADMIN_ONLY, 200)),
    ("admin.failed_mail_detail", "GET"): Access("/admin/mail/failed/999999", (*_ADMIN_ONLY, 404)),
    ("admin.failed_mail_retry", "POST"): Access(
        "/admin/mail/failed/999999/retry", (*_ADMIN_ONLY, 404)
    ),
    ("admin.failed_mail_delete", "POST"): Access(
        "/admin/mail/failed/999999/delete", (*_ADMIN_ONLY, 404)
    ),
}


# Satisfaction (CSAT) and reports. {ticket} is open, so its requester's rating is refused with
# a message on the ticket page; only the requester may rate (staff get 404 like anyone else).
# A rating link is its own key: a malformed one is a 400 for everybody, signed in or not.
_NOT_THE_REQUESTER = (LOGIN, _R(_TICKET), 404, 404, 404)
_API_WRITE = (401, 400, 400, 400, 400)  # the matrix posts forms without the API's CSRF header
REPORT_ACCESS: dict[tuple[str, str], Access] = {
    ("tickets.satisfaction_create", "POST"): Access(
        _TICKET + "satisfaction/", _NOT_THE_REQUESTER, {"rating": "5"}
    ),
    ("rate.rating_link", "GET"): Access("/rate/not-a-signed-token", (400,) * 5),
    ("rate.rating_submit", "POST"): Access("/rate/not-a-signed-token", (400,) * 5, {"rating": "5"}),
    ("staff.report_index", "GET"): Access("/staff/reports", _STAFF_GET),
    ("staff.report_csv", "GET"): Access("/staff/reports/ratings.csv", _STAFF_GET),
    ("api.satisfaction_create", "POST"): Access(
        "/api/tickets/{ticket}/satisfaction/", _API_WRITE, {"rating": "5"}
    ),
    ("api.report_summary", "GET"): Access("/api/reports/summary", (401, 403, 403, 200, 200)),
}
ACCESS.update(REPORT_ACCESS)


def _area_tables() -> dict:
    """ACCESS tables other areas keep in tests/<area>/access.py."""
    merged: dict = {}
    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if info.ispkg and (here / info.name / "access.py").exists():
            module = importlib.import_module(f"tests.{info.name}.access")
            merged.update(getattr(module, "ACCESS", {}))
    return merged


ACCESS.update(_area_tables())


def _registered() -> list[tuple[str, str]]:
    app = create_app(portal_config.TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    pairs = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            pairs.add((rule.endpoint, method))
    return sorted(pairs)


ENDPOINTS = _registered()


def test_table_has_no_stale_foundation_entries():
    stale = [key for key in ACCESS if key[0].split(".")[0] in FOUNDATION and key not in ENDPOINTS]
    assert stale == [], f"ACCESS lists endpoints the app no longer has: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("endpoint", "method"), ENDPOINTS, ids=[f"{e}:{m}" for e, m in ENDPOINTS])
def test_access(endpoint, method, role, app, client, login_as, hx):
    entry = ACCESS.get((endpoint, method))
    if entry is None:
        area = endpoint.split(".")[0]
        message = (
            f"no access expectation for {method} {endpoint}: add one to ACCESS in "
            f"tests/test_access_matrix.py (or tests/{area}/access.py)"
        )
        if area in FOUNDATION:
            pytest.fail(message)
        pytest.skip(message)

    owner = make_user("user", name="Owner")
    people = {
        "user": owner,
        "other_user": make_user("user", name="Other"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }
    ticket = make_ticket(owner, title="Owner's private ticket")
    path = entry.path.format(ticket=ticket.id, user=owner.id)
    if role != "anonymous":
        login_as(people[role])
    expected = entry.expect[ROLES.index(role)]
    before = snapshot()

    resp = client.open(path, method=method, data=entry.data)

    if expected == LOGIN:
        # After logging in the user returns to the page, never to a form post or a fragment.
        assert_redirects_to_login(resp, next_path=path if method == "GET" else None)
        page = "http://localhost/tickets/?page=2"
        hx_resp = client.open(
            path, method=method, data=entry.data, headers=hx | {"HX-Current-URL": page}
        )
        assert_htmx_login(hx_resp, next_path="/tickets/?page=2")
    elif isinstance(expected, Redirect):
        assert resp.status_code in (302, 303), (resp.status_code, resp.data[:400])
        target = expected.to.format(ticket=ticket.id, user=owner.id)
        assert location_path(resp).startswith(target)
    else:
        assert resp.status_code == expected, resp.data[:400]
    if expected == 404 or expected == 403 or expected == LOGIN:
        assert b"Owner&#39;s private ticket" not in resp.data
        if method != "GET":
            assert snapshot() == before, "a refused request changed data"
    if expected == 403:
        assert b"You do not have access" in resp.data


# --- After a merge ----------------------------------------------------------------------------
# The source ticket's requester follows the target; nobody else gains anything, and internal
# notes stay staff-only. {source} was merged into {target}; {unrelated} belongs to other_user;
# {note} is an internal note on the target.

MERGE_ROLES = ("anonymous", "source_requester", "target_requester", "other_user", "staff", "admin")
_TARGET = "/tickets/{target}/"
_BACK_TO_TARGET = _R("/tickets/{target}/")
MERGED_ACCESS = [
    ("GET", _TARGET, (LOGIN, 200, 200, 404, 200, 200)),
    ("GET", _TARGET + "responses/", (LOGIN, 200, 200, 404, 200, 200)),
    ("POST", _TARGET + "responses/", (LOGIN, _BACK_TO_TARGET, _BACK_TO_TARGET, 404, _BACK_TO_TARGET, _BACK_TO_TARGET)),
    ("POST", _TARGET + "close/", (LOGIN, 403, _BACK_TO_TARGET, 404, _BACK_TO_TARGET, _BACK_TO_TARGET)),
    ("GET", "/tickets/{source}/", (LOGIN, 200, 404, 404, 200, 200)),
    ("GET", "/tickets/{unrelated}/", (LOGIN, 404, 404, 200, 200, 200)),
    ("GET", "/staff/tickets/{target}/", (LOGIN, 403, 403, 403, 200, 200)),
    ("GET", "/staff/tickets/{target}/merge", (LOGIN, 403, 403, 403, 200, 200)),
    ("GET", "/api/tickets/{target}/", (401, 200, 200, 404, 200, 200)),
    ("GET", "/api/tickets/{target}/responses/", (401, 200, 200, 404, 200, 200)),
    ("GET", "/api/responses/{note}/", (401, 404, 404, 404, 200, 200)),
]  # fmt: skip
NOTE_TEXT = "Internal: the VIP list"


@pytest.mark.parametrize("role", MERGE_ROLES)
@pytest.mark.parametrize(
    ("method", "path", "expect"), MERGED_ACCESS, ids=[f"{m} {p}" for m, p, _ in MERGED_ACCESS]
)
def test_access_after_merge(method, path, expect, role, app, client, login_as):
    from portal.services import merge as merge_service
    from tests.factories import make_reply

    people = {
        "source_requester": make_user("user"),
        "target_requester": make_user("user"),
        "other_user": make_user("user"),
        "staff": make_user("staff"),
        "admin": make_user("admin"),
    }
    source = make_ticket(people["source_requester"], title="Wifi down")
    target = make_ticket(people["target_requester"], title="Wifi is down")
    unrelated = make_ticket(people["other_user"], title="Other's private ticket")
    note = make_reply(target, people["staff"], NOTE_TEXT, internal=True)
    merge_service.merge_tickets(source, target, actor=people["staff"])
    ids = {"source": source.id, "target": target.id, "unrelated": unrelated.id, "note": note.id}
    url = path.format(**ids)
    if role != "anonymous":
        login_as(people[role])
    expected = expect[MERGE_ROLES.index(role)]
    before = snapshot()

    resp = client.open(url, method=method, data={"content": "Me too"})

    if expected == LOGIN:
        assert_redirects_to_login(resp, next_path=url if method == "GET" else None)
    elif isinstance(expected, Redirect):
        assert resp.status_code in (302, 303), (resp.status_code, resp.data[:400])
        assert location_path(resp).startswith(expected.to.format(**ids))
    else:
        assert resp.status_code == expected, resp.data[:400]
    if role not in ("staff", "admin"):
        assert NOTE_TEXT.encode() not in resp.data
    if expected in (LOGIN, 401, 403, 404) and method != "GET":
        assert snapshot() == before, "a refused request changed data"
