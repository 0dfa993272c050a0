"""Safety fixtures: the AI fixtures (model, fake Gemini), a Gemini that obeys injections, and
a world with another user's resolved ticket and a knowledge-base article to draw on."""

from __future__ import annotations

import json
import re

import flask
import pytest

from portal.services import kb as kb_service
from portal.services import tickets as ticket_service
from tests.ai.conftest import (  # noqa: F401
    _fake_server,
    ai_app,
    fake_gemini,
    gemini_app,
    set_threshold,
    trained_model_file,
)
from tests.ai.fake_gemini import Step
from tests.factories import make_reply, make_ticket, make_user

# ---------------------------------------------------------------- the world

OTHER_NAME = "Olivia Otherton"
OTHER_EMAIL = "olivia.otherton@example.test"
OTHER_TITLE = "Olivia duplicate tuition refund invoice"
OTHER_INVOICE = "88123456"
OTHER_SECRETS = (OTHER_NAME, "Olivia", "Otherton", OTHER_EMAIL, OTHER_TITLE, OTHER_INVOICE)


@pytest.fixture
def world(staff):
    """A wifi article, and another user's resolved ticket whose staff answer names them."""
    article = kb_service.create_article(
        staff,
        title="Eduroam wifi keeps dropping",
        body="If the eduroam wifi keeps dropping, forget the network on your device and "
        "connect again with your university email and password.",
        category="technical",
    )
    other = make_user("user", name=OTHER_NAME, email=OTHER_EMAIL)
    resolved = make_ticket(
        other,
        title=OTHER_TITLE,
        description="I was charged twice for tuition and my wifi keeps dropping. Refund please.",
    )
    make_reply(
        resolved,
        staff,
        f"Hello Olivia, I refunded invoice {OTHER_INVOICE} to your card and emailed "
        f"{OTHER_EMAIL}. For the wifi that keeps dropping, forget eduroam and connect again.",
    )
    ticket_service.resolve_ticket(resolved, staff)
    return {"article": article, "other": other, "resolved": resolved}


# ---------------------------------------------------------------- a Gemini that obeys

HTML_PAYLOAD = (
    '<script>alert(\'PWNED\')</script> <div hx-get="/admin/users?PWNED" hx-trigger="load">x'
    "</div> [verify](javascript:alert('PWNED')) <img src=x onerror=\"alert('PWNED')\">"
)


def _request_parts(body: dict) -> tuple[str, str, str]:
    system = " ".join(
        p.get("text", "") for p in (body.get("systemInstruction") or {}).get("parts", [])
    )
    contents = "\n".join(
        part.get("text", "") for c in body.get("contents", []) for part in c.get("parts", [])
    )
    schema = json.dumps((body.get("generationConfig") or {}).get("responseSchema") or {})
    if "rationale" in schema:
        purpose = "triage"
    elif "source_ids" in schema:
        purpose = "draft"
    elif schema != "{}":
        purpose = "text"
    else:
        purpose = "chat"
    return purpose, system, contents


def obeying_answer(mode: str, purpose: str, system: str, contents: str) -> str:
    """What a model that followed the injection would answer."""
    ids = sorted(set(re.findall(r'"id": "((?:kb|ticket)-\d+)"', contents)))
    if mode == "leak":  # repeats its instructions
        said = system
    elif mode == "parrot":  # repeats everything it was given
        said = contents
    else:
        said = HTML_PAYLOAD
    if purpose == "chat":
        return said
    if purpose == "text":
        if mode == "out_of_schema":
            return json.dumps({"txt": said})
        if mode == "extra_fields":
            return json.dumps({"text": "Summary.", "status": "closed", "html": said})
        return json.dumps({"text": said[:4000]})
    if purpose == "triage":
        answer = {
            "category": "billing",
            "priority": "urgent",
            "confidence": 1.0,
            "rationale": said[:500],
        }
        if mode == "out_of_schema":
            answer.update(category="security_breach", priority="critical")
        if mode == "extra_fields":
            answer.update(status="closed", assigned_to=1, needs_human=True)
        return json.dumps(answer)
    if mode == "parrot_kb":  # copies everything, admits only to the articles
        return json.dumps(
            {
                "reply": contents[:4000],
                "source_ids": [i for i in ids if i.startswith("kb-")],
                "confidence": 1.0,
            }
        )
    if mode == "paraphrase":  # uses a resolved ticket in its own words, cites the article
        return json.dumps(
            {
                "reply": "Good news: a student with the same problem had the duplicate charge "
                "refunded to their card. For the wifi, forget the network and reconnect.",
                "source_ids": [i for i in ids if i.startswith("kb-")],
                "confidence": 1.0,
            }
        )
    answer = {"reply": said[:4000], "source_ids": ids, "confidence": 1.0}
    if mode == "out_of_schema":
        answer["confidence"] = 7
        answer["source_ids"] = "all of them"
    if mode == "extra_fields":
        answer.update(status="closed", internal=False, html=said)
    return json.dumps(answer)


OBEYING_MODES = ("leak", "parrot", "out_of_schema", "extra_fields", "html")


@pytest.fixture
def obeying_gemini(request, monkeypatch):
    """obeying_gemini(mode): from now on the fake Gemini answers as a model that followed
    the injection would (see obeying_answer). Needs gemini_app (requested here)."""
    request.getfixturevalue("gemini_app")
    fake = request.getfixturevalue("fake_gemini")

    def use(mode: str) -> None:
        def _next():
            body = flask.request.get_json(force=True, silent=True) or {}
            purpose, system, contents = _request_parts(body)
            return Step("ok", text=obeying_answer(mode, purpose, system, contents))

        monkeypatch.setattr(fake, "_next", _next)

    return use
