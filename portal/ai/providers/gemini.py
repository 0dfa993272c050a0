"""The Gemini provider, through google-genai. The only module that imports the SDK.

One client per app (built in init_app). Every call has a timeout (milliseconds) and bounded
retries with backoff on 408/429/5xx, timeouts and connection errors; other 4xx are not retried.
Structured answers are validated here with pydantic: `response.parsed` is silently None on
invalid output, so the text is parsed explicitly and any failure raises GeminiError.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field, ValidationError

from portal.models import CATEGORIES, PRIORITIES

log = logging.getLogger(__name__)

Category = StrEnum("Category", {c: c for c in CATEGORIES})
Priority = StrEnum("Priority", {p: p for p in PRIORITIES})


class TriageOut(BaseModel):
    category: Category
    priority: Priority
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str = Field(max_length=500)


class DraftOut(BaseModel):
    reply: str = Field(min_length=1, max_length=4000)
    source_ids: list[str]
    confidence: float = Field(ge=0.0, le=1.0)


class TextOut(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class GeminiError(Exception):
    """Any failed Gemini call. `kind` names the failure for the usage log."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


@dataclass
class GeminiReply:
    text: str
    data: dict | None
    tokens_in: int
    tokens_out: int


def build_client(config: dict):
    """One google-genai client for the app, or None when no API key is configured."""
    key = config.get("GEMINI_API_KEY")
    if not key:
        return None
    from google import genai
    from google.genai import types

    retry = types.HttpRetryOptions(
        attempts=int(config.get("AI_GEMINI_RETRY_ATTEMPTS", 3)),
        initial_delay=float(config.get("AI_GEMINI_RETRY_INITIAL_DELAY", 1.0)),
        max_delay=float(config.get("AI_GEMINI_RETRY_MAX_DELAY", 8.0)),
        jitter=float(config.get("AI_GEMINI_RETRY_JITTER", 1.0)),
    )
    return genai.Client(
        vertexai=False,
        api_key=key,
        http_options=types.HttpOptions(
            base_url=config.get("GEMINI_BASE_URL") or None,
            api_version="v1beta",
            timeout=int(config.get("AI_GEMINI_TIMEOUT_MS", 20000)),
            retry_options=retry,
        ),
    )


def _usage(resp) -> tuple[int, int]:
    meta = getattr(resp, "usage_metadata", None)
    if meta is None:
        return 0, 0
    out = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return meta.prompt_token_count or 0, out


def _check_blocked(resp) -> None:
    feedback = getattr(resp, "prompt_feedback", None)
    if feedback is not None and feedback.block_reason:
        raise GeminiError("Blocked", f"prompt blocked: {feedback.block_reason}")
    candidates = resp.candidates or []
    if candidates and candidates[0].finish_reason is not None:
        reason = str(getattr(candidates[0].finish_reason, "value", candidates[0].finish_reason))
        if reason in ("SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION"):
            raise GeminiError("Blocked", f"answer blocked: {reason}")


def _call(fn):
    """Run an SDK call, turning every failure into a GeminiError with a named kind."""
    from google.genai import errors

    try:
        import httpx2 as httpx_mod
    except ImportError:  # the SDK also accepts plain httpx
        import httpx as httpx_mod

    try:
        return fn()
    except GeminiError:
        raise
    except errors.APIError as e:
        raise GeminiError(type(e).__name__, f"{e.code} {e.status}") from e
    except httpx_mod.TimeoutException as e:
        raise GeminiError("Timeout", type(e).__name__) from e
    except httpx_mod.HTTPError as e:
        raise GeminiError("ConnectionError", type(e).__name__) from e
    except json.JSONDecodeError as e:
        raise GeminiError("MalformedResponse", str(e)[:100]) from e
    except (ValueError, TypeError) as e:  # pydantic/SDK parsing of an odd body
        raise GeminiError("MalformedResponse", str(e)[:100]) from e


def _reject_extra_fields(text: str, schema: type[BaseModel]) -> None:
    """Fields the schema does not have (a "status", an "assignee", "html"…) mean the model
    followed something other than our instructions: the whole answer is junk, not just
    the extra keys. Checked on the raw text, as pydantic drops unknown keys silently."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise GeminiError("SchemaInvalid", "not JSON") from e
    extra = set(raw) - set(schema.model_fields) if isinstance(raw, dict) else {"<not an object>"}
    if extra:
        raise GeminiError("SchemaInvalid", f"unexpected fields: {', '.join(sorted(extra))[:200]}")


def generate_structured(
    client,
    *,
    model: str,
    system: str,
    contents,
    schema: type[BaseModel],
    temperature: float,
    max_tokens: int,
) -> GeminiReply:
    from google.genai import types

    config = types.GenerateContentConfig(
        system_instruction=system,
        temperature=temperature,
        max_output_tokens=max_tokens,
        response_mime_type="application/json",
        response_schema=schema,
    )
    resp = _call(
        lambda: client.models.generate_content(model=model, contents=contents, config=config)
    )
    _check_blocked(resp)
    text = resp.text
    if not text:
        raise GeminiError("EmptyResponse", "no text in the answer")
    parsed = resp.parsed if isinstance(resp.parsed, schema) else None
    if parsed is None:
        # parsed is silently None on invalid output: validate ourselves to get a real error.
        try:
            parsed = schema.model_validate_json(text)
        except ValidationError as e:
            raise GeminiError("SchemaInvalid", str(e).splitlines()[0][:200]) from e
    _reject_extra_fields(text, schema)
    tokens_in, tokens_out = _usage(resp)
    return GeminiReply(text, parsed.model_dump(mode="json"), tokens_in, tokens_out)


def generate_stream_text(
    client, *, model: str, system: str, contents, temperature: float, max_tokens: int
) -> GeminiReply:
    """A streamed plain-text answer (chat), joined; any failure mid-stream is an error."""
    from google.genai import types

    config = types.GenerateContentConfig(
        system_instruction=system,
        temperature=temperature,
        max_output_tokens=max_tokens,
        response_mime_type="text/plain",
    )

    def run():
        parts: list[str] = []
        tokens = (0, 0)
        for chunk in client.models.generate_content_stream(
            model=model, contents=contents, config=config
        ):
            _check_blocked(chunk)
            if chunk.text:
                parts.append(chunk.text)
            if chunk.usage_metadata is not None:
                tokens = _usage(chunk)
        return "".join(parts), tokens

    text, (tokens_in, tokens_out) = _call(run)
    if not text.strip():
        raise GeminiError("EmptyResponse", "no text in the answer")
    return GeminiReply(text, None, tokens_in, tokens_out)


class GeminiProvider:
    """The Gemini side of the provider interface (see providers/__init__.py)."""

    name = "gemini"

    def __init__(self, client) -> None:
        self.client = client

    def generate(self, *, system: str, contents, schema, settings: dict) -> GeminiReply:
        """A structured answer validated against `schema`, or with schema=None streamed text."""
        if schema is None:
            return generate_stream_text(self.client, system=system, contents=contents, **settings)
        return generate_structured(
            self.client, system=system, contents=contents, schema=schema, **settings
        )
