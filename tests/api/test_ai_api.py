"""The JSON API's AI endpoints: roles, ownership (404), validation (422), AI unavailable (503).

Real facade and local model (no stubs) unless a test breaks the AI on purpose.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import events
from portal.ai import gateway, retrieval
from portal.ai.errors import AIUnavailable
from portal.api.auth import create_token
from portal.extensions import db
from portal.models import AIConversation, AIFeedback, AISuggestion, Ticket, TicketEvent
from portal.services import ai_suggestions
from portal.services import kb as kb_service
from portal.services.settings import update_settings
from tests.factories import make_ticket
from tests.helpers import snapshot

STAFF_WRITES = [
    ("/api/ai/generate-response/", {"ticket": 0}),
    ("/api/ai/categorize/", {"ticket": 0}),
    ("/api/ai/feedback/", {"suggestion_id": 0, "rating": 1}),
]


def bearer(user):
    return {"Authorization": f"Bearer {create_token(user, 'test')}"}


def quiet_ticket(owner, **kw):
    """A ticket whose creation-time AI work (triage, first answer) is skipped."""
    with events.suppressed():
        return make_ticket(owner, **kw)


def fill(body: dict, ticket) -> dict:
    return {k: (ticket.id if k == "ticket" else v) for k, v in body.items()}


@pytest.fixture
def article(staff):
    return kb_service.create_article(
        staff,
        title="Resetting your password",
        body="To reset your password, open the login page, choose 'Forgot password' and "
        "follow the link we email you. The link works for one hour.",
    )


def start_conversation(client, headers, **body):
    resp = client.post("/api/ai/conversations/", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/ai/generate-response/"),
        ("POST", "/api/ai/categorize/"),
        ("GET", "/api/ai/suggestions/"),
        ("POST", "/api/ai/feedback/"),
        ("GET", "/api/ai/conversations/"),
        ("POST", "/api/ai/conversations/"),
        ("GET", "/api/ai/conversations/abc/"),
        ("POST", "/api/ai/chat/"),
    ],
)
def test_anonymous_gets_401_json(client, method, path):
    resp = client.open(path, method=method, json={})
    assert resp.status_code == 401 and resp.json["error"] == "login required"


@pytest.mark.parametrize(("path", "body"), STAFF_WRITES)
def test_users_cannot_use_staff_endpoints(client, user, path, body):
    ticket = quiet_ticket(user)
    before = snapshot()
    resp = client.post(path, json=fill(body, ticket), headers=bearer(user))
    assert resp.status_code == 403 and "do not have access" in resp.json["error"]
    assert snapshot() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion)) == 0


def test_users_cannot_list_suggestions(client, user):
    ticket = quiet_ticket(user)
    resp = client.get(f"/api/ai/suggestions/?ticket={ticket.id}", headers=bearer(user))
    assert resp.status_code == 403


# ---------------------------------------------------------------- drafts


def test_staff_generate_a_reply_suggestion(client, user, staff, article):
    ticket = quiet_ticket(user, title="Forgot password", description="How do I reset it?")
    resp = client.post(
        "/api/ai/generate-response/", json={"ticket": ticket.id}, headers=bearer(staff)
    )
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["ticket"] == ticket.id and body["provider"] == "local"
    assert "Forgot password" in body["text"]
    url = f"http://localhost/kb/{article.id}/"
    assert {"kind": "kb", "id": article.id, "title": article.title, "url": url} in body["sources"]
    stored = db.session.get(AISuggestion, body["suggestion_id"])
    assert (stored.kind, stored.status, stored.text) == ("reply", "pending", body["text"])
    # Nothing was posted to the requester: a suggestion is for staff.
    assert db.session.get(Ticket, ticket.id).responses == []


def test_generate_response_validation_and_missing_ticket(client, staff):
    h = bearer(staff)
    for body in ({}, {"ticket": "7"}, {"ticket": True}, {"ticket": 1, "fresh": "yes"}):
        resp = client.post("/api/ai/generate-response/", json=body, headers=h)
        assert resp.status_code == 422, body
    assert (
        client.post("/api/ai/generate-response/", json={"ticket": 999}, headers=h).status_code
        == 404
    )
    assert client.post("/api/ai/generate-response/", data="x", headers=h).status_code == 400


# ---------------------------------------------------------------- triage


def test_categorize_suggests_without_applying(client, user, staff):
    ticket = quiet_ticket(user, title="Charged twice", description="My card was charged twice.")
    before = snapshot()
    resp = client.post("/api/ai/categorize/", json={"ticket": ticket.id}, headers=bearer(staff))
    assert resp.status_code == 200, resp.json
    suggestion = resp.json["suggestion"]
    assert suggestion["kind"] == "triage" and suggestion["status"] == "pending"
    assert suggestion["category"] == "billing"
    assert 0 <= suggestion["category_confidence"] <= 1
    assert resp.json["applied"] == {}
    assert snapshot() == before  # the ticket is untouched


def test_categorize_apply_goes_through_the_ticket_service_as_staff(client, user, staff):
    ticket = quiet_ticket(user, title="Charged twice", description="My card was charged twice.")
    resp = client.post(
        "/api/ai/categorize/",
        json={"ticket": ticket.id, "apply": True, "version": ticket.version},
        headers=bearer(staff),
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["applied"]["category"] == {"old": None, "new": "billing"}
    assert resp.json["ticket"]["category"] == "billing"
    assert resp.json["suggestion"]["status"] == "accepted"
    event = db.session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.field == "category"
        )
    ).one()
    assert (event.actor_id, event.actor_kind, event.new_value) == (staff.id, "user", "billing")
    # No status or assignee change comes from the AI.
    t = db.session.get(Ticket, ticket.id)
    assert (t.status, t.assigned_to_id) == ("open", None)


def test_categorize_apply_with_a_stale_version_is_409(client, user, staff):
    ticket = quiet_ticket(user, title="Charged twice", description="My card was charged twice.")
    resp = client.post(
        "/api/ai/categorize/",
        json={"ticket": ticket.id, "apply": True, "version": ticket.version + 5},
        headers=bearer(staff),
    )
    assert resp.status_code == 409
    assert db.session.get(Ticket, ticket.id).category is None


def test_the_api_refuses_a_stale_accept_without_marking_its_suggestion(client, user, staff):
    ticket = quiet_ticket(user, title="Charged twice", description="My card was charged twice.")
    resp = client.post(
        "/api/ai/categorize/",
        json={"ticket": ticket.id, "apply": True, "version": ticket.version + 5},
        headers=bearer(staff),
    )
    assert resp.status_code == 409
    stored = ai_suggestions.latest_triage_suggestion(ticket.id)
    assert stored is not None and stored.status == "pending"
    assert db.session.get(Ticket, ticket.id).category is None


def test_categorize_validation(client, user, staff):
    ticket = quiet_ticket(user)
    h = bearer(staff)
    for body in (
        {"ticket": ticket.id, "apply": "true"},
        {"ticket": ticket.id, "apply": True, "version": "1"},
        {"ticket": None},
    ):
        resp = client.post("/api/ai/categorize/", json=body, headers=h)
        assert resp.status_code == 422, body
        assert resp.json["field"] in ("apply", "version", "ticket")


# ---------------------------------------------------------------- suggestions and feedback


def test_suggestions_are_listed_per_ticket(client, user, staff):
    one, two = quiet_ticket(user), quiet_ticket(user)
    h = bearer(staff)
    client.post("/api/ai/categorize/", json={"ticket": one.id}, headers=h)
    client.post("/api/ai/generate-response/", json={"ticket": one.id}, headers=h)
    client.post("/api/ai/categorize/", json={"ticket": two.id}, headers=h)
    listing = client.get(f"/api/ai/suggestions/?ticket={one.id}", headers=h).json
    assert listing["total"] == 2
    assert {s["kind"] for s in listing["items"]} == {"triage", "reply"}
    assert all(s["ticket"] == one.id for s in listing["items"])
    only = client.get(f"/api/ai/suggestions/?ticket={one.id}&kind=reply", headers=h).json
    assert [s["kind"] for s in only["items"]] == ["reply"]
    assert client.get("/api/ai/suggestions/", headers=h).json["total"] == 3
    assert client.get("/api/ai/suggestions/?ticket=abc", headers=h).status_code == 422
    assert client.get("/api/ai/suggestions/?kind=other", headers=h).status_code == 422
    assert client.get("/api/ai/suggestions/?ticket=999", headers=h).status_code == 404


def test_feedback_is_recorded_and_validated(client, user, staff):
    ticket = quiet_ticket(user)
    h = bearer(staff)
    sid = client.post("/api/ai/generate-response/", json={"ticket": ticket.id}, headers=h).json[
        "suggestion_id"
    ]
    resp = client.post(
        "/api/ai/feedback/",
        json={"suggestion_id": sid, "rating": "down", "comment": "Too vague"},
        headers=h,
    )
    assert resp.status_code == 201, resp.json
    row = db.session.get(AIFeedback, resp.json["id"])
    assert (row.kind, row.rating, row.comment, row.user_id) == ("rating", -1, "Too vague", staff.id)
    assert row.ticket_id == ticket.id
    for body, field in (
        ({"suggestion_id": sid, "rating": 5}, "rating"),
        ({"suggestion_id": sid, "rating": True}, "rating"),
        ({"suggestion_id": sid, "rating": [1]}, "rating"),
        ({"suggestion_id": sid}, "rating"),
        ({"suggestion_id": sid, "rating": 1, "comment": "x" * 1001}, "comment"),
        ({"suggestion_id": 9999, "rating": 1}, "suggestion_id"),
        ({"rating": 1}, "suggestion_id"),
    ):
        resp = client.post("/api/ai/feedback/", json=body, headers=h)
        assert resp.status_code == 422 and resp.json["field"] == field, body


def test_feedback_switched_off_stores_nothing(client, user, staff):
    ticket = quiet_ticket(user)
    h = bearer(staff)
    sid = client.post("/api/ai/generate-response/", json={"ticket": ticket.id}, headers=h).json[
        "suggestion_id"
    ]
    update_settings({"RESPONSE_FEEDBACK": False})
    resp = client.post("/api/ai/feedback/", json={"suggestion_id": sid, "rating": 1}, headers=h)
    assert resp.status_code == 404 and "switched off" in resp.json["error"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIFeedback)) == 0


# ---------------------------------------------------------------- conversations and chat


def test_conversations_are_private_to_their_user(client, user, other_user, staff):
    mine = start_conversation(client, bearer(user))
    theirs = start_conversation(client, bearer(other_user))
    staff_own = start_conversation(client, bearer(staff))
    assert [
        c["id"] for c in client.get("/api/ai/conversations/", headers=bearer(user)).json["items"]
    ] == [mine]
    staff_list = client.get("/api/ai/conversations/", headers=bearer(staff)).json
    assert [c["id"] for c in staff_list["items"]] == [staff_own]
    h = bearer(user)
    assert client.get(f"/api/ai/conversations/{theirs}/", headers=h).status_code == 404
    resp = client.post(
        "/api/ai/chat/", json={"conversation_id": theirs, "message": "hi"}, headers=h
    )
    assert resp.status_code == 404
    assert (
        client.post(
            "/api/ai/chat/",
            json={"conversation_id": theirs, "message": "hi"},
            headers=bearer(staff),
        ).status_code
        == 404
    )
    conv = db.session.scalar(
        sa.select(AIConversation).where(AIConversation.conversation_id == theirs)
    )
    assert not (conv.context or {}).get("messages")


def test_conversation_about_a_ticket_must_be_ones_own(client, user, other_user, staff):
    own = quiet_ticket(user)
    theirs = quiet_ticket(other_user)
    h = bearer(user)
    resp = client.post("/api/ai/conversations/", json={"ticket": own.id}, headers=h)
    assert resp.status_code == 201 and resp.json["ticket"] == own.id
    assert (
        client.post("/api/ai/conversations/", json={"ticket": theirs.id}, headers=h).status_code
        == 404
    )
    # Staff can see the ticket but a conversation is the requester's own.
    resp = client.post("/api/ai/conversations/", json={"ticket": own.id}, headers=bearer(staff))
    assert resp.status_code == 422 and resp.json["field"] == "ticket"
    assert client.post("/api/ai/conversations/", json={"ticket": "x"}, headers=h).status_code == 422
    # No body at all starts a conversation about nothing yet.
    resp = client.post("/api/ai/conversations/", headers=h)
    assert resp.status_code == 201 and resp.json["ticket"] is None


def test_chat_answers_and_keeps_the_context(client, user, article):
    h = bearer(user)
    cid = start_conversation(client, h)
    resp = client.post(
        "/api/ai/chat/",
        json={"conversation_id": cid, "message": "How do I reset my password?"},
        headers=h,
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["provider"] == "local"
    assert "Resetting your password" in resp.json["reply"]
    conv = resp.json["conversation"]
    assert conv["message_count"] == 2
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant"]
    detail = client.get(f"/api/ai/conversations/{cid}/", headers=h).json
    assert detail["messages"] == conv["messages"]


def test_chat_validation(client, user):
    h = bearer(user)
    cid = start_conversation(client, h)
    for body, field in (
        ({"conversation_id": cid, "message": "   "}, "message"),
        ({"conversation_id": cid, "message": 5}, "message"),
        ({"conversation_id": cid, "message": "x" * 4001}, "message"),
        ({"message": "hi"}, "conversation_id"),
        ({"conversation_id": 7, "message": "hi"}, "conversation_id"),
    ):
        resp = client.post("/api/ai/chat/", json=body, headers=h)
        assert resp.status_code == 422 and resp.json["field"] == field, body
    conv = db.session.scalar(sa.select(AIConversation).where(AIConversation.conversation_id == cid))
    from portal.services import chat as chat_service

    chat_service.end_conversation(conv)
    resp = client.post("/api/ai/chat/", json={"conversation_id": cid, "message": "hi"}, headers=h)
    assert resp.status_code == 422 and "ended" in resp.json["error"]


# ---------------------------------------------------------------- AI unavailable → 503


def _assert_503(resp):
    assert resp.status_code == 503, resp.data[:300]
    assert resp.json["error"] == "AI unavailable" and resp.json["detail"]
    assert resp.headers["Retry-After"]


def test_ai_switched_off_is_503_never_500(client, user, staff):
    ticket = quiet_ticket(user)
    cid = start_conversation(client, bearer(user))
    update_settings({"AI_RESPONSE_ENABLED": False, "AI_CATEGORIZATION_ENABLED": False})
    _assert_503(
        client.post("/api/ai/generate-response/", json={"ticket": ticket.id}, headers=bearer(staff))
    )
    _assert_503(
        client.post("/api/ai/categorize/", json={"ticket": ticket.id}, headers=bearer(staff))
    )
    resp = client.post(
        "/api/ai/chat/", json={"conversation_id": cid, "message": "hello"}, headers=bearer(user)
    )
    _assert_503(resp)
    conv = db.session.scalar(sa.select(AIConversation).where(AIConversation.conversation_id == cid))
    db.session.refresh(conv)
    assert not (conv.context or {}).get("messages")  # the message was not half-stored


def test_staff_assistance_switched_off_is_503(client, user, staff):
    ticket = quiet_ticket(user)
    update_settings({"RESPONSE_AI_ASSISTANCE": False})
    _assert_503(
        client.post("/api/ai/generate-response/", json={"ticket": ticket.id}, headers=bearer(staff))
    )


def test_broken_model_is_503(client, user, staff, monkeypatch):
    ticket = quiet_ticket(user)
    h = bearer(staff)

    def broken():
        raise AIUnavailable("The local model could not be loaded.")

    monkeypatch.setattr(gateway, "local_model", broken)
    _assert_503(
        client.post("/api/ai/categorize/", json={"ticket": ticket.id, "apply": True}, headers=h)
    )
    assert db.session.get(Ticket, ticket.id).category is None

    def failing_search(*a, **kw):
        raise RuntimeError("index broken")

    monkeypatch.setattr(retrieval, "search", failing_search)
    _assert_503(client.post("/api/ai/generate-response/", json={"ticket": ticket.id}, headers=h))
