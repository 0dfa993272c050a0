"""End users: submit, list, read, reply, close and reopen their own tickets."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Ticket, TicketResponse
from tests.factories import count, make_reply, make_ticket
from tests.helpers import location_path, snapshot, text


def _form_token(html: str, name: str = "client_token") -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no {name} in the form"
    return match.group(1)


def test_submit_ticket_then_see_it_in_my_list(client, login_as, user):
    login_as(user)
    page = client.get("/tickets/new")
    token = _form_token(text(page))
    resp = client.post(
        "/tickets/new",
        data={
            "title": "Cannot upload my essay",
            "description": "The upload button spins forever.",
            "category": "technical",
            "client_token": token,
        },
    )
    assert resp.status_code == 303
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert location_path(resp) == f"/tickets/{ticket.id}/"
    assert (ticket.title, ticket.category, ticket.status, ticket.user_id) == (
        "Cannot upload my essay",
        "technical",
        "open",
        user.id,
    )
    detail = client.get(location_path(resp))
    assert "Ticket submitted" in text(detail)
    assert "The upload button spins forever." in text(detail)
    listing = text(client.get("/tickets/"))
    assert "Cannot upload my essay" in listing and "Technical" in listing


def test_not_sure_category_is_stored_as_none(client, login_as, user):
    login_as(user)
    client.post("/tickets/new", data={"title": "Help", "description": "Something", "category": ""})
    assert db.session.scalars(db.select(Ticket)).one().category is None


def test_double_submit_makes_one_ticket(client, login_as, user):
    login_as(user)
    data = {"title": "Double", "description": "Clicked twice", "client_token": "tok-1"}
    first = client.post("/tickets/new", data=data)
    second = client.post("/tickets/new", data=data)
    assert count(Ticket) == 1
    assert location_path(first) == location_path(second)


def test_same_client_token_from_another_user_still_creates_their_ticket(
    client, login_as, user, other_user
):
    make_ticket(user, client_token="shared-token")
    login_as(other_user)
    client.post(
        "/tickets/new", data={"title": "Mine", "description": "x", "client_token": "shared-token"}
    )
    assert count(Ticket) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "", "description": "x"}, "title", "Give your ticket a title."),
        ({"title": "   ", "description": "x"}, "title", "Give your ticket a title."),
        ({"title": "x" * 201, "description": "x"}, "title", "200"),
        ({"title": "ok", "description": ""}, "description", "Describe the problem."),
        ({"title": "ok", "description": "x" * 20_001}, "description", "20000"),
        ({"title": "ok", "description": "x", "category": "hacking"}, "category", "Not a valid"),
        ({"title": "ok", "description": "x", "client_token": "t" * 500}, None, None),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "long-title",
        "empty-desc",
        "long-desc",
        "bad-category",
        "long-token",
    ],
)
def test_bad_ticket_input_shows_message_beside_field(client, login_as, user, data, field, message):
    login_as(user)
    resp = client.post("/tickets/new", data=data)
    if field is None:  # a tampered hidden field is ignored, the ticket is still made
        assert resp.status_code == 303
        assert count(Ticket) == 1
        return
    assert resp.status_code == 422
    html = text(resp)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert error, html[-2000:]
    assert message in error.group(1).replace(",", "")
    assert count(Ticket) == 0


def test_nul_bytes_are_dropped_not_stored(client, login_as, user):
    login_as(user)
    client.post("/tickets/new", data={"title": "A\x00B", "description": "C\x00D"})
    ticket = db.session.scalars(db.select(Ticket)).one()
    assert (ticket.title, ticket.description) == ("AB", "CD")


def test_my_tickets_pages(client, login_as, user):
    for n in range(23):
        make_ticket(user, title=f"Ticket number {n:02d}")
    login_as(user)
    first = text(client.get("/tickets/"))
    assert "Page 1 of 2" in first
    assert "Ticket number 22" in first  # newest activity first
    assert "Ticket number 02" not in first
    second = text(client.get("/tickets/?page=2"))
    assert "Ticket number 02" in second and "Ticket number 22" not in second
    assert client.get("/tickets/?page=0").status_code == 200
    assert client.get("/tickets/?page=-3").status_code == 200
    assert client.get("/tickets/?page=abc").status_code == 200
    assert "You have no tickets" not in text(client.get("/tickets/?page=99999999999999999999"))


def test_my_tickets_empty_state(client, login_as, user):
    login_as(user)
    assert "You have no tickets yet" in text(client.get("/tickets/"))


def test_reply_appears_and_staff_reply_is_shown(client, login_as, user, staff, ticket):
    make_reply(ticket, staff, "Have you tried turning it off and on?")
    login_as(user)
    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "Yes, twice."})
    assert resp.status_code == 303
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert page.index("Have you tried turning it off and on?") < page.index("Yes, twice.")
    assert "Support team" in page


def test_htmx_reply_returns_conversation_fragment(client, login_as, user, ticket, hx):
    login_as(user)
    resp = client.post(
        f"/tickets/{ticket.id}/responses/", data={"content": "Inline reply"}, headers=hx
    )
    assert resp.status_code == 200
    html = text(resp)
    assert "<html" not in html
    assert f'id="ticket-{ticket.id}-conversation"' in html
    assert "Inline reply" in html
    assert "HX-Request" in resp.headers["Vary"]
    assert "Reply sent" in resp.headers["HX-Trigger"]
    assert "ticket-updated" in resp.headers["HX-Trigger"]
    # the fresh form has an empty textarea and a new token
    assert re.search(r"<textarea[^>]*>\s*</textarea>", html)


def test_empty_htmx_reply_is_422_fragment_with_message(client, login_as, user, ticket, hx):
    login_as(user)
    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "  "}, headers=hx)
    assert resp.status_code == 422
    assert "<html" not in text(resp)
    assert "Write a reply first." in text(resp)
    assert count(TicketResponse) == 0


def test_reply_double_submit_makes_one_reply(client, login_as, user, ticket):
    login_as(user)
    for _ in range(2):
        client.post(
            f"/tickets/{ticket.id}/responses/", data={"content": "Once", "client_token": "r-1"}
        )
    assert count(TicketResponse) == 1


def test_reply_too_long_is_refused(client, login_as, user, ticket):
    login_as(user)
    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "x" * 20_001})
    assert resp.status_code == 422
    assert count(TicketResponse) == 0


def test_close_and_reopen_own_ticket(client, login_as, user, ticket):
    login_as(user)
    resp = client.post(f"/tickets/{ticket.id}/close/", data={"version": ticket.version})
    assert resp.status_code == 303
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert "Ticket closed." in page
    assert "This ticket is closed" in page
    assert 'id="reply"' not in page
    db.session.refresh(ticket)
    assert ticket.status == "closed"
    resp = client.post(f"/tickets/{ticket.id}/reopen/", data={"version": ticket.version})
    db.session.refresh(ticket)
    assert ticket.status == "open"
    assert "Ticket reopened." in text(client.get(f"/tickets/{ticket.id}/"))


def test_reply_to_closed_ticket_is_refused(client, login_as, user, ticket):
    login_as(user)
    client.post(f"/tickets/{ticket.id}/close/")
    before = snapshot()
    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "Hello?"})
    assert resp.status_code == 422
    assert "This ticket is closed" in text(resp)
    assert snapshot() == before


def test_stale_close_form_changes_nothing(client, login_as, user, staff, ticket):
    login_as(user)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    from portal.services import tickets as ticket_service

    ticket_service.update_ticket(ticket, staff, {"priority": "high"})
    before = snapshot()
    resp = client.post(f"/tickets/{ticket.id}/close/", data={"version": version})
    assert resp.status_code in (303, 409)
    assert snapshot() == before
    assert "Someone changed this ticket" in text(client.get(f"/tickets/{ticket.id}/"))


def test_user_cannot_reopen_a_ticket_staff_are_working_on(client, login_as, user, staff, ticket):
    make_reply(ticket, staff, "Working on it")  # moves it to in progress
    db.session.refresh(ticket)
    assert ticket.status == "in_progress"
    login_as(user)
    before = snapshot()
    resp = client.post(f"/tickets/{ticket.id}/reopen/")
    assert resp.status_code in (303, 400, 403, 409)
    assert snapshot() == before


def test_unknown_and_huge_ticket_ids_are_404(client, login_as, user):
    login_as(user)
    for path in ("/tickets/999/", "/tickets/99999999999999999999/", "/tickets/abc/"):
        assert client.get(path).status_code == 404
    assert (
        client.post("/tickets/99999999999999999999/responses/", data={"content": "x"}).status_code
        == 404
    )
    assert client.post("/tickets/999/close/").status_code == 404


def test_huge_upload_is_413_page_not_500(client, login_as, user):
    login_as(user)
    resp = client.post(
        "/tickets/new", data={"title": "big", "description": "x" * (3 * 1024 * 1024)}
    )
    assert resp.status_code == 413
    assert "too large" in text(resp)
    assert count(Ticket) == 0
