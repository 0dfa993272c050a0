"""The requester's ticket page always offers "Chat with the assistant about this ticket".

While the ticket is not closed the button is there (awaiting an answer, after the assistant's or
staff's answer, after asking for a person, resolved) on the page and in the polled thread
fragment, and it starts a chat about the ticket. A closed ticket says why there is no chat.
"""

from __future__ import annotations

import re

import pytest

from portal import events
from portal.extensions import db
from portal.models import AIConversation, TicketResponse
from tests.factories import make_reply, make_ticket
from tests.helpers import hx_request, location_path, text

BUTTON = "Chat with the assistant about this ticket"


def _ai_answer(ticket, author) -> None:
    db.session.add(
        TicketResponse(
            ticket_id=ticket.id,
            user_id=author.id,
            response_type="ai",
            content="Try restarting the projector.",
            is_ai_generated=True,
        )
    )
    db.session.commit()


def _state(name, ticket, staff):
    if name == "ai-answered":
        _ai_answer(ticket, staff)
    elif name == "staff-answered":
        make_reply(ticket, staff, "We are on it.")
    elif name == "asked-for-a-person":
        _ai_answer(ticket, staff)
        ticket.needs_human = True
    elif name in ("in_progress", "resolved"):
        ticket.status = name
    db.session.commit()


def _start_chat(client, page_html: str, ticket_id: int):
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)
    return client.post(
        "/tickets/ai/conversations/", data={"csrf_token": token, "ticket": str(ticket_id)}
    )


@pytest.mark.parametrize(
    "state",
    [
        "awaiting-answer",
        "ai-answered",
        "staff-answered",
        "asked-for-a-person",
        "in_progress",
        "resolved",
    ],
)
def test_requester_always_has_the_chat_button_while_not_closed(
    client, login_as, user, staff, state
):
    with events.suppressed():
        ticket = make_ticket(user)
    _state(state, ticket, staff)
    login_as(user)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert page.count(BUTTON) == 1
    fragment = text(
        hx_request(
            client, "GET", f"/tickets/{ticket.id}/responses/", target=f"ticket-{ticket.id}-thread"
        )
    )
    assert fragment.count(BUTTON) == 1

    resp = _start_chat(client, page, ticket.id)
    assert resp.status_code == 303, text(resp)[:300]
    conv = db.session.query(AIConversation).one()
    assert conv.ticket_id == ticket.id
    assert location_path(resp) == f"/tickets/ai/conversations/{conv.conversation_id}/"


def test_closed_ticket_says_why_there_is_no_chat(client, login_as, user):
    with events.suppressed():
        ticket = make_ticket(user)
    ticket.status = "closed"
    db.session.commit()
    login_as(user)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert BUTTON not in page
    assert "This ticket is closed, so the assistant cannot chat about it." in page
    assert "Reopen" in page


def test_other_people_never_get_the_chat_button(client, login_as, user, staff):
    with events.suppressed():
        ticket = make_ticket(user)
    login_as(staff)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert BUTTON not in page and "assistant cannot chat" not in page


def test_chat_button_works_on_a_ticket_older_than_the_chat_pages_list(client, login_as, user):
    """The new-chat list shows the 50 latest open tickets; the button must work on any."""
    with events.suppressed():
        oldest = make_ticket(user, title="The oldest one")
        for _ in range(50):
            make_ticket(user)
    login_as(user)
    page = text(client.get(f"/tickets/{oldest.id}/"))
    resp = _start_chat(client, page, oldest.id)
    assert resp.status_code == 303, text(resp)[:500]
    assert db.session.query(AIConversation).one().ticket_id == oldest.id
