"""AI fixtures: one trained model per test session, the fake Gemini server, app helpers."""

from __future__ import annotations

import shutil

import pytest

from portal import events
from portal.ai.providers import local
from portal.ai.providers.gemini import build_client
from portal.services.settings import update_settings
from tests.ai.fake_gemini import start_fake
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
