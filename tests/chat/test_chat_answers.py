"""What the assistant answers: the passage of the article that answers, linked; plainly
"nothing matches" otherwise; never an article the user rejected, in chat or in the first
answer on the ticket the chat is handed over as. Real facade, no stubs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.ai.chat import NOTHING_ELSE, NOTHING_MATCHES
from portal.extensions import db
from portal.models import AIConversation, Ticket, TicketResponse
from portal.services import kb as kb_service
from tests.api.test_ai_api import bearer
from tests.chat.test_chat import HX, say, start
from tests.helpers import text

PASSWORD_BODY = """If the login page says your credentials are wrong after a **password reset**:

1. Wait a minute: a reset can take up to 60 seconds to reach every server.
2. Clear saved passwords for this site in your browser, then type the new password by hand.

Lost your reset email? Reset links expire after one hour and each link works only once:
request a new reset link from the login page and check your spam folder."""


@pytest.fixture
def articles(staff):
    password = kb_service.create_article(
        staff, title="Resetting your password and logging in again", body=PASSWORD_BODY
    )
    login = kb_service.create_article(
        staff,
        title="Login problems with the password",
        body="Wrong password at login? Check Caps Lock and your keyboard layout, then type the "
        "password again. After five wrong passwords the login is locked for 15 minutes.",
    )
    return password, login


def last_answer(conv) -> dict:
    db.session.expire_all()
    conv = db.session.get(AIConversation, conv.id)
    return conv.context["messages"][-1]


@pytest.mark.parametrize("message", ["asdf qwerty", "zxcvb qwertz uiop", "jjjjjj kkkkk llll"])
def test_gibberish_gets_the_plain_nothing_matches_reply(client, login_as, user, articles, message):
    login_as(user)
    conv = start(client)
    resp = say(client, conv, message)
    assert resp.status_code == 200
    answer = last_answer(conv)
    assert answer["text"] == NOTHING_MATCHES
    assert answer["sources"] == []
    assert "/kb/" not in text(resp)


def test_an_off_topic_question_gets_nothing_matches(client, login_as, user, articles):
    login_as(user)
    conv = start(client)
    say(client, conv, "Can you give me a good recipe for banana bread?")
    assert last_answer(conv)["text"] == NOTHING_MATCHES


def test_the_answer_quotes_the_relevant_passage_and_links_the_article(
    client, login_as, user, articles
):
    password, _ = articles
    login_as(user)
    conv = start(client)
    resp = say(client, conv, "The password reset link in the email says it has expired")
    answer = last_answer(conv)
    assert answer["sources"] == [{"kind": "kb", "id": password.id, "title": password.title}]
    # The passage about expired links, whole; not the article's first lines cut at a length.
    assert "Reset links expire after one hour and each link works only once:" in answer["text"]
    assert "check your spam folder." in answer["text"]
    assert "Wait a minute" not in answer["text"] and "…" not in answer["text"]
    page = text(resp)
    assert f'href="/kb/{password.id}/"' in page and password.title in page


def test_that_did_not_help_offers_the_next_article_then_nothing_else(
    client, login_as, user, articles
):
    password, login = articles
    login_as(user)
    conv = start(client)
    say(client, conv, "I reset my password but the login says my password is wrong")
    first = last_answer(conv)["sources"][0]["id"]
    say(client, conv, "That didn't help")
    second = last_answer(conv)
    assert second["sources"] and second["sources"][0]["id"] != first
    say(client, conv, "that did not help either")
    third = last_answer(conv)
    assert third["text"] == NOTHING_ELSE and third["sources"] == []
    db.session.refresh(conv)
    assert sorted(conv.context["rejected_articles"]) == sorted([password.id, login.id])
    # Asked again later, a rejected article is still not offered.
    say(client, conv, "How do I reset my password? The login says wrong password")
    assert last_answer(conv)["sources"] == []


def test_thumbs_down_rejects_the_answer_and_the_assistant_tries_again(
    client, login_as, user, articles
):
    login_as(user)
    conv = start(client)
    say(client, conv, "I reset my password but the login says my password is wrong")
    first = last_answer(conv)["sources"][0]["id"]
    resp = client.post(
        f"/tickets/ai/conversations/{conv.conversation_id}/answers/1/reject", headers=HX
    )
    assert resp.status_code == 200
    db.session.expire_all()
    turns = db.session.get(AIConversation, conv.id).context["messages"]
    assert turns[1]["rejected"] is True
    assert turns[2]["role"] == "user" and "did not help" in turns[2]["text"]
    assert all(s["id"] != first for s in turns[3]["sources"])
    assert "You said this did not help." in text(resp)


@pytest.mark.parametrize("index", ["0", "99", "-1", "x"])
def test_thumbs_down_on_something_that_is_not_an_answer_is_404(
    client, login_as, user, articles, index
):
    login_as(user)
    conv = start(client)
    say(client, conv, "I reset my password but the login says my password is wrong")
    resp = client.post(f"/tickets/ai/conversations/{conv.conversation_id}/answers/{index}/reject")
    assert resp.status_code == 404


def test_rejected_article_is_not_the_first_answer_after_handover(client, login_as, user, articles):
    password, login = articles
    login_as(user)
    conv = start(client)
    say(client, conv, "I reset my password but the login says my password is wrong")
    rejected = last_answer(conv)["sources"][0]["id"]
    say(client, conv, "That didn't help")
    resp = client.post(f"/tickets/ai/conversations/{conv.conversation_id}/handover")
    assert resp.status_code == 303
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.user_id == user.id))
    assert ticket.needs_human
    # Staff see the chat on the ticket.
    assert "Me: I reset my password but the login says my password is wrong" in ticket.description
    ai = db.session.scalars(
        sa.select(TicketResponse).where(
            TicketResponse.ticket_id == ticket.id, TicketResponse.response_type == "ai"
        )
    ).all()
    for answer in ai:
        assert {"kind": "kb", "id": rejected} not in answer.sources
        assert "did not help" not in answer.content


def test_handing_over_a_ticket_chat_puts_the_transcript_on_the_ticket(
    client, login_as, user, articles
):
    from tests.factories import make_ticket

    ticket = make_ticket(user, title="Login trouble", description="Cannot log in.")
    login_as(user)
    conv = start(client, ticket=str(ticket.id))
    say(client, conv, "asdf qwerty")
    client.post(f"/tickets/ai/conversations/{conv.conversation_id}/handover")
    db.session.expire_all()
    replies = [r.content for r in db.session.get(Ticket, ticket.id).responses]
    assert any("Me: asdf qwerty" in r and "Assistant:" in r for r in replies)


@pytest.mark.parametrize(
    "message", ["", "   ", "x" * 5000, "a\x00b", "👎" * 300, "password " * 400]
)
def test_bad_input_never_500s(client, login_as, user, articles, message):
    login_as(user)
    conv = start(client)
    resp = say(client, conv, message)
    assert resp.status_code in (200, 422)
    # A lone surrogate: as raw bytes in a form, and as a JSON escape through the API.
    resp = client.post(
        "/tickets/ai/chat/",
        data=f"conversation_id={conv.conversation_id}&message=".encode() + b"\xed\xa0\x80 hi",
        content_type="application/x-www-form-urlencoded",
        headers=HX,
    )
    assert resp.status_code < 500
    resp = client.post(
        "/api/ai/chat/",
        data=f'{{"conversation_id": "{conv.conversation_id}", "message": "\\ud800 reset"}}',
        content_type="application/json",
        headers=bearer(user),
    )
    # Refused at the door with the field named; nothing of it is stored.
    assert resp.status_code == 422, resp.data[:300]
    assert resp.get_json()["field"] == "message"
    db.session.expire_all()
    turns = (db.session.get(AIConversation, conv.id).context or {}).get("messages", [])
    assert not any("reset" in t["text"] for t in turns)
    resp = client.post(
        f"/tickets/ai/conversations/{conv.conversation_id}/answers/1/reject", headers=HX
    )
    assert resp.status_code in (200, 404, 422)


def test_model_and_user_text_is_escaped(client, login_as, user, staff):
    kb_service.create_article(
        staff,
        title="<b>Wifi</b> <script>alert(1)</script> eduroam dropping",
        body="Eduroam wifi dropping? Forget the network <img src=x onerror=alert(1)> and connect.",
    )
    login_as(user)
    conv = start(client)
    resp = say(client, conv, "<script>alert(2)</script> my eduroam wifi keeps dropping")
    page = text(resp)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(2)" in page


def test_the_api_chat_answer_lists_its_article_with_title_and_url(client, login_as, user, articles):
    password, _ = articles
    login_as(user)
    conv = start(client)
    resp = client.post(
        "/api/ai/chat/",
        json={
            "conversation_id": conv.conversation_id,
            "message": "The password reset link in the email says it has expired",
        },
        headers=bearer(user),
    )
    assert resp.status_code == 200
    data = resp.get_json()
    [src] = data["sources"]
    assert (src["kind"], src["id"], src["title"]) == ("kb", password.id, password.title)
    assert src["url"].endswith(f"/kb/{password.id}/")
    assert data["conversation"]["messages"][-1]["sources"] == [src]


def test_the_staff_draft_of_a_handed_over_chat_skips_the_rejected_article(
    client, login_as, user, staff, articles
):
    from portal.services import ai_assist

    login_as(user)
    conv = start(client)
    say(client, conv, "I reset my password but the login says my password is wrong")
    rejected = last_answer(conv)["sources"][0]["id"]
    say(client, conv, "That didn't help")
    client.post(f"/tickets/ai/conversations/{conv.conversation_id}/handover")
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.user_id == user.id))
    draft = ai_assist.draft_reply(ticket, fresh=True)
    assert {"kind": "kb", "id": rejected} not in draft.sources
