"""The assistant's answer to one chat message, from help articles only.

The cascade, as for triage and drafts: a message that on its own strongly matches an article
is answered locally; a vaguer one, or a follow-up that leans on the earlier turns, is worth a
Gemini call. A requester never sees another person's ticket: chat retrieves articles only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from portal.ai import gateway, prompts, retrieval, usage
from portal.ai.drafts import MIN_SCORE, draft_confidence
from portal.ai.inputs import ChatTurn
from portal.ai.options import AIOptions
from portal.ai.results import ChatResult
from portal.ai.text import clean_input, excerpt

HISTORY_TURNS = 20


def _articles(hits: list[retrieval.Hit]) -> list[retrieval.Hit]:
    return [h for h in hits if h.doc.kind == "kb" and h.score >= MIN_SCORE]


def local_reply(hits: list[retrieval.Hit]) -> str:
    kb = _articles(hits)
    if not kb:
        return (
            "I could not find an article about that. You can open a ticket or hand this "
            "conversation over to our staff, who will get back to you."
        )
    lines = ["These knowledge-base articles may help:"]
    lines += [f"- {h.doc.title}: {excerpt(h.doc.text, 200)}" for h in kb[:2]]
    lines.append("If they don't solve it, you can hand this conversation over to staff.")
    return "\n".join(lines)


def local_confidence(hits: list[retrieval.Hit]) -> float:
    """How sure the local chat answer is: the draft confidence of its best article."""
    kb = _articles(hits)
    return draft_confidence(kb[0].score)[0] if kb else 0.0


def _gemini_contents(history: Sequence[ChatTurn], message: str, hits: list) -> list[dict]:
    contents = []
    for turn in list(history)[-HISTORY_TURNS:]:
        if turn.role == "user":
            contents.append({"role": "user", "parts": [{"text": prompts.chat_turn(turn.text, [])}]})
        else:
            # The assistant's own earlier words, but an injection may have made it echo a
            # data marker: neutralised, so no turn can open or close a data block.
            contents.append({"role": "model", "parts": [{"text": prompts.neutralise(turn.text)}]})
    kb = [
        {"id": f"kb-{h.doc.id}", "title": h.doc.title, "text": excerpt(h.doc.text, 800)}
        for h in hits
        if h.doc.kind == "kb"
    ]
    contents.append({"role": "user", "parts": [{"text": prompts.chat_turn(message, kb)}]})
    return contents


def reply(
    history: Sequence[ChatTurn],
    message: str,
    *,
    options: AIOptions,
    ticket_id: int | None = None,
) -> ChatResult:
    """The assistant's reply to `message` after `history`. Raises ValueError when empty."""
    message = clean_input(message)
    if not message:
        raise ValueError("Empty message.")
    recent_user = [t.text for t in history if t.role == "user"][-2:]
    hits = retrieval.search(" ".join([*recent_user, message]), k=3, kinds=("kb",))
    if gateway.gemini_configured() and local_confidence(
        retrieval.search(message, k=1, kinds=("kb",))
    ) < options.thresholds.for_category(None):
        answer = gateway.gemini_or_none(
            "chat",
            settings=options.model,
            system=prompts.CHAT_SYSTEM,
            contents=_gemini_contents(history, message, hits),
            ticket_id=ticket_id,
        )
        if answer is not None:
            return ChatResult(reply=answer.text.strip(), provider="gemini")
    started = time.perf_counter()
    text = local_reply(hits)
    usage.record(
        provider="local",
        model="tfidf-retrieval",
        purpose="chat",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket_id,
    )
    return ChatResult(reply=text, provider="local")
