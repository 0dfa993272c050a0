"""The AI panel's drafts: clean rewrites, a regenerate that differs or says why not, and
drafts that answer the requester's latest message."""

from __future__ import annotations

import html
import re

import pytest

from portal.ai import prompts
from portal.ai.rewrite import local_rewrite
from portal.services import kb as kb_service
from portal.services.settings import update_settings
from tests.factories import make_reply, make_ticket
from tests.helpers import text

HX = {"HX-Request": "true"}
GREETING = re.compile(r"^(?:hello|hi|hey|dear|good morning)\b", re.IGNORECASE | re.MULTILINE)
OPENING = re.compile(
    r"thank(?:s| you)(?: so much)? for (?:reaching out|getting in touch|contacting us|your)",
    re.IGNORECASE,
)
CLOSING = re.compile(
    r"^(?:kind regards|best regards|regards|have a great day|best wishes)\b",
    re.IGNORECASE | re.MULTILINE,
)
DRAFT = (
    'Hello Uma,\n\nThank you for getting in touch. Our knowledge-base article "Printing" '
    "covers this:\n\nTo print in the library, log in at the print station with your student "
    "card.\n\nIf this does not solve your problem, reply here and a member of staff will help."
)


@pytest.fixture(autouse=True)
def _manual():
    """Not manual_only: the panel's drafts need AI responses on."""


def assert_clean(reply: str) -> None:
    assert len(GREETING.findall(reply)) == 1, reply
    assert reply.lstrip().lower().startswith(("hello", "hi", "dear")), reply
    assert len(OPENING.findall(reply)) <= 1, reply
    assert len(CLOSING.findall(reply)) <= 1, reply
    assert "  " not in reply and " ," not in reply, reply
    sentences = [s.strip().casefold() for s in re.split(r"(?<=[.!?])\s+", reply) if s.strip()]
    assert len(sentences) == len(set(sentences)), reply
    assert "log in at the print station with your student card" in reply  # facts stay


@pytest.mark.parametrize("style", ["friendlier", "formal", "shorter"])
def test_a_rewrite_has_exactly_one_greeting_and_opening(style):
    assert_clean(local_rewrite(DRAFT, style))


@pytest.mark.parametrize(
    "chain", [("friendlier", "formal"), ("formal", "friendlier"), ("friendlier", "friendlier")]
)
def test_rewriting_a_rewrite_replaces_its_greeting_and_closing(chain):
    reply = DRAFT
    for style in chain:
        reply = local_rewrite(reply, style)
        assert_clean(reply)
    assert reply.startswith("Dear Uma," if chain[-1] == "formal" else "Hi Uma,")


def test_the_rule_is_general_not_a_string_patch():
    draft = (
        "Hi Sam,\n\nThanks for your message. I hope this message finds you well. "
        "We're resetting the account now. We're resetting the account now.\n\n"
        "Best regards,\nAlex"
    )
    for style in ("friendlier", "formal"):
        reply = local_rewrite(draft, style)
        assert len(GREETING.findall(reply)) == 1, reply
        assert "Alex" not in reply and "finds you well" not in reply
        assert reply.count("resetting the account now") == 1, reply
    assert "We are resetting" in local_rewrite(draft, "formal")


def test_a_pleasantry_is_dropped_only_as_a_whole_sentence():
    draft = "Thanks for your patience while we fixed the print server; it is back. Try again."
    reply = local_rewrite(draft, "formal")
    assert reply.startswith("Dear customer,\n\n")
    assert "fixed the print server; it is back" in reply


@pytest.fixture
def printing(user, staff):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 1.0})
    kb_service.create_article(
        staff,
        title="Printing from the library",
        body="To print in the library, log in at the print station with your student card. "
        "Printer jams: tell the desk.",
        category="technical",
    )
    return make_ticket(
        user,
        title="Library printer does not print",
        description="The printer in the library does not print my document from the print station.",
    )


def _draft_text(resp) -> str:
    page = text(resp)
    match = re.search(r'class="response-body ai-text" hx-disable>(.*?)</div>', page, re.S)
    return html.unescape(match.group(1))


def test_rewrite_through_the_panel_keeps_one_greeting(client, login_as, staff, printing):
    login_as(staff)
    draft = _draft_text(client.post(f"/staff/tickets/{printing.id}/ai", headers=HX))
    for style in ("friendlier", "formal"):
        resp = client.post(
            f"/staff/tickets/{printing.id}/ai/rewrite",
            data={"style": style, "text": draft},
            headers=HX,
        )
        assert resp.status_code == 200
        draft = _draft_text(resp)
        assert len(GREETING.findall(draft)) == 1, draft
        assert len(OPENING.findall(draft)) == 1, draft
        assert "  " not in draft


def test_regenerate_differs_or_says_there_is_no_other_source(client, login_as, staff, printing):
    login_as(staff)
    first = _draft_text(client.post(f"/staff/tickets/{printing.id}/ai", headers=HX))
    resp = client.post(f"/staff/tickets/{printing.id}/ai/regenerate", headers=HX)
    assert resp.status_code == 200
    again = _draft_text(resp)
    # One article matches: the same text may come back, but the panel says why.
    assert again != first or "No other help article or resolved ticket matches" in text(resp)
    assert f'id="ticket-{printing.id}-ai-note"' in text(resp)


def test_regenerate_with_no_source_at_all_says_so(client, login_as, staff, user):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 1.0})
    ticket = make_ticket(user, title="Zebra quokka", description="Xylophone marmalade umbrella.")
    login_as(staff)
    client.post(f"/staff/tickets/{ticket.id}/ai", headers=HX)
    resp = client.post(f"/staff/tickets/{ticket.id}/ai/regenerate", headers=HX)
    assert "there is no other draft to offer" in text(resp)


def test_a_follow_up_changes_the_draft(client, login_as, staff, user, printing):
    kb_service.create_article(
        staff,
        title="Resetting your password",
        body="If you forgot your password, choose 'Forgot password' on the login page. We "
        "email a password reset link; check your spam folder if the reset email is late.",
        category="technical",
    )
    login_as(staff)
    before = text(client.post(f"/staff/tickets/{printing.id}/ai", headers=HX))
    assert "Printing from the library" in before
    make_reply(
        printing,
        user,
        "Now I cannot log in either: I forgot my password and the reset email never arrives.",
    )
    after = text(client.post(f"/staff/tickets/{printing.id}/ai", headers=HX))
    draft = _draft_text_from(after)
    assert "Resetting your password" in draft  # it answers the follow-up
    assert "Thank you for your follow-up" in draft
    assert "Printing from the library" not in draft


def _draft_text_from(page: str) -> str:
    match = re.search(r'class="response-body ai-text" hx-disable>(.*?)</div>', page, re.S)
    return html.unescape(match.group(1))


def test_the_gemini_prompt_names_the_latest_message():
    contents = prompts.draft_contents("T", "D", [], [], latest="Reset email never arrives")
    assert "latest_message" in contents and "Reset email never arrives" in contents
    assert "latest_message" not in prompts.draft_contents("T", "D", [], [])
