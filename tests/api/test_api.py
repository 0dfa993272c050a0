"""The JSON API: tokens, ownership, roles, validation and the one mutation path."""

import pytest

from portal.api.auth import create_token
from portal.extensions import db
from portal.models import Ticket, TicketEvent
from portal.services import kb as kb_service
from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user


def bearer(user):
    return {"Authorization": f"Bearer {create_token(user, 'test')}"}


def test_requires_authentication(client):
    resp = client.get("/api/tickets/")
    assert resp.status_code == 401
    assert resp.json["error"] == "login required"
    assert client.get("/api/tickets/", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_user_creates_and_lists_only_own_tickets(client, user, other_user):
    make_ticket(other_user, title="Someone else's problem")
    h = bearer(user)
    resp = client.post(
        "/api/tickets/",
        json={"title": "Grades page blank", "description": "It is empty since Monday."},
        headers=h,
    )
    assert resp.status_code == 201
    created = resp.json
    # No category was sent; a confident AI triage may already have filled one in.
    assert created["status"] == "open"
    listing = client.get("/api/tickets/", headers=h).json
    assert [t["title"] for t in listing["items"]] == ["Grades page blank"]
    assert listing["total"] == 1


def test_other_users_ticket_is_404_not_403(client, user, other_user):
    theirs = make_ticket(other_user)
    h = bearer(user)
    assert client.get(f"/api/tickets/{theirs.id}/", headers=h).status_code == 404
    assert client.post(f"/api/tickets/{theirs.id}/close/", headers=h).status_code == 404
    assert (
        client.post(
            "/api/responses/", json={"ticket": theirs.id, "content": "hi"}, headers=h
        ).status_code
        == 404
    )


def test_validation_errors_name_the_field(client, user):
    h = bearer(user)
    resp = client.post("/api/tickets/", json={"title": "", "description": "x"}, headers=h)
    assert resp.status_code == 422 and resp.json["field"] == "title"
    resp = client.post("/api/tickets/", json={"title": "x" * 201, "description": "x"}, headers=h)
    assert resp.status_code == 422 and "200" in resp.json["error"]
    resp = client.post(
        "/api/tickets/", json={"title": "t", "description": "d", "category": "nonsense"}, headers=h
    )
    assert resp.status_code == 422 and resp.json["field"] == "category"
    assert client.post("/api/tickets/", data="not json", headers=h).status_code == 400
    assert db.session.query(Ticket).count() == 0


def test_user_cannot_change_priority_but_can_close(client, user):
    ticket = make_ticket(user)
    h = bearer(user)
    resp = client.patch(f"/api/tickets/{ticket.id}/", json={"priority": "urgent"}, headers=h)
    assert resp.status_code == 403
    assert client.post(f"/api/tickets/{ticket.id}/close/", headers=h).json["status"] == "closed"


def test_staff_updates_fields_with_audit_and_stale_version(client, user, staff):
    ticket = make_ticket(user)
    h = bearer(staff)
    resp = client.patch(
        f"/api/tickets/{ticket.id}/",
        json={"priority": "high", "category": "billing", "version": ticket.version},
        headers=h,
    )
    assert resp.status_code == 200
    assert (resp.json["priority"], resp.json["category"]) == ("high", "billing")
    stale = client.patch(
        f"/api/tickets/{ticket.id}/", json={"priority": "low", "version": 1}, headers=h
    )
    assert stale.status_code == 409
    fields = {e.field for e in db.session.query(TicketEvent).filter_by(ticket_id=ticket.id)}
    assert {"priority", "category"} <= fields
    assert db.session.get(Ticket, ticket.id).priority == "high"


def test_assign_defaults_to_self_and_rejects_non_staff(client, user, staff):
    ticket = make_ticket(user)
    resp = client.post(f"/api/tickets/{ticket.id}/assign/", headers=bearer(staff))
    assert resp.json["assigned_to"]["id"] == staff.id
    resp = client.post(
        f"/api/tickets/{ticket.id}/assign/", json={"assigned_to": user.id}, headers=bearer(staff)
    )
    assert resp.status_code == 422
    assert client.post(f"/api/tickets/{ticket.id}/assign/", headers=bearer(user)).status_code == 403


def test_internal_notes_reach_staff_only(client, user, staff):
    ticket = make_ticket(user)
    ticket_service.add_reply(ticket, staff, "Public answer")
    note = ticket_service.add_reply(ticket, staff, "Internal: refund approved", internal=True)
    user_view = client.get(f"/api/tickets/{ticket.id}/responses/", headers=bearer(user)).json
    assert [r["content"] for r in user_view["items"]] == ["Public answer"]
    assert client.get(f"/api/responses/{note.id}/", headers=bearer(user)).status_code == 404
    listed = client.get("/api/responses/", headers=bearer(user)).json["items"]
    assert all(not r["is_internal"] for r in listed)
    staff_view = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(staff)).json
    assert {r["content"] for r in staff_view["responses"]} == {
        "Public answer",
        "Internal: refund approved",
    }


