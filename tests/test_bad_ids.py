"""Numbers no row can have, digits that are not ASCII, NUL in ids and tokens: a 4xx or an
empty page, never a 500, on SQLite and on PostgreSQL alike.

SQLite refuses integers beyond 64 bits as parameters, PostgreSQL refuses NUL in any string
parameter, and `"²".isdigit()` is true while `int("²")` raises.
"""

from __future__ import annotations

import pytest

from portal.api.auth import create_token
from portal.extensions import db
from portal.models import Ticket, TicketResponse
from tests.factories import count, make_ticket

HUGE = 99_999_999_999_999_999_999
NUL = "\x00"


def bearer(user):
    return {"Authorization": f"Bearer {create_token(user, 'test')}"}


@pytest.mark.parametrize(
    "path",
    ["/kb/", "/notifications/", "/api/tickets/", "/api/responses/", "/api/ai/conversations/"],
)
def test_huge_page_number_is_an_empty_page(client, login_as, user, path):
    login_as(user)
    resp = client.get(path, query_string={"page": str(HUGE)})
    assert resp.status_code == 200


def test_staff_api_lists_with_huge_page_and_odd_ticket_ids(client, login_as, staff):
    login_as(staff)
    assert client.get("/api/ai/suggestions/", query_string={"page": str(HUGE)}).status_code == 200
    resp = client.get("/api/ai/suggestions/", query_string={"ticket": "²"})
    assert resp.status_code == 422 and resp.json["field"] == "ticket"
    resp = client.get("/api/responses/", query_string={"ticket": str(HUGE)})
    assert resp.status_code == 200 and resp.json["items"] == []


def test_queue_assignee_filter_with_non_ascii_digit(client, login_as, staff, user):
    make_ticket(user, title="Projector blank")
    login_as(staff)
    for path in ("/staff/", "/staff/counts"):
        resp = client.get(path, query_string={"assignee": "²"})
        assert resp.status_code == 200
    assert "Projector blank" in client.get("/staff/", query_string={"assignee": "²"}).text


def test_response_with_huge_id_is_404(client, login_as, user):
    login_as(user)
    assert client.get(f"/api/responses/{HUGE}/").status_code == 404


def test_nul_in_double_submit_token_still_saves_once(client, login_as, user):
    login_as(user)
    resp = client.post(
        "/tickets/new",
        data={"title": "Printer jams", "description": "Every page.", "client_token": f"t{NUL}"},
    )
    assert resp.status_code == 303
    assert count(Ticket) == 1
    ticket_id = db.session.scalars(db.select(Ticket.id)).one()
    resp = client.post(
        f"/tickets/{ticket_id}/responses/", data={"content": "Still jams", "client_token": NUL}
    )
    assert resp.status_code == 303
    assert count(TicketResponse) == 1


def test_nul_in_conversation_id_is_404(client, login_as, user):
    login_as(user)
    assert client.get("/tickets/ai/conversations/%00/").status_code == 404
    assert client.get("/api/ai/conversations/%00/").status_code == 404
    resp = client.post("/tickets/ai/chat/", data={"conversation_id": NUL, "message": "hi"})
    assert resp.status_code == 404


@pytest.mark.parametrize("value", [HUGE, -1, "abc", [1], True])
def test_api_assignee_that_is_not_a_user_id_is_refused(client, staff, user, value):
    ticket = make_ticket(user)
    h = bearer(staff)
    resp = client.patch(f"/api/tickets/{ticket.id}/", json={"assigned_to": value}, headers=h)
    assert resp.status_code == 422 and resp.json["field"] == "assigned_to_id"
    if isinstance(value, int) and not isinstance(value, bool):
        resp = client.post(
            f"/api/tickets/{ticket.id}/assign/", json={"assigned_to": value}, headers=h
        )
        assert resp.status_code == 422
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assigned_to_id is None


def test_api_feedback_on_huge_suggestion_id(client, staff):
    resp = client.post(
        "/api/ai/feedback/", json={"suggestion_id": HUGE, "rating": 1}, headers=bearer(staff)
    )
    assert resp.status_code == 422 and resp.json["field"] == "suggestion_id"


@pytest.mark.parametrize("value", [None, "yes", 1, [], {}])
def test_api_needs_human_that_is_not_a_boolean_is_refused(client, staff, user, value):
    ticket = make_ticket(user)
    resp = client.patch(
        f"/api/tickets/{ticket.id}/", json={"needs_human": value}, headers=bearer(staff)
    )
    assert resp.status_code == 422 and resp.json["field"] == "needs_human"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).needs_human is False
