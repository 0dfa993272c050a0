"""The requester's and staff's paths through the portal, shared by the prompt-injection
and privacy tests."""

from __future__ import annotations

import re

from portal.api.auth import create_token
from tests.ai.conftest import OTHER_SECRETS
from tests.ai.inert import (
    assert_inert,
    assert_no_instructions,
    assert_no_secrets,
    visible_json,
)
from tests.helpers import text

HX = {"HX-Request": "true"}


def submit_everywhere(client, attempt_text: str) -> tuple[int, str]:
    """As the signed-in user: a ticket, a reply and a chat message carrying the attempt."""
    resp = client.post(
        "/tickets/",
        data={
            "title": attempt_text[:200],
            "description": f"My eduroam wifi keeps dropping. {attempt_text}",
        },
    )
    assert resp.status_code == 303, resp.data[:300]
    ticket_id = int(re.search(r"/tickets/(\d+)/", resp.headers["Location"]).group(1))
    resp = client.post(f"/tickets/{ticket_id}/responses/", data={"content": attempt_text})
    assert resp.status_code in (302, 303), resp.data[:300]
    resp = client.post("/tickets/ai/conversations/", data={"ticket": str(ticket_id)})
    assert resp.status_code == 303, resp.data[:300]
    conversation_id = re.search(r"/conversations/([0-9a-f]+)/", resp.headers["Location"]).group(1)
    resp = client.post(
        "/tickets/ai/chat/",
        data={"conversation_id": conversation_id, "message": attempt_text},
        headers=HX,
    )
    assert resp.status_code == 200, resp.data[:300]
    return ticket_id, conversation_id


def check_user_views(client, user, ticket_id: int, conversation_id: str, attempt_text: str):
    """Everything the requester can see about it: pages, fragments and the API."""
    seen = {
        "ticket page": text(client.get(f"/tickets/{ticket_id}/")),
        "thread fragment": text(client.get(f"/tickets/{ticket_id}/responses/", headers=HX)),
        "chat page": text(client.get(f"/tickets/ai/conversations/{conversation_id}/")),
        "ticket list": text(client.get("/tickets/")),
    }
    for where, html in seen.items():
        assert_inert(html, where)
        assert_no_instructions(html, where)
        assert_no_secrets(html, OTHER_SECRETS, where)
    token = {"Authorization": f"Bearer {create_token(user, 'safety')}"}
    api = {
        "API ticket": client.get(f"/api/tickets/{ticket_id}/", headers=token).json,
        "API conversation": client.get(
            f"/api/ai/conversations/{conversation_id}/", headers=token
        ).json,
        "API chat": client.post(
            "/api/ai/chat/",
            json={"conversation_id": conversation_id, "message": attempt_text},
            headers=token,
        ).json,
    }
    for where, data in api.items():
        shown = visible_json(data)
        assert_no_instructions(shown, where)
        assert_no_secrets(shown, OTHER_SECRETS, where)


def check_staff_views(client, ticket_id: int):
    seen = {
        "staff ticket page": text(client.get(f"/staff/tickets/{ticket_id}/")),
        "staff AI panel": text(client.post(f"/staff/tickets/{ticket_id}/ai", headers=HX)),
        "staff AI summary": text(client.get(f"/staff/tickets/{ticket_id}/ai/summary", headers=HX)),
        "staff timeline": text(client.get(f"/staff/tickets/{ticket_id}/events", headers=HX)),
    }
    for where, html in seen.items():
        assert_inert(html, where)
        assert_no_instructions(html, where)
