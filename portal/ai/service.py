"""The AI facade: the only entry point pages, the API, tasks and the CLI use.

Callers get plain results or a typed AIUnavailable; no model library leaks out of portal/ai.

Cascade: the local model answers first. Only when its confidence is below the threshold and a
Gemini key is configured is Gemini asked; any Gemini failure (HTTP error, timeout, junk,
schema-invalid, safety block) falls back to the local answer. Every call — local, Gemini or
cache hit — is written to the usage log.
"""

from __future__ import annotations

import difflib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from portal.ai import draft_calibration, gemini_calibration, prompts, retrieval, usage
from portal.ai.providers import local
from portal.ai.providers.gemini import DraftOut, GeminiError, GeminiReply, TextOut, TriageOut
from portal.extensions import db
from portal.models import (
    CATEGORIES,
    PRIORITIES,
    AIConversation,
    AIFeedback,
    AISuggestion,
    AIThreshold,
    Ticket,
    TicketResponse,
    User,
)
from portal.models.base import utcnow
from portal.services.settings import get_setting

log = logging.getLogger(__name__)

CHAT_HISTORY_TURNS = 20


class AIUnavailable(Exception):
    """The AI could not give an answer (switched off, no model, every provider failed)."""


@dataclass
class TriageResult:
    category: str
    priority: str
    category_confidence: float
    priority_confidence: float
    rationale: str
    provider: str  # "local" | "gemini"
    # Filled in when the caller stores the result as a suggestion (the triage task does).
    suggestion_id: int | None = None
    # Gemini only: the confidence it reported, and whether category_confidence is that figure
    # calibrated on staff outcomes (the local model's confidences are calibrated in training).
    raw_score: float | None = None
    calibrated: bool = True


@dataclass
class DraftResult:
    text: str
    confidence: float
    sources: list[dict] = field(default_factory=list)  # [{"kind": "kb"|"ticket", "id": n}]
    provider: str = "local"
    suggestion_id: int | None = None
    # The score behind `confidence` before calibration, and whether calibration was applied.
    raw_score: float | None = None
    calibrated: bool = False
    # True when the text was written only from knowledge-base articles and the ticket itself
    # (or is the generic "staff will follow up"): safe to show the requester. A draft that
    # relies on a resolved ticket quotes a staff reply written to another person: for staff.
    user_safe: bool = False


@dataclass
class ChatResult:
    reply: str
    provider: str


# ---------------------------------------------------------------- thresholds


def threshold_for(category: str | None = None) -> float:
    """AI_CONFIDENCE_THRESHOLD, or the per-category override when one is set."""
    if category:
        row = db.session.get(AIThreshold, category)
        if row is not None:
            return float(row.threshold)
    return float(get_setting("AI_CONFIDENCE_THRESHOLD"))


def threshold_overrides() -> dict[str, float]:
    return {r.category: r.threshold for r in db.session.scalars(sa.select(AIThreshold))}


