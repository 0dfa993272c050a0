"""AI fixtures: one trained model per test session, the fake Gemini server, app helpers; for
the prompt-injection and privacy tests, a Gemini that obeys injections, and a world with
another user's resolved ticket and a knowledge-base article to draw on."""

from __future__ import annotations

import json
import re
import shutil

import flask
import pytest

from portal import events
from portal.ai.providers import local
from portal.ai.providers.gemini import build_client
from portal.services import kb as kb_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.ai.fake_gemini import Step, start_fake
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import extra_listener


@pytest.fixture(scope="session")
def trained_model_file(tmp_path_factory):
    """Trained once per session on the shipped examples; tests copy it, never change it."""
    path = tmp_path_factory.mktemp("ai-model") / local.MODEL_FILE
    local.train(local.load_builtin_examples()).save(path)
    return path


@pytest.fixture
def ai_app(app, trained_model_file, tmp_path):
    """The app with its own copy of the session model in a temporary model folder."""
    model_dir = tmp_path / "ai-model"
    model_dir.mkdir()
    shutil.copy(trained_model_file, model_dir / local.MODEL_FILE)
    app.config["AI_MODEL_DIR"] = str(model_dir)
    return app


@pytest.fixture(scope="session")
def _fake_server():
    fake, server = start_fake()
    yield fake
    server.shutdown()


@pytest.fixture
def fake_gemini(_fake_server):
    _fake_server.reset()
    yield _fake_server
    _fake_server.reset()


@pytest.fixture
def gemini_app(ai_app, fake_gemini):
    """The app with a Gemini key pointed at the fake server: fast retries, short timeout."""
    ai_app.config.update(
        GEMINI_API_KEY="test-key",
        GEMINI_BASE_URL=fake_gemini.url,
        AI_GEMINI_TIMEOUT_MS=500,
        AI_GEMINI_RETRY_ATTEMPTS=3,
        AI_GEMINI_RETRY_INITIAL_DELAY=0.01,
        AI_GEMINI_RETRY_MAX_DELAY=0.05,
        AI_GEMINI_RETRY_JITTER=0,
    )
    client = build_client(ai_app.config)
    ai_app.extensions["ai_gemini_client"] = client
    yield ai_app
    ai_app.extensions["ai_gemini_client"] = None
    client.close()


@pytest.fixture
def set_threshold():
    def _set(value: float) -> None:
        update_settings({"AI_CONFIDENCE_THRESHOLD": value})

    return _set


@pytest.fixture
def triaged_events(app):
    """Collects ticket_triaged dispatches."""
    seen: list[int] = []

    def handler(ticket_id, **_):
        seen.append(ticket_id)

    with extra_listener(app, events.TICKET_TRIAGED, handler):
        yield seen


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
