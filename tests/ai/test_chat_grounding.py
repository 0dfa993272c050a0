"""Chat with Gemini, through the real google-genai SDK against the fake server: answers are
grounded in the matching help articles and cite them; invented citations are dropped; an
article the user rejected never reaches the model; gibberish never reaches it either."""

from __future__ import annotations

import json

import pytest

from portal.ai import prompts
from portal.ai.chat import NOTHING_MATCHES
from portal.extensions import db
from portal.models import AIConversation
from portal.services import chat as chat_service
from portal.services import kb as kb_service
from portal.services.settings import update_settings


@pytest.fixture
def wifi(staff):
    return kb_service.create_article(
        staff,
        title="Connecting to eduroam wifi",
        body="Use your university email and password to join eduroam.\n\n"
        "If the wifi keeps dropping, forget the network and connect again.",
    )


@pytest.fixture
def conv(user):
    conversation = AIConversation(user_id=user.id, conversation_id="grounded", context={})
    db.session.add(conversation)
    db.session.commit()
    return conversation


def test_gemini_answer_cites_the_articles_it_was_given(gemini_app, fake_gemini, wifi, conv):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.999})  # every answer goes to Gemini
    fake_gemini.push(
        "ok",
        chunks=[f"Forget the network and connect again [kb-{wifi.id}].", " See also [kb-999]."],
    )
    result = chat_service.send_message(conv, "my eduroam wifi keeps dropping")
    assert result.provider == "gemini"
    assert result.sources == [{"kind": "kb", "id": wifi.id, "title": wifi.title}]
    assert "[kb-" not in result.reply  # markers become the links under the answer
    assert result.reply == "Forget the network and connect again. See also."
    [call] = fake_gemini.calls("stream")
    body = call["json"]
    assert "cite it by its id" in body["systemInstruction"]["parts"][0]["text"]
    last = body["contents"][-1]["parts"][0]["text"]
    assert f'"id": "kb-{wifi.id}"' in last and "forget the network" in last
    assert last.count(prompts.DATA_OPEN) == 1
    db.session.refresh(conv)
    assert conv.context["messages"][-1]["sources"] == result.sources


def test_a_rejected_article_never_reaches_the_model(gemini_app, fake_gemini, wifi, conv):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.999})
    fake_gemini.push("ok", chunks=[f"Forget the network [kb-{wifi.id}]."])
    chat_service.send_message(conv, "my eduroam wifi keeps dropping")
    fake_gemini.push("ok", chunks=[f"Still this one [kb-{wifi.id}]."])
    second = chat_service.send_message(conv, "That didn't help")
    assert second.sources == []  # the model cited it anyway: not offered
    sent = json.dumps(fake_gemini.calls("stream")[-1]["json"]["contents"][-1])
    assert f"kb-{wifi.id}" not in sent


def test_gibberish_is_answered_locally_without_a_call(gemini_app, fake_gemini, wifi, conv):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.999})
    result = chat_service.send_message(conv, "asdf qwerty")
    assert (result.provider, result.reply, result.sources) == ("local", NOTHING_MATCHES, [])
    assert fake_gemini.count() == 0
