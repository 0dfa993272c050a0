"""portal.ai — a model gateway: plain inputs → plain results or AIUnavailable.

One module per use case (triage, drafts, rewrite, summary, chat); gateway.py wraps every
Gemini call in the response cache, the usage log and the leak check; providers/ holds the
local scikit-learn model and Gemini (google-genai) behind one small interface; retrieval,
prompts, calibration, training, evaluation and the `flask ai` CLI sit beside them.

It reads what it needs (help articles, resolved tickets, staff outcomes for calibration)
and writes nothing but its usage log, through its own connection. It imports no services,
tasks, events or blueprints: services call it and store what it answers.
"""

from __future__ import annotations

from flask import Flask

from portal.ai.errors import AIUnavailable
from portal.ai.gateway import GEMINI_CLIENT
from portal.ai.providers.gemini import build_client

__all__ = ["AIUnavailable", "init_app"]

AI_DEFAULTS = {
    "AI_MODEL_DIR": None,  # defaults to app.instance_path
    "AI_GEMINI_TIMEOUT_MS": 20000,
    "AI_GEMINI_RETRY_ATTEMPTS": 3,
    "AI_GEMINI_RETRY_INITIAL_DELAY": 1.0,
    "AI_GEMINI_RETRY_MAX_DELAY": 8.0,
    "AI_GEMINI_RETRY_JITTER": 1.0,
    "AI_RETRAIN_AFTER": 20,  # new staff corrections that trigger an automatic retrain
    "AI_TRAIN_IF_MISSING": True,
}


def init_app(app: Flask) -> None:
    """The AI's config defaults and one google-genai client per app (None without a key)."""
    for key, value in AI_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions[GEMINI_CLIENT] = build_client(app.config)
