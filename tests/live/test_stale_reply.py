"""Collision: a public reply written before a newer public message arrived asks first (409,
the agent's text intact, the new message shown, "Send anyway"); a second submit with the
confirm flag sends. The same for "Send and resolve"; notes never ask."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, TicketResponse
from tests.factories import make_reply, make_ticket
from tests.helpers import HX, form_fields, text


@pytest.fixture
def ticket(user):
    return make_ticket(user, title="Cannot submit essay")


def _replies(ticket) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(TicketResponse.content)
            .where(TicketResponse.ticket_id == ticket.id)
            .order_by(TicketResponse.id)
        )
    )


def _refilled(page: str, ticket) -> dict:
    """What the browser posts from the returned form: its fields and the kept textarea text."""
    fields = form_fields(page, f"/staff/tickets/{ticket.id}/responses/")
    match = re.search(r'<textarea[^>]*name="content"[^>]*>(.*?)</textarea>', page, re.S)
    fields["content"] = html.unescape(match.group(1)).lstrip("\n") if match else ""
    return fields


def _form(client, ticket) -> dict:
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    return form_fields(page, f"/staff/tickets/{ticket.id}/responses/")


def _send(client, ticket, form, headers=None, **extra):
    data = {**form, **extra}
    return client.post(f"/staff/tickets/{ticket.id}/responses/", data=data, headers=headers or {})


def test_the_form_carries_the_newest_public_message(client, login_as, staff, user, ticket):
    first = make_reply(ticket, user, "More detail")
    make_reply(ticket, staff, "note", internal=True)
    login_as(staff)
    assert _form(client, ticket)["seen_public_id"] == str(first.id)


@pytest.mark.parametrize("headers", [HX, None], ids=["htmx", "no-js"])
def test_a_newer_message_asks_first_then_send_anyway_sends(
    client, login_as, staff, user, ticket, headers
):
    login_as(staff)
    form = _form(client, ticket)
    make_reply(ticket, user, "Update: it works on Firefox")

    resp = _send(client, ticket, form, headers, content="Please try another browser.")
    assert resp.status_code == 409
    page = text(resp)
    assert "1 new message arrived while you were writing" in page
    assert "Update: it works on Firefox" in page
    assert "Please try another browser.</textarea>" in page  # the agent's text, intact
    assert "Send anyway" in page and "Cancel" in page
    assert _replies(ticket) == ["Update: it works on Firefox"]  # nothing sent

    again = _refilled(page, ticket)
    resp = _send(client, ticket, again, headers, confirm_stale="send")
    assert resp.status_code in (200, 303)
    assert _replies(ticket)[-1] == "Please try another browser."
    assert db.session.get(Ticket, ticket.id).status == "in_progress"


def test_send_and_resolve_asks_too_and_resolves_on_confirm(client, login_as, staff, user, ticket):
    login_as(staff)
    form = _form(client, ticket)
    make_reply(ticket, user, "Never mind, another question")
    resp = _send(client, ticket, form, HX, content="Glad it works!", resolve="1")
    assert resp.status_code == 409
    page = text(resp)
    assert "Send anyway and resolve" in page
    assert db.session.get(Ticket, ticket.id).status == "open"

    again = _refilled(page, ticket)
    again.pop("resolve", None)
    resp = _send(client, ticket, again, HX, confirm_stale="resolve")
    assert resp.status_code == 200
    assert "Reply sent and ticket resolved" in resp.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "resolved"


def test_after_the_warning_a_plain_send_no_longer_asks(client, login_as, staff, user, ticket):
    login_as(staff)
    form = _form(client, ticket)
    make_reply(ticket, user, "One more thing")
    page = text(_send(client, ticket, form, HX, content="Noted."))
    again = _refilled(page, ticket)
    assert _send(client, ticket, again, HX).status_code == 200  # they have now seen it
    assert _replies(ticket)[-1] == "Noted."


def test_no_question_when_nothing_new_for_notes_or_own_replies(
    client, login_as, staff, user, ticket
):
    login_as(staff)
    form = _form(client, ticket)
    assert _send(client, ticket, form, HX, content="First reply").status_code == 200
    # Their own reply (another tab) is not "new"; an internal note never asks.
    form = {**form, "client_token": "t2"}
    assert _send(client, ticket, form, HX, content="Second reply").status_code == 200
    make_reply(ticket, user, "Customer again")
    note = {**form, "client_token": "t3", "internal": "y"}
    assert _send(client, ticket, note, HX, content="Internal only").status_code == 200
    assert _replies(ticket)[-1] == "Internal only"


@pytest.mark.parametrize("seen", ["abc", "", "9" * 5000, "-1", "１２"])
def test_a_tampered_seen_id_asks_rather_than_failing(client, login_as, staff, user, ticket, seen):
    make_reply(ticket, user, "Earlier message")
    login_as(staff)
    form = _form(client, ticket)
    resp = _send(client, ticket, form, HX, content="Reply", seen_public_id=seen)
    assert resp.status_code == 409
    assert _replies(ticket) == ["Earlier message"]


def test_requesters_cannot_use_the_staff_reply(client, login_as, user, ticket):
    login_as(user)
    resp = client.post(
        f"/staff/tickets/{ticket.id}/responses/",
        data={"content": "x", "seen_public_id": "0", "confirm_stale": "send"},
    )
    assert resp.status_code == 403
    assert _replies(ticket) == []
