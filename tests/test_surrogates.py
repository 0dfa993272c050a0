"""Lone surrogates ("\\ud800"): refused at the door as a 422, and rows already stored with one
still read (as U+FFFD) instead of taking a page down."""

from __future__ import annotations

import json

import sqlalchemy as sa

from portal.extensions import db
from portal.models import AIConversation
from portal.models.base import utcnow
from tests.api.test_ai_api import bearer, quiet_ticket, start_conversation
from tests.conftest import ON_POSTGRES
from tests.helpers import HX, assert_fragment, snapshot, text


def lone(obj) -> str:
    """`obj` as JSON, with each "@" written as the escape of a lone high surrogate and each "#"
    as a lone low one: what a client can send, though no UTF-8 text holds it."""
    return json.dumps(obj).replace("@", "\\ud800").replace("#", "\\udc00")


def post_raw(client, path, body: str | bytes, headers):
    return client.post(path, data=body, headers={**headers, "Content-Type": "application/json"})


def test_lone_surrogate_in_any_json_string_is_a_422_naming_the_field(client, user, staff, ticket):
    h, sh = bearer(user), bearer(staff)
    sid = client.post(
        "/api/ai/generate-response/", json={"ticket": quiet_ticket(user).id}, headers=sh
    ).json["suggestion_id"]
    conv = start_conversation(client, h)
    before = snapshot()
    cases = [
        ("/api/tickets/", {"title": "@", "description": "d", "category": "general"}, "title", h),
        ("/api/tickets/", {"title": "A title", "description": "d", "client_token": "@"},
         "client_token", h),
        ("/api/responses/", {"ticket": ticket.id, "content": "@"}, "content", h),
        ("/api/responses/", {"ticket": ticket.id, "content": "ok", "client_token": ["@"]},
         "client_token", h),
        ("/api/ai/chat/", {"conversation_id": conv, "message": "hi # there"}, "message", h),
        ("/api/ai/chat/", {"conversation_id": "@", "message": "hi"}, "conversation_id", h),
        ("/api/ai/feedback/", {"suggestion_id": sid, "rating": 1, "comment": "@"}, "comment", sh),
        ("/api/ai/feedback/", {"suggestion_id": sid, "rating": 1, "x": {"deep": ["@"]}}, "x", sh),
    ]  # fmt: skip
    for path, body, field, headers in cases:
        resp = post_raw(client, path, lone(body), headers)
        assert resp.status_code == 422, (path, body, resp.json)
        assert resp.json["field"] == field and "not text" in resp.json["error"]
        assert resp.json["status"] == 422
    # The same character as raw bytes (ED A0 80) instead of an escape.
    resp = post_raw(client, "/api/responses/", b'{"ticket": 1, "content": "a\xed\xa0\x80"}', h)
    assert resp.status_code == 422 and resp.json["field"] == "content"
    # PUT on a ticket passes the same door; a key that is a lone surrogate names no field.
    resp = post_raw(client, "/api/tickets/", lone({"@": "x", "title": "t"}), h)
    assert resp.status_code == 422 and resp.json["field"] is None
    resp = client.put(
        f"/api/tickets/{ticket.id}/",
        data=lone({"status": "@"}),
        headers={**sh, "Content-Type": "application/json"},
    )
    assert resp.status_code == 422 and resp.json["field"] == "status"
    after = snapshot()
    assert after["responses"] == before["responses"] and after["tickets"] == before["tickets"]


def test_a_valid_surrogate_pair_is_ordinary_text(client, user, ticket):
    resp = post_raw(
        client,
        "/api/responses/",
        json.dumps({"ticket": ticket.id, "content": "smile <>"}).replace("<>", "\\ud83d\\ude00"),
        bearer(user),
    )
    assert resp.status_code == 201 and resp.json["content"] == "smile \U0001f600"


def test_json_nested_a_thousand_levels_is_a_400(client, user):
    h = bearer(user)
    for body in ("[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 100 + "]" * 100):
        resp = post_raw(client, "/api/tickets/", body, h)
        assert resp.status_code == 400, resp.json
        assert "nested too deeply" in resp.json["error"]
    # An ordinary body still works.
    ok = client.post(
        "/api/tickets/",
        json={"title": "Cannot log in", "description": "It says my password is wrong."},
        headers=h,
    )
    assert ok.status_code == 201


def test_form_posts_with_a_lone_surrogate_in_utf8_bytes_are_refused(client, login_as, user, ticket):
    """A browser cannot send a lone surrogate, but a hand-made form can: %ED%A0%80 is its
    (invalid) UTF-8. The form is answered 422 with the message beside the field."""
    login_as(user)
    before = snapshot()
    resp = client.post(
        f"/tickets/{ticket.id}/responses/",
        data="content=hello%ED%A0%80there",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 422
    assert "not text" in text(resp) and "content" in text(resp)
    resp = client.post(
        "/tickets/new",
        data="title=Hello%ED%A0%80&description=Something+broke&category=general",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 422 and "not text" in text(resp)
    resp = client.post(  # htmx: the same refusal as a fragment, with a toast
        f"/tickets/{ticket.id}/responses/",
        data="content=%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
        headers=HX,
    )
    assert resp.status_code == 422
    assert_fragment(resp)
    assert snapshot() == before


def _store_conversation_with_surrogates(user, ticket) -> None:
    """What a lone surrogate stored before the door was shut looks like (SQLite keeps the JSON
    escape as written)."""
    now = utcnow().isoformat() + "Z"
    conv = AIConversation(
        user_id=user.id,
        ticket_id=ticket.id,
        conversation_id="c-surrogate",
        is_active=False,
        context={
            "messages": [
                {"role": "user", "text": "help \ud800 me", "at": now},
                {"role": "assistant", "text": "ok \udfff", "at": now, "provider": "local"},
            ],
            "ended_at": now,
            "feedback": {"rating": 4, "comment": "fine \ud800", "at": now + "\ud800"},
        },
    )
    db.session.add(conv)
    db.session.commit()


def test_stored_surrogates_do_not_take_the_ai_dashboard_or_chat_down(
    client, login_as, admin, staff, user, ticket
):
    try:
        _store_conversation_with_surrogates(user, ticket)
    except sa.exc.DBAPIError:  # PostgreSQL's json type refuses it: nothing can be stored
        db.session.rollback()
        assert ON_POSTGRES
        return
    db.session.expire_all()
    login_as(admin)
    assert client.get("/admin/ai").status_code == 200
    login_as(user)
    resp = client.get("/tickets/ai/conversations/c-surrogate/")
    assert resp.status_code == 200 and "help \ufffd me" in text(resp)
    resp = client.get("/api/ai/conversations/c-surrogate/", headers=bearer(user))
    assert resp.status_code == 200
    assert resp.json["messages"][0]["text"] == "help \ufffd me"
    login_as(staff)  # staff read the chat transcript on the ticket
    assert client.get(f"/staff/tickets/{ticket.id}/").status_code == 200
    resp = client.get(f"/api/tickets/{ticket.id}/", headers=bearer(staff))
    assert resp.status_code == 200
