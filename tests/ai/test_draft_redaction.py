"""Another customer's details never travel in a draft, a first answer or a chat reply.

A resolved ticket's staff answer holds reusable wording wrapped in that customer's identifiers.
These tests plant a full set — order, invoice and card numbers, an amount, the staff member's
and the customer's names, an address, a phone number, a one-time password, a tokenised link —
and look for every one of them wherever the AI writes.
"""

from __future__ import annotations

import pytest

from portal.ai import retrieval
from portal.models import AIConversation
from portal.services import ai_assist
from portal.services import chat as chat_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import text

PLANTED = {
    "order": "ORD-55120",
    "invoice": "INV-2026-0931",
    "card": "4417",
    "amount": "312.40",
    "customer": "Henrietta",
    "customer surname": "Vasquez-Lindqvist",
    "staff member": "Priya",
    "staff surname": "Raghunathan",
    "street": "14 Larkspur Lane",
    "phone": "0161 496 0732",
    "password": "Kestrel-5521",
    "token": "q8Zt4mRx2LpW9vKd",
}
REUSABLE = "clear the saved card in your wallet settings"
QUESTION = dict(
    title="Card payment declined for the conference fee",
    description="My card payment for the conference fee was declined twice. What can I do?",
)


@pytest.fixture
def planted(staff):
    agent = make_user("staff", name="Priya Raghunathan", email="p.raghunathan@example.test")
    customer = make_user(
        "user", name="Henrietta Vasquez-Lindqvist", email="henrietta.vl@example.test"
    )
    resolved = make_ticket(
        customer,
        title="Card payment declined for the conference fee",
        description="My card payment for the conference fee was declined. Order ORD-55120.",
    )
    make_reply(
        resolved,
        agent,
        "Hi Henrietta, I checked order ORD-55120 and invoice INV-2026-0931: the Visa ending "
        f"4417 (**** 4417) was charged €312.40 twice. To pay again, {REUSABLE} and add it "
        "anew. I posted the receipt to 14 Larkspur Lane; call 0161 496 0732 if it does not "
        "arrive. Your temporary portal password is Kestrel-5521, and the receipt link is "
        "https://pay.example.test/r/receipt?token=q8Zt4mRx2LpW9vKd.\nBest regards,\n"
        "Priya Raghunathan",
    )
    ticket_service.resolve_ticket(resolved, agent)
    return resolved


def leaked(said: str) -> list[str]:
    return [what for what, value in PLANTED.items() if value.lower() in said.lower()]


def test_redaction_keeps_the_wording_and_drops_every_identifier(planted):
    doc = next(
        h.doc for h in retrieval.search(QUESTION["description"], k=3) if h.doc.kind == "ticket"
    )
    assert REUSABLE in doc.text
    assert leaked(doc.text) == []
    assert "https://pay.example.test/r/receipt" in doc.text  # the link, without its token


def test_a_staff_draft_from_that_ticket_says_so_and_carries_none_of_it(
    ai_app, client, login_as, staff, user, planted
):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.99})  # nothing is posted: a staff draft
    ticket = make_ticket(user, **QUESTION)
    draft = ai_assist.draft_reply(ticket)
    assert {"kind": "ticket", "id": planted.id} in draft.sources
    assert REUSABLE in draft.text
    assert leaked(draft.text) == []
    login_as(staff)
    panel = text(client.post(f"/staff/tickets/{ticket.id}/ai", headers={"HX-Request": "true"}))
    assert "Draws on another customer's resolved ticket" in panel
    assert leaked(panel) == []


def test_first_answers_and_chat_carry_none_of_it(ai_app, user, planted):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.05})  # the AI posts whenever it may
    ticket = make_ticket(user, **QUESTION)
    for reply in ticket.responses:
        assert leaked(reply.content) == [], reply.content
    conversation = chat_service.start_conversation(user)
    answer = chat_service.send_message(conversation, QUESTION["description"])
    assert leaked(answer.reply) == []
    assert isinstance(conversation, AIConversation)