def test_an_internal_note_leaves_no_trace_in_the_requesters_view(client, user, staff):
    ticket = make_ticket(user)
    ticket_service.add_reply(ticket, staff, "Public answer")
    before = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(user)).json
    staff_before = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(staff)).json
    ticket_service.add_reply(ticket, staff, "Internal: refund approved", internal=True)
    after = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(user)).json
    assert after == before
    staff_after = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(staff)).json
    assert staff_after["updated_at"] > staff_before["updated_at"]


def test_user_cannot_post_internal_note(client, user):
    ticket = make_ticket(user)
    resp = client.post(
        "/api/responses/",
        json={"ticket": ticket.id, "content": "sneaky", "internal": True},
        headers=bearer(user),
    )
    assert resp.status_code == 403
    assert ticket.responses == []


def test_edit_own_reply_and_delete_needs_staff(client, user, other_user, staff):
    ticket = make_ticket(user)
    reply = ticket_service.add_reply(ticket, user, "Typo in thsi")
    resp = client.put(
        f"/api/responses/{reply.id}/", json={"content": "Typo fixed"}, headers=bearer(user)
    )
    assert resp.json["content"] == "Typo fixed"
    assert client.delete(f"/api/responses/{reply.id}/", headers=bearer(user)).status_code == 403
    assert client.delete(f"/api/responses/{reply.id}/", headers=bearer(staff)).status_code == 204
    events = [e.field for e in db.session.query(TicketEvent).filter_by(ticket_id=ticket.id)]
    assert "reply_edited" in events and "reply_deleted" in events


@pytest.mark.parametrize("role, expected", [("user", 403), ("staff", 403), ("admin", 204)])
def test_only_admins_delete_tickets(client, role, expected):
    owner = make_user("user")
    ticket = make_ticket(owner)
    actor = owner if role == "user" else make_user(role)
    assert (
        client.delete(f"/api/tickets/{ticket.id}/", headers=bearer(actor)).status_code == expected
    )
    assert (db.session.get(Ticket, ticket.id) is None) == (expected == 204)


def test_deactivated_users_token_stops_working(client, user):
    h = bearer(user)
    assert client.get("/api/tickets/", headers=h).status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/api/tickets/", headers=h).status_code == 401


