"""Every Gemini call goes through here: the response cache, the usage log, the leak check.

The local model is loaded here too, so the use-case modules (triage, drafts, rewrite,
summary, chat) ask one place for a model and never touch a provider's SDK themselves.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from portal.ai import prompts, trainer, usage
from portal.ai.errors import AIUnavailable
from portal.ai.options import ModelSettings
from portal.ai.providers import local
from portal.ai.providers.gemini import GeminiError, GeminiProvider, GeminiReply

log = logging.getLogger(__name__)

GEMINI_CLIENT = "ai_gemini_client"  # app.extensions key: the google-genai client, or None


def gemini_provider() -> GeminiProvider | None:
    client = current_app.extensions.get(GEMINI_CLIENT)
    return GeminiProvider(client) if client is not None else None


def gemini_configured() -> bool:
    return current_app.extensions.get(GEMINI_CLIENT) is not None


def local_model() -> local.LocalModel:
    """The saved model; when there is none yet, one trained on the shipped examples.

    Outside tests a missing model is trained (with the stored corrections) and saved once.
    """
    try:
        model = local.load(trainer.model_path())
        if model is not None:
            return model
        if current_app.testing or not current_app.config.get("AI_TRAIN_IF_MISSING", True):
            return local.builtin_model()
        return trainer.train_and_save(measure=False)
    except Exception as e:
        log.exception("local model unavailable")
        raise AIUnavailable("The local model could not be loaded.") from e


def gemini(
    purpose: str,
    *,
    settings: ModelSettings,
    system: str,
    contents,
    schema=None,
    ticket_id: int | None = None,
    fresh: bool = False,
) -> GeminiReply:
    """One Gemini call through the cache and the usage log. Raises GeminiError."""
    provider = gemini_provider()
    if provider is None:
        raise GeminiError("NotConfigured")
    cfg = settings.as_dict()
    key = usage.cache_key(
        purpose=purpose,
        prompt=prompts.PROMPT_VERSION,
        system=system,
        contents=contents,
        schema=schema.__name__ if schema else None,
        **cfg,
    )
    hit = None if fresh else usage.cache_get(key)
    if hit is not None:
        usage.record(
            provider="gemini", model=settings.model, purpose=purpose, cache_hit=True,
            ticket_id=ticket_id,
        )  # fmt: skip
        return GeminiReply(hit["text"], hit["data"], 0, 0)
    started = time.perf_counter()
    try:
        reply = provider.generate(system=system, contents=contents, schema=schema, settings=cfg)
        # NUL characters cannot be stored (PostgreSQL refuses them) and mean nothing to anyone.
        reply = GeminiReply(
            _without_nul(reply.text), _without_nul(reply.data), reply.tokens_in, reply.tokens_out
        )
    except GeminiError as e:
        usage.record(
            provider="gemini",
            model=settings.model,
            purpose=purpose,
            latency_ms=(time.perf_counter() - started) * 1000,
            outcome="error",
            error_class=e.kind,
            ticket_id=ticket_id,
        )
        raise
    leaked = prompts.leaks_instructions(reply.text)
    usage.record(
        provider="gemini",
        model=settings.model,
        purpose=purpose,
        latency_ms=(time.perf_counter() - started) * 1000,
        tokens_in=reply.tokens_in,
        tokens_out=reply.tokens_out,
        outcome="error" if leaked else "ok",
        error_class="InstructionLeak" if leaked else None,
        ticket_id=ticket_id,
    )
    if leaked:
        # The answer repeats the system prompt (an injection worked): never shown, never
        # cached; callers fall back to the local answer as for any other junk.
        log.warning("Gemini %s answer repeated the instructions; discarded", purpose)
        raise GeminiError("InstructionLeak", "the answer repeated the system prompt")
    usage.cache_set(key, {"text": reply.text, "data": reply.data})
    return reply


def gemini_or_none(purpose: str, **call) -> GeminiReply | None:
    """Gemini's answer, or None when it is not configured or the call failed (logged): each
    use case then answers with its local model, which is the cascade's fallback."""
    if not gemini_configured():
        return None
    try:
        return gemini(purpose, **call)
    except GeminiError as e:
        log.warning("Gemini %s failed (%s); answering with the local model", purpose, e.kind)
        return None


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
