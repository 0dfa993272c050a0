"""Dual-mode pages: a full page, an htmx fragment (with Vary: HX-Request), a boosted page."""

from __future__ import annotations

import pytest

from tests.factories import make_reply
from tests.helpers import assert_htmx_login, text

# (role, path, id of the fragment's root element)
DUAL_MODE = [
    ("user", "/tickets/", "my-tickets"),
    ("user", "/tickets/new", "ticket-form"),
    ("user", "/tickets/{t}/", "ticket-{t}"),
    ("user", "/tickets/{t}/responses/", "ticket-{t}"),
    ("staff", "/staff/", "queue-results"),
    ("staff", "/staff/tickets/{t}/", "ticket-{t}-main"),
    ("staff", "/staff/tickets/{t}/events", "ticket-{t}-timeline"),
    ("staff", "/staff/tickets/{t}/merge", "ticket-{t}-merge"),
    ("admin", "/admin/settings", "settings-form"),
    ("admin", "/admin/users", "user-rows"),
]


@pytest.mark.parametrize(
    ("role", "path", "fragment_id"), DUAL_MODE, ids=[p for _, p, _ in DUAL_MODE]
)
def test_dual_mode_endpoint(request, client, login_as, ticket, role, path, fragment_id):
    make_reply(ticket, request.getfixturevalue("staff"), "A reply in the thread")
    login_as(request.getfixturevalue(role))
    url = path.format(t=ticket.id)
    root = f'id="{fragment_id.format(t=ticket.id)}"'

    page = client.get(url)
    assert page.status_code == 200
    assert "<html" in text(page) and root in text(page)
    assert "HX-Request" in page.headers.get("Vary", "")

    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    html = text(fragment).lstrip()
    assert "<html" not in html and "<body" not in html
    assert root in html.split(">", 2)[0] + ">" or root in html[:300]
    assert "HX-Request" in fragment.headers["Vary"]

    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        boosted = client.get(url, headers={"HX-Request": "true", **extra})
        assert boosted.status_code == 200
        assert "<html" in text(boosted), extra


def test_queue_counts_fragment_has_vary(client, login_as, staff, hx):
    login_as(staff)
    resp = client.get("/staff/counts", headers=hx)
    assert 'id="queue-counts"' in text(resp)[:200]
    assert "HX-Request" in resp.headers["Vary"]


def test_htmx_request_after_session_loss_gets_401_with_login_redirect(client, ticket, hx):
    assert_htmx_login(client.get(f"/tickets/{ticket.id}/", headers=hx))
    assert_htmx_login(
        client.post(f"/tickets/{ticket.id}/responses/", data={"content": "x"}, headers=hx)
    )


def test_htmx_new_ticket_redirects_with_hx_redirect(client, login_as, user, hx):
    login_as(user)
    resp = client.post("/tickets/new", data={"title": "T", "description": "D"}, headers=hx)
    assert resp.status_code == 204
    assert resp.headers["HX-Redirect"].startswith("/tickets/")


def test_htmx_invalid_new_ticket_is_422_fragment(client, login_as, user, hx):
    login_as(user)
    resp = client.post("/tickets/new", data={"title": "", "description": ""}, headers=hx)
    assert resp.status_code == 422
    html = text(resp)
    assert "<html" not in html and 'id="ticket-form"' in html
    assert "Give your ticket a title." in html


def test_htmx_errors_are_fragments(client, login_as, user, other_user, hx):
    from tests.factories import make_ticket

    theirs = make_ticket(other_user)
    login_as(user)
    for path, status in ((f"/tickets/{theirs.id}/", 404), ("/staff/", 403), ("/admin/users", 403)):
        resp = client.get(path, headers=hx)
        assert resp.status_code == status
        assert "<html" not in text(resp) and 'id="error"' in text(resp)
        assert "HX-Request" in resp.headers["Vary"]
        assert "toast" in resp.headers["HX-Trigger"]
        page = client.get(path)
        assert page.status_code == status and "<html" in text(page)
