"""User text is inert everywhere it is shown: titles, descriptions, replies and names."""

from __future__ import annotations

import pytest
from markupsafe import escape

from portal.services import tickets as ticket_service
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import text

PAYLOADS = [
    "<script>alert(1)</script>",
    '<div hx-get="/admin/pwn" hx-trigger="load">x</div>',
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
]
RAW_MARKERS = ["<script>alert", 'hx-get="/admin/pwn"', "<img src=x", "<svg onload"]


def _assert_inert(html: str, payload: str, where: str) -> None:
    assert str(escape(payload)) in html, f"{where}: escaped payload missing"
    for marker in RAW_MARKERS:
        assert marker not in html, f"{where}: raw {marker!r} rendered"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_escaped_everywhere(client, login_as, payload):
    owner = make_user("user", name=f"Name {payload}")
    agent = make_user("staff", name=f"Agent {payload}")
    admin = make_user("admin")
    ticket = make_ticket(owner, title=f"Title {payload}", description=f"Description {payload}")
    make_reply(ticket, owner, f"User reply {payload}")
    make_reply(ticket, agent, f"Staff reply {payload}")
    make_reply(ticket, agent, f"Note {payload}", internal=True)
    ticket_service.assign_ticket(ticket, agent, agent)
    hx = {"HX-Request": "true"}

    login_as(owner)
    for path in ("/tickets/", f"/tickets/{ticket.id}/", f"/tickets/{ticket.id}/responses/"):
        for headers in ({}, hx):
            html = text(client.get(path, headers=headers))
            _assert_inert(
                html, f"Title {payload}" if path == "/tickets/" else f"Staff reply {payload}", path
            )
    page = text(client.get(f"/tickets/{ticket.id}/"))
    for part in (
        f"Title {payload}",
        f"Description {payload}",
        f"User reply {payload}",
        f"Name {payload}",
    ):
        _assert_inert(page, part, "ticket page")
    assert f"<title>#{ticket.id} Title {escape(payload)}" in page

    login_as(agent)
    queue = text(client.get("/staff/"))
    for part in (f"Title {payload}", f"Name {payload}", f"Agent {payload}"):
        _assert_inert(queue, part, "queue")
    staff_page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    for part in (
        f"Title {payload}",
        f"Description {payload}",
        f"Staff reply {payload}",
        f"Note {payload}",
    ):
        _assert_inert(staff_page, part, "staff ticket")
    timeline = text(client.get(f"/staff/tickets/{ticket.id}/events", headers=hx))
    _assert_inert(timeline, f"Agent {payload}", "timeline")
    resp = client.post(
        f"/staff/tickets/{ticket.id}/responses/", data={"content": f"Inline {payload}"}, headers=hx
    )
    _assert_inert(text(resp), f"Inline {payload}", "htmx reply")

    login_as(admin)
    users = text(client.get("/admin/users"))
    _assert_inert(users, f"Name {payload}", "admin users")
    client.post(f"/admin/users/{owner.id}/role", data={"role": "staff"})
    _assert_inert(text(client.get("/admin/users")), f"Name {payload} is now staff.", "flash")