def test_session_writes_need_csrf_header(app, login_as, user):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/auth/login")
    import re

    token = (
        re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.data).group(1).decode()
    )
    from tests.factories import PASSWORD

    client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    body = {"title": "From the browser", "description": "session auth"}
    assert client.post("/api/tickets/", json=body).status_code == 400
    # Logging in starts a new session with a new token: the login page's one is refused.
    assert (
        client.post("/api/tickets/", json=body, headers={"X-CSRFToken": token}).status_code == 400
    )
    page = client.get("/tickets/new")
    token = re.search(rb'hx-headers=\'{"X-CSRFToken": "([^"]+)"', page.data).group(1).decode()
    resp = client.post("/api/tickets/", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201
    assert client.get("/api/tickets/").json["total"] == 1


def test_ticket_sources_hide_other_users_ticket_ids_from_users(client, user, staff):
    ticket = make_ticket(user)
    bot = ticket_service.get_bot_user()
    ticket_service.add_reply(
        ticket,
        bot,
        "See the article.",
        actor_kind="ai",
        ai_confidence=0.9,
        sources=[{"kind": "kb", "id": 3}, {"kind": "ticket", "id": 77}],
    )
    as_user = client.get(f"/api/tickets/{ticket.id}/responses/", headers=bearer(user)).json
    missing_article = {"kind": "kb", "id": 3, "title": None, "url": None}
    assert as_user["items"][0]["sources"] == [missing_article, {"kind": "ticket"}]
    as_staff = client.get(f"/api/tickets/{ticket.id}/responses/", headers=bearer(staff)).json
    assert {"kind": "ticket", "id": 77} in as_staff["items"][0]["sources"]


def test_article_sources_carry_title_and_url_the_reader_may_open(client, login_as, user, staff):
    shown = kb_service.create_article(staff, title="Resetting your password", body="Use the link.")
    hidden = kb_service.create_article(
        staff, title="Draft: new VPN", body="Not yet.", published=False
    )
    ticket = make_ticket(user)
    ticket_service.add_reply(
        ticket,
        ticket_service.get_bot_user(),
        "See the article.",
        actor_kind="ai",
        ai_confidence=0.9,
        sources=[{"kind": "kb", "id": shown.id}, {"kind": "kb", "id": hidden.id}],
    )
    as_user = client.get(f"/api/tickets/{ticket.id}/responses/", headers=bearer(user)).json
    first, second = as_user["items"][0]["sources"]
    assert first["title"] == "Resetting your password"
    login_as(user)
    page = client.get(first["url"].removeprefix("http://localhost"))
    assert page.status_code == 200 and "Resetting your password" in page.get_data(as_text=True)
    assert second == {"kind": "kb", "id": hidden.id, "title": None, "url": None}
    as_staff = client.get(f"/api/tickets/{ticket.id}/responses/", headers=bearer(staff)).json
    assert as_staff["items"][0]["sources"][1]["title"] == "Draft: new VPN"


def test_booleans_are_not_ids(client, user):
    ticket = make_ticket(user)
    resp = client.post(
        "/api/responses/", json={"ticket": True, "content": "hi"}, headers=bearer(user)
    )
    assert resp.status_code == 422 and resp.json["field"] == "ticket"
    assert ticket.responses == []


def test_a_lone_surrogate_is_refused_not_a_500(client, user):
    """JSON may spell half of a UTF-16 pair ("\\ud800"); no database can store it."""
    h = bearer(user)
    resp = client.post("/api/tickets/", json={"title": "VPN \ud800", "description": "x"}, headers=h)
    assert resp.status_code == 422 and resp.json["field"] == "title"
    resp = client.post(
        "/api/tickets/", json={"title": "VPN", "description": "<b>\ud800</b>"}, headers=h
    )
    assert resp.status_code == 422 and resp.json["field"] == "description"
    ticket = make_ticket(user)
    resp = client.post(
        "/api/responses/", json={"ticket": ticket.id, "content": "\udfff"}, headers=h
    )
    assert resp.status_code == 422 and resp.json["field"] == "content"
    # Any string of the body, the double-submit token too, is checked at the door.
    resp = client.post(
        "/api/responses/",
        json={"ticket": ticket.id, "content": "Thanks", "client_token": "\ud800"},
        headers=h,
    )
    assert resp.status_code == 422 and resp.json["field"] == "client_token"
    assert ticket.responses == []