def set_threshold(category: str, value: float | None) -> None:
    """Set (or with None, remove) a per-category override; 0 ≤ value ≤ 1."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown category {category!r}.")
    row = db.session.get(AIThreshold, category)
    if value is None:
        if row is not None:
            db.session.delete(row)
    else:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError("A threshold is between 0 and 1.")
        if row is None:
            db.session.add(AIThreshold(category=category, threshold=value))
        else:
            row.threshold = value
    db.session.commit()


# ---------------------------------------------------------------- providers


def model_path() -> Path:
    base = current_app.config.get("AI_MODEL_DIR") or current_app.instance_path
    return Path(base) / local.MODEL_FILE


def local_model() -> local.LocalModel:
    """The saved model; when there is none yet, one trained on the shipped examples.

    Outside tests a missing model is trained (with the stored corrections) and saved once.
    """
    try:
        model = local.load(model_path())
        if model is not None:
            return model
        if current_app.testing or not current_app.config.get("AI_TRAIN_IF_MISSING", True):
            return local.builtin_model()
        return train_and_save(measure=False)
    except Exception as e:
        log.exception("local model unavailable")
        raise AIUnavailable("The local model could not be loaded.") from e


def gemini_client():
    return current_app.extensions.get("ai_gemini_client")


def gemini_configured() -> bool:
    return gemini_client() is not None


def _model_settings() -> dict[str, Any]:
    return {
        "model": get_setting("AI_MODEL"),
        "temperature": float(get_setting("AI_TEMPERATURE")),
        "max_tokens": int(get_setting("AI_MAX_TOKENS")),
    }


def _gemini(
    purpose: str, *, system: str, contents, schema=None, ticket_id=None, fresh: bool = False
) -> GeminiReply:
    """One Gemini call through the cache and the usage log. Raises GeminiError."""
    from portal.ai.providers import gemini

    client = gemini_client()
    if client is None:
        raise GeminiError("NotConfigured")
    cfg = _model_settings()
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
            provider="gemini",
            model=cfg["model"],
            purpose=purpose,
            cache_hit=True,
            ticket_id=ticket_id,
        )
        return GeminiReply(hit["text"], hit["data"], 0, 0)
    started = time.perf_counter()
    try:
        if schema is None:
            reply = gemini.generate_stream_text(client, system=system, contents=contents, **cfg)
        else:
            reply = gemini.generate_structured(
                client, system=system, contents=contents, schema=schema, **cfg
            )
        # NUL characters cannot be stored (PostgreSQL refuses them) and mean nothing to anyone.
        reply = GeminiReply(
            _without_nul(reply.text), _without_nul(reply.data), reply.tokens_in, reply.tokens_out
        )
    except GeminiError as e:
        usage.record(
            provider="gemini",
            model=cfg["model"],
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
        model=cfg["model"],
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


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


# ---------------------------------------------------------------- triage


def _local_triage(ticket: Ticket) -> TriageResult:
    model = local_model()
    started = time.perf_counter()
    try:
        pred = model.predict(local.ticket_text(ticket.title, ticket.description))
    except Exception as e:
        usage.record(
            provider="local",
            model=model.name,
            purpose="triage",
            outcome="error",
            error_class=type(e).__name__,
            ticket_id=ticket.id,
        )
        raise AIUnavailable("The local model failed.") from e
    usage.record(
        provider="local",
        model=model.name,
        purpose="triage",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket.id,
    )
    runner_up = sorted(pred.category_probs.items(), key=lambda kv: -kv[1])[1:2]
    alt = f"; next {runner_up[0][0]} {runner_up[0][1]:.0%}" if runner_up else ""
    return TriageResult(
        category=pred.category,
        priority=pred.priority,
        category_confidence=round(pred.category_confidence, 4),
        priority_confidence=round(pred.priority_confidence, 4),
        rationale=f"Closest to past {pred.category} tickets{alt}.",
        provider="local",
    )


def triage(ticket: Ticket) -> TriageResult:
    """Category and priority with calibrated confidences. Raises AIUnavailable."""
    result = _local_triage(ticket)
    if result.category_confidence >= threshold_for(result.category) or not gemini_configured():
        return result
    try:
        reply = _gemini(
            "triage",
            system=prompts.TRIAGE_SYSTEM,
            contents=prompts.triage_contents(ticket.title, ticket.description),
            schema=TriageOut,
            ticket_id=ticket.id,
        )
    except GeminiError as e:
        log.warning("Gemini triage failed (%s); using the local answer", e.kind)
        return result
    data = reply.data or {}
    # Gemini's confidence is its own estimate: calibrated on staff outcomes once there are
    # enough of them, so the threshold means the same for both providers.
    reported = round(float(data["confidence"]), 4)
    calibration = gemini_calibration.current()
    confidence = round(calibration.apply(reported), 4) if calibration.ready else reported
    return TriageResult(
        category=data["category"],
        priority=data["priority"],
        category_confidence=confidence,
        priority_confidence=confidence,
        rationale=" ".join(str(data.get("rationale", "")).split())[:300],
        provider="gemini",
        raw_score=reported,
        calibrated=calibration.ready,
    )


# ---------------------------------------------------------------- drafts


def _source_ref(hit: retrieval.Hit) -> dict:
    return {"kind": hit.doc.kind, "id": hit.doc.id}


def _excerpt(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _local_draft(
    ticket: Ticket, hits: list[retrieval.Hit], *, after: tuple[str, int] | None = None
) -> DraftResult:
    """A retrieval answer: the closest article or resolved ticket's answer, quoted.

    ``after`` is the source the previous draft quoted when staff press "regenerate": the new
    draft quotes the next match (with that match's own confidence), and after the last match
    the round starts again.
    """
    name = ticket.user.name if ticket.user else "there"
    hits = [h for h in hits if h.score >= 0.08]
    keys = [(h.doc.kind, h.doc.id) for h in hits]
    if after in keys:
        start = (keys.index(after) + 1) % len(hits)
        hits = hits[start:] + hits[:start]
    if not hits:
        return DraftResult(
            text=(
                f"Hello {name},\n\nThank you for your message. A member of our support team "
                "will look into this and get back to you shortly."
            ),
            confidence=0.0,
            sources=[],
            provider="local",
            user_safe=True,
        )
    best = hits[0]
    if best.doc.kind == "kb":
        body = (
            f'Our knowledge-base article "{best.doc.title}" covers this:\n\n'
            f"{_excerpt(best.doc.text)}"
        )
    else:
        body = f"A similar request was solved like this:\n\n{_excerpt(best.doc.text)}"
    text = (
        f"Hello {name},\n\nThank you for getting in touch. {body}\n\n"
        "If this does not solve your problem, reply here and a member of staff will help."
    )
    confidence, calibrated = _draft_confidence(best.score)
    # A draft quoting an article cites articles only: it may go to the requester as it is.
    used = [
        h
        for h in hits
        if h.score >= best.score * 0.6 and (best.doc.kind != "kb" or h.doc.kind == "kb")
    ][:2]
    return DraftResult(
        text,
        confidence,
        [_source_ref(h) for h in used],
        "local",
        user_safe=best.doc.kind == "kb",
        raw_score=round(best.score, 4),
        calibrated=calibrated,
    )


def _draft_candidates(ticket: Ticket) -> list[retrieval.Hit]:
    """What a draft may quote, best first; "regenerate" walks the same list.

    The closest matches of any kind, except that a help article which answers with confidence
    goes first even when a resolved ticket is closer: it is written for everyone, so the
    requester may get it as a first answer.
    """
    query = _ticket_query(ticket)
    hits = [h for h in retrieval.search(query, k=3, exclude_ticket=ticket.id) if h.score >= 0.08]
    if not hits or hits[0].doc.kind == "kb":
        return hits
    article = next(iter(retrieval.search(query, k=1, kinds=("kb",))), None)
    if (
        article is None
        or article.score < 0.08
        or _draft_confidence(article.score)[0] < threshold_for(ticket.category)
    ):
        return hits
    key = (article.doc.kind, article.doc.id)
    return [article, *[h for h in hits if (h.doc.kind, h.doc.id) != key]]


def _draft_confidence(raw: float) -> tuple[float, bool]:
    """P(staff keep the draft) once enough outcomes exist; until then a similarity mapping."""
    calibration = draft_calibration.current()
    if calibration.ready:
        return round(calibration.apply(raw), 4), True
    # Uncalibrated: a strong retrieval match reads as ~0.6-0.9.
    return round(min(0.95, raw * 1.6), 4), False


def _ticket_query(ticket: Ticket) -> str:
    user_turns = [
        r.content for r in ticket.responses if r.response_type == "user" and not r.is_internal
    ]
    return " ".join([ticket.title, ticket.description, *user_turns[-2:]])


def draft_reply(ticket: Ticket, *, fresh: bool = False) -> DraftResult:
    """A suggested public reply with the sources it relies on, stored as a suggestion.

    fresh=True (staff pressed "regenerate") bypasses the response cache.
    """
    if not get_setting("AI_RESPONSE_ENABLED"):
        raise AIUnavailable("AI responses are switched off.")
    started = time.perf_counter()
    try:
        hits = _draft_candidates(ticket)
        result = _local_draft(ticket, hits, after=_last_quoted(ticket) if fresh else None)
    except Exception as e:
        log.exception("local draft failed")
        usage.record(
            provider="local",
            model="tfidf-retrieval",
            purpose="draft",
            outcome="error",
            error_class=type(e).__name__,
            ticket_id=ticket.id,
        )
        raise AIUnavailable("Could not draft a reply.") from e
    usage.record(
        provider="local",
        model="tfidf-retrieval",
        purpose="draft",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket.id,
    )
    if result.confidence < threshold_for(ticket.category) and gemini_configured():
        result = _gemini_draft(ticket, hits, fresh=fresh) or result
    return _store_draft(ticket, result)


def _last_quoted(ticket: Ticket) -> tuple[str, int] | None:
    """The source the ticket's latest reply suggestion quoted (its first), if any."""
    sources = db.session.scalar(
        sa.select(AISuggestion.sources)
        .where(AISuggestion.ticket_id == ticket.id, AISuggestion.kind == "reply")
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )
    if not sources:
        return None
    return sources[0]["kind"], int(sources[0]["id"])


def _store_draft(ticket: Ticket, result: DraftResult) -> DraftResult:
    """Store a draft as the ticket's current reply suggestion (older pending ones retire)."""
    db.session.execute(
        sa.update(AISuggestion)
        .where(
            AISuggestion.ticket_id == ticket.id,
            AISuggestion.kind == "reply",
            AISuggestion.status == "pending",
        )
        .values(status="superseded")
    )
    suggestion = AISuggestion(
        ticket_id=ticket.id,
        kind="reply",
        provider=result.provider,
        text=result.text,
        confidence=result.confidence,
        raw_score=result.raw_score,
        calibrated=result.calibrated,
        sources=result.sources,
        category=ticket.category,
    )
    db.session.add(suggestion)
    db.session.commit()
    result.suggestion_id = suggestion.id
    return result


QUOTE_WORDS = 8


def _shingles(text: str, n: int = QUOTE_WORDS) -> set[tuple[str, ...]]:
    import re

    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _quotes(reply: str, hit: retrieval.Hit) -> bool:
    """True when the reply repeats QUOTE_WORDS or more consecutive words of the source."""
    return bool(_shingles(reply) & _shingles(hit.doc.text))


def _gemini_draft(
    ticket: Ticket, hits: list[retrieval.Hit], *, fresh: bool = False
) -> DraftResult | None:
    ids = {f"{h.doc.kind}-{h.doc.id}": _source_ref(h) for h in hits}
    # Another person's ticket title never reaches the model (its staff answers do, redacted
    # by retrieval); the model only needs what was answered.
    sources = [
        {
            "id": f"{h.doc.kind}-{h.doc.id}",
            "title": h.doc.title if h.doc.kind == "kb" else "A similar resolved ticket",
            "text": _excerpt(h.doc.text, 1500),
        }
        for h in hits
    ]
    thread = [
        {"from": r.response_type, "text": _excerpt(r.content, 1500)}
        for r in ticket.responses
        if not r.is_internal
    ][-6:]
    try:
        reply = _gemini(
            "draft",
            system=prompts.DRAFT_SYSTEM,
            contents=prompts.draft_contents(ticket.title, ticket.description, thread, sources),
            schema=DraftOut,
            ticket_id=ticket.id,
            fresh=fresh,
        )
    except GeminiError as e:
        log.warning("Gemini draft failed (%s); using the local draft", e.kind)
        return None
    data = reply.data or {}
    text = data["reply"].strip()
    cited = [ids[s] for s in data.get("source_ids", []) if s in ids]  # drop invented ids
    # Cite what you quote: a source the reply copies from counts as used, cited or not (so a
    # reply quoting a resolved ticket is never passed off as resting on articles alone).
    cited += [_source_ref(h) for h in hits if _source_ref(h) not in cited and _quotes(text, h)]
    return DraftResult(
        text=text,
        confidence=round(float(data["confidence"]), 4) if cited else 0.0,
        sources=cited,
        provider="gemini",
        # The model saw every hit, cited or not: only an all-KB context is safe for the user.
        user_safe=all(h.doc.kind == "kb" for h in hits),
    )


@dataclass
class SummaryResult:
    text: str
    provider: str


def _sentences(text: str) -> list[str]:
    import re

    return [p.strip() for p in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if p.strip()]


def _local_rewrite(text: str, style: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    greeting = lines[0] if lines and lines[0].lower().startswith(("hello", "hi", "dear")) else ""
    body = " ".join(lines[1:] if greeting else lines)
    name = greeting.split(" ", 1)[1].rstrip(",") if " " in greeting else "there"
    if style == "shorter":
        kept = _sentences(body)[:3]
        return "\n\n".join(p for p in (greeting, " ".join(kept)) if p)
    if style == "friendlier":
        return (
            f"Hi {name},\n\nThanks so much for reaching out, happy to help! {body}\n\n"
            "Have a great day!"
        )
    contractions = {
        "don't": "do not",
        "can't": "cannot",
        "won't": "will not",
        "it's": "it is",
        "I'm": "I am",
        "we're": "we are",
        "you're": "you are",
        "doesn't": "does not",
    }
    for short, long in contractions.items():
        body = body.replace(short, long)
    body = body.replace("Thanks so much", "Thank you").replace("happy to help!", "").strip()
    return f"Dear {name},\n\n{body}\n\nKind regards,\nThe support team"


def rewrite_reply(
    ticket: Ticket, text: str, style: str, *, suggestion_id: Any = None
) -> DraftResult:
    """A draft rewritten shorter / friendlier / more formal; stored as the new suggestion.

    Sources and confidence carry over from the suggestion it came from (facts are unchanged).
    """
    if style not in prompts.REWRITE_STYLES:
        raise ValueError("Unknown style.")
    if not get_setting("AI_RESPONSE_ENABLED"):
        raise AIUnavailable("AI responses are switched off.")
    text = (text or "").replace("\x00", "").strip()[:4000]
    if not text:
        raise ValueError("Nothing to rewrite.")
    origin = None
    try:
        origin = db.session.get(AISuggestion, int(suggestion_id)) if suggestion_id else None
    except (TypeError, ValueError):
        origin = None
    if origin is not None and origin.ticket_id != ticket.id:
        origin = None
    sources = list(origin.sources or []) if origin else []
    confidence = float(origin.confidence or 0.0) if origin else 0.0
    new_text, provider = None, "local"
    if gemini_configured():
        try:
            reply = _gemini(
                "rewrite",
                system=prompts.REWRITE_SYSTEM,
                contents=prompts.rewrite_contents(text, style),
                schema=TextOut,
                ticket_id=ticket.id,
            )
            new_text, provider = reply.data["text"].strip(), "gemini"
        except GeminiError as e:
            log.warning("Gemini rewrite failed (%s); rewriting locally", e.kind)
    if new_text is None:
        new_text = _local_rewrite(text, style)
        usage.record(provider="local", model="rules", purpose="rewrite", ticket_id=ticket.id)
    return _store_draft(ticket, DraftResult(new_text, confidence, sources, provider))


def summarize(ticket: Ticket) -> SummaryResult:
    """A short summary of a long thread for staff (public and internal messages)."""
    thread = [
        {
            "from": "staff note" if r.is_internal else r.response_type,
            "text": _excerpt(r.content, 1200),
        }
        for r in ticket.responses
    ][-30:]
    if gemini_configured():
        try:
            reply = _gemini(
                "summary",
                system=prompts.SUMMARY_SYSTEM,
                contents=prompts.summary_contents(ticket.title, ticket.description, thread),
                schema=TextOut,
                ticket_id=ticket.id,
            )
            return SummaryResult(reply.data["text"].strip(), "gemini")
        except GeminiError as e:
            log.warning("Gemini summary failed (%s); summarising locally", e.kind)
    first = (_sentences(ticket.description) or [ticket.title])[0]
    lines = [f"Problem: {_excerpt(first, 300)}"]
    for turn in thread[-6:]:
        said = (_sentences(turn["text"]) or [""])[0]
        lines.append(f"{turn['from'].capitalize()}: {_excerpt(said, 200)}")
    lines.append(f"Status: {ticket.status.replace('_', ' ')}.")
    usage.record(provider="local", model="extractive", purpose="summary", ticket_id=ticket.id)
    return SummaryResult("\n".join(lines), "local")


# ---------------------------------------------------------------- chat


def _local_chat_reply(hits: list[retrieval.Hit]) -> str:
    kb = [h for h in hits if h.doc.kind == "kb" and h.score >= 0.08]
    if not kb:
        return (
            "I could not find an article about that. You can open a ticket or hand this "
            "conversation over to our staff, who will get back to you."
        )
    lines = ["These knowledge-base articles may help:"]
    lines += [f"- {h.doc.title}: {_excerpt(h.doc.text, 200)}" for h in kb[:2]]
    lines.append("If they don't solve it, you can hand this conversation over to staff.")
    return "\n".join(lines)


def _local_chat_confidence(hits: list[retrieval.Hit]) -> float:
    """How sure the local chat answer is: the draft confidence of its best article."""
    kb = [h for h in hits if h.doc.kind == "kb" and h.score >= 0.08]
    return _draft_confidence(kb[0].score)[0] if kb else 0.0


def chat(conversation: AIConversation, message: str) -> ChatResult:
    """The assistant's reply; the conversation's context is updated and committed."""
    if not get_setting("AI_RESPONSE_ENABLED"):
        raise AIUnavailable("AI responses are switched off.")
    message = (message or "").replace("\x00", "").strip()[:4000]
    if not message:
        raise ValueError("Empty message.")
    context = dict(conversation.context or {})
    history = list(context.get("messages", []))
    recent_user = [m["text"] for m in history if m.get("role") == "user"][-2:]
    # Chat answers from help articles only: a requester never sees another one's ticket.
    hits = retrieval.search(" ".join([*recent_user, message]), k=3, kinds=("kb",))
    provider, reply = "local", None
    # The cascade, as for triage and drafts: a message that on its own strongly matches an
    # article is answered locally; a vaguer one, or a follow-up that leans on the earlier
    # turns, is worth a Gemini call.
    if gemini_configured() and _local_chat_confidence(
        retrieval.search(message, k=1, kinds=("kb",))
    ) < threshold_for(None):
        contents = []
        for turn in history[-CHAT_HISTORY_TURNS:]:
            if turn.get("role") == "user":
                contents.append(
                    {"role": "user", "parts": [{"text": prompts.chat_turn(turn["text"], [])}]}
                )
            else:
                # The assistant's own earlier words, but an injection may have made it echo
                # a data marker: neutralised, so no turn can open or close a data block.
                contents.append(
                    {"role": "model", "parts": [{"text": prompts.neutralise(turn["text"])}]}
                )
        kb = [
            {"id": f"kb-{h.doc.id}", "title": h.doc.title, "text": _excerpt(h.doc.text, 800)}
            for h in hits
            if h.doc.kind == "kb"
        ]
        contents.append({"role": "user", "parts": [{"text": prompts.chat_turn(message, kb)}]})
        try:
            reply = _gemini(
                "chat",
                system=prompts.CHAT_SYSTEM,
                contents=contents,
                ticket_id=conversation.ticket_id,
            ).text.strip()
            provider = "gemini"
        except GeminiError as e:
            log.warning("Gemini chat failed (%s); answering locally", e.kind)
    if reply is None:
        started = time.perf_counter()
        reply = _local_chat_reply(hits)
        usage.record(
            provider="local",
            model="tfidf-retrieval",
            purpose="chat",
            latency_ms=(time.perf_counter() - started) * 1000,
            ticket_id=conversation.ticket_id,
        )
    now = utcnow().isoformat(timespec="seconds")
    history += [
        {"role": "user", "text": message, "at": now},
        {"role": "assistant", "text": reply, "at": now, "provider": provider},
    ]
    context["messages"] = history
    conversation.context = context  # a new dict, so the JSON column is marked changed
    conversation.updated_at = utcnow()
    db.session.commit()
    return ChatResult(reply=reply, provider=provider)


# ---------------------------------------------------------------- suggestions and feedback


def latest_triage_suggestion(ticket_id: int) -> AISuggestion | None:
    return db.session.scalar(
        sa.select(AISuggestion)
        .where(AISuggestion.ticket_id == ticket_id, AISuggestion.kind == "triage")
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )


def store_triage(ticket: Ticket, result: TriageResult, *, applied: list[str]) -> AISuggestion:
    fields = [f for f in ("category", "priority") if f not in applied]
    suggestion = AISuggestion(
        ticket_id=ticket.id,
        kind="triage",
        provider=result.provider,
        category=result.category,
        priority=result.priority,
        category_confidence=result.category_confidence,
        priority_confidence=result.priority_confidence,
        rationale=result.rationale[:500],
        raw_score=result.raw_score,
        calibrated=result.calibrated,
        status="applied" if applied and not fields else "pending",
        applied_fields=applied,
    )
    db.session.add(suggestion)
    db.session.commit()
    result.suggestion_id = suggestion.id
    return suggestion


def accept_suggestion(
    suggestion_id: int, actor: User, *, expected_version: int | None = None
) -> dict:
    """One click: apply a stored triage guess through the ticket service, as the staff member.

    A stale `expected_version` raises StaleTicket before anything is marked accepted.
    """
    from portal.services import tickets as ticket_service
    from portal.services.errors import StaleTicket

    suggestion = db.session.get(AISuggestion, int(suggestion_id))
    if suggestion is None or suggestion.kind != "triage":
        raise ValueError("No such suggestion.")
    ticket = db.session.get(Ticket, suggestion.ticket_id)
    if expected_version is not None and expected_version != ticket.version:
        raise StaleTicket(
            "Someone changed this ticket after you opened it. Review the latest version and try again."
        )
    changes = {}
    if suggestion.category in CATEGORIES:
        changes["category"] = suggestion.category
    if suggestion.priority in PRIORITIES:
        changes["priority"] = suggestion.priority
    suggestion.status = "accepted"
    suggestion.used_at = utcnow()
    db.session.commit()
    return ticket_service.update_ticket(
        ticket,
        actor,
        changes,
        expected_version=expected_version,
        actor_kind="user",
        detail="accepted AI suggestion",
    )


def record_feedback(
    *,
    user: User | None = None,
    ticket: Ticket | None = None,
    suggestion_id: int | None = None,
    rating: int | None = None,
    comment: str | None = None,
    field: str | None = None,
    value: str | None = None,
    ai_value: str | None = None,
) -> AIFeedback | None:
    """Store a staff correction (field + value, for learning) or a rating (+1/-1, comment).

    Returns None when the matching setting (AI_LEARNING_ENABLED for corrections,
    RESPONSE_FEEDBACK for ratings) is off.
    """
    if field is not None:
        if field not in ("category", "priority"):
            raise ValueError("Corrections are for category or priority.")
        allowed = CATEGORIES if field == "category" else PRIORITIES
        if value not in allowed or ticket is None:
            raise ValueError("A correction needs a ticket and a valid value.")
        if not get_setting("AI_LEARNING_ENABLED"):
            return None
        row = AIFeedback(
            kind="correction",
            ticket_id=ticket.id,
            suggestion_id=suggestion_id,
            user_id=user.id if user else None,
            field=field,
            ai_value=ai_value,
            value=value,
            text=local.ticket_text(ticket.title, ticket.description),
        )
    else:
        if rating not in (1, -1, None) or (rating is None and not comment):
            raise ValueError("A rating is +1 or -1, optionally with a comment.")
        if not get_setting("RESPONSE_FEEDBACK"):
            return None
        row = AIFeedback(
            kind="rating",
            ticket_id=ticket.id if ticket else None,
            suggestion_id=suggestion_id,
            user_id=user.id if user else None,
            rating=rating,
            comment=(comment or "").strip()[:1000] or None,
        )
    db.session.add(row)
    db.session.commit()
    return row


def record_suggestion_use(suggestion_id: Any, reply: TicketResponse) -> None:
    """Staff sent `reply` starting from a draft: store how similar it stayed (difflib ratio)."""
    try:
        sid = int(suggestion_id)
    except (TypeError, ValueError):
        return
    try:
        suggestion = db.session.get(AISuggestion, sid)
        if (
            suggestion is None
            or suggestion.kind != "reply"
            or suggestion.ticket_id != reply.ticket_id
        ):
            return
        suggestion.status = "used"
        suggestion.response_id = reply.id
        suggestion.used_at = utcnow()
        if get_setting("RESPONSE_LEARNING"):
            suggestion.edit_similarity = round(
                difflib.SequenceMatcher(None, suggestion.text or "", reply.content).ratio(), 4
            )
        db.session.commit()
    except Exception:  # measuring must never fail the reply that was already sent
        log.exception("could not record suggestion use")
        db.session.rollback()


def note_staff_change(ticket_id: int, fields: list[str], actor_id: int | None) -> int:
    """After staff change category/priority of an AI-triaged ticket: record corrections.

    Returns how many corrections were stored.
    """
    watched = [f for f in fields if f in ("category", "priority")]
    if not watched:
        return 0
    suggestion = latest_triage_suggestion(ticket_id)
    ticket = db.session.get(Ticket, ticket_id)
    if suggestion is None or ticket is None:
        return 0
    actor = db.session.get(User, actor_id) if actor_id else None
    stored = 0
    for name in watched:
        new, guessed = getattr(ticket, name), getattr(suggestion, name)
        if new == guessed:
            if suggestion.status == "pending":
                suggestion.status = "accepted"
                db.session.commit()
            continue
        if name == "category" and suggestion.status in ("applied", "pending", "accepted"):
            suggestion.status = "corrected"
        row = record_feedback(
            user=actor,
            ticket=ticket,
            suggestion_id=suggestion.id,
            field=name,
            value=new,
            ai_value=guessed,
        )
        stored += row is not None
    db.session.commit()
    return stored


# ---------------------------------------------------------------- training


def stored_corrections() -> tuple[list[local.Example], int]:
    """Staff corrections as training examples (latest per ticket and field), and the max id."""
    rows = db.session.scalars(
        sa.select(AIFeedback).where(AIFeedback.kind == "correction").order_by(AIFeedback.id)
    ).all()
    latest: dict[tuple, AIFeedback] = {}
    for r in rows:
        latest[(r.ticket_id or -r.id, r.field)] = r
    examples = [
        local.Example(r.text or "", **{r.field: r.value})
        for r in latest.values()
        if r.text and r.field in ("category", "priority")
    ]
    return examples, max((r.id for r in rows), default=0)


def pending_corrections() -> int:
    model = local.load(model_path())
    since = model.meta.get("max_correction_id", 0) if model else 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AIFeedback)
        .where(AIFeedback.kind == "correction", AIFeedback.id > since)
    )


def train_and_save(*, measure: bool = True) -> local.LocalModel:
    """Train on the shipped examples plus stored corrections and save under instance/."""
    corrections, max_id = stored_corrections()
    model = local.train(
        local.load_builtin_examples(),
        corrections=corrections,
        measure=measure,
        extra_meta={"max_correction_id": max_id},
    )
    model.save(model_path())
    log.info("AI model trained: %s", model.meta)
    return model
