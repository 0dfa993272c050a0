"""The assistant's answer to one chat message, from help articles only.

A requester never sees another person's ticket: chat answers from help articles alone
(portal/ai/answers.py). The local answer quotes the passage of the best article that answers
the message and cites the article (the page links it); when no article answers, it says so
plainly instead of offering a random excerpt. Articles the user rejected ("that didn't help",
or a thumbs-down on an answer) are never offered again in the conversation.

The cascade, as for triage and drafts: a message an article answers with confidence is
answered locally; a vaguer one, or a follow-up that leans on the earlier turns, is worth a
Gemini call, grounded in the same articles and citing them as [kb-ID]. Gibberish (no word any
article or ticket uses) is answered locally: there is nothing to ground an answer in.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence

from portal.ai import answers, gateway, prompts, usage
from portal.ai.draft_calibration import article_confidence
from portal.ai.inputs import ChatTurn
from portal.ai.options import AIOptions
from portal.ai.results import ChatResult
from portal.ai.text import clean_input

HISTORY_TURNS = 20
# Below this confidence that an article answers the message, chat says nothing matches (a
# chat may offer a likely article; a first answer, posted unasked, needs the threshold).
OFFER_CONFIDENCE = 0.5
NOTHING_MATCHES = (
    "I could not find a help article that matches that. Could you describe the problem in "
    "other words? You can also hand this conversation over to our staff, who will get back "
    "to you."
)
NOTHING_ELSE = (
    "Sorry that did not help. I have no other help article on this. You can hand this "
    "conversation over to our staff: they will see this chat and get back to you."
)
_CITE = re.compile(r"\s*\[(kb-\d+)\]")
# "That didn't help", "not helpful", "this doesn't work", "wrong article", 👎 … (a new
# problem described with "not working" is not a rejection: "it"/"that" must point back).
_REJECT = re.compile(
    r"(\b(did ?n[o'’]?t|does ?n[o'’]?t|do ?n[o'’]?t|not|no|never|wasn[o'’]?t|isn[o'’]?t)"
    r"\W+(help|helpful|useful|relevant)\b"
    r"|\b(that|this|it|article|answer|suggestion)(['’]s| is| was)?\W+(did ?n[o'’]?t|"
    r"does ?n[o'’]?t|is ?n[o'’]?t|not|no)\W*(work|solve|fix|it|right)"
    r"|\bwrong article\b|\bnot what i\b|👎|\buseless\b)",
    re.IGNORECASE,
)


def rejects(message: str) -> bool:
    """True when the message says the previous answer did not help."""
    return len(message or "") <= 300 and bool(_REJECT.search(message or ""))


def source(match: answers.Match) -> dict:
    return {"kind": "kb", "id": match.article_id, "title": match.title}


def local_reply(match: answers.Match | None, *, after_rejection: bool = False) -> str:
    if match is None:
        return NOTHING_ELSE if after_rejection else NOTHING_MATCHES
    lead = "Sorry that did not help. This article may: " if after_rejection else ""
    return (
        f'{lead}Our help article "{match.title}" answers this:\n\n{match.passage}\n\n'
        "If this does not solve it, tell me, or hand this conversation over to staff."
    )


def _question(history: Sequence[ChatTurn], message: str, rejecting: bool) -> str:
    """What to look up: the message; after "that didn't help", the question it was about."""
    if not rejecting:
        return message
    earlier = [t.text for t in history if t.role == "user" and not rejects(t.text)]
    return " ".join([*earlier[-1:], message])


def _gemini_contents(history: Sequence[ChatTurn], message: str, kb: list[dict]) -> list[dict]:
    contents = []
    for turn in list(history)[-HISTORY_TURNS:]:
        if turn.role == "user":
            contents.append({"role": "user", "parts": [{"text": prompts.chat_turn(turn.text, [])}]})
        else:
            # The assistant's own earlier words, but an injection may have made it echo a
            # data marker: neutralised, so no turn can open or close a data block.
            contents.append({"role": "model", "parts": [{"text": prompts.neutralise(turn.text)}]})
    contents.append({"role": "user", "parts": [{"text": prompts.chat_turn(message, kb)}]})
    return contents


def _cited(text: str, offered: dict[str, answers.Match]) -> tuple[str, list[dict]]:
    """The reply without its [kb-ID] markers, and the offered articles it cites (invented
    ids are dropped)."""
    cited = []
    for key in _CITE.findall(text):
        if key in offered and source(offered[key]) not in cited:
            cited.append(source(offered[key]))
    return _CITE.sub("", text).strip(), cited


def reply(
    history: Sequence[ChatTurn],
    message: str,
    *,
    options: AIOptions,
    ticket_id: int | None = None,
    rejected: Iterable[int] = (),
) -> ChatResult:
    """The assistant's reply to `message` after `history`. Raises ValueError when empty.

    `rejected`: ids of articles the user said did not help; never offered again.
    """
    message = clean_input(message)
    if not message:
        raise ValueError("Empty message.")
    rejecting = bool(history) and rejects(message)
    question = _question(history, message, rejecting)
    matches = answers.find(question, exclude=set(rejected), k=3)
    confidence = article_confidence(matches[0].raw)[0] if matches else 0.0
    best = matches[0] if confidence >= OFFER_CONFIDENCE else None
    confident = confidence >= options.thresholds.for_category(None)
    if gateway.gemini_configured() and not confident and answers.known(question):
        offered = {f"kb-{m.article_id}": m for m in matches}
        kb = [{"id": k, "title": m.title, "text": m.passage} for k, m in offered.items()]
        answer = gateway.gemini_or_none(
            "chat",
            settings=options.model,
            system=prompts.CHAT_SYSTEM,
            contents=_gemini_contents(history, message, kb),
            ticket_id=ticket_id,
        )
        if answer is not None:
            text, cited = _cited(answer.text, offered)
            if text:
                return ChatResult(reply=text, provider="gemini", sources=cited)
    started = time.perf_counter()
    text = local_reply(best, after_rejection=rejecting)
    usage.record(
        provider="local",
        model="article-match",
        purpose="chat",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket_id,
    )
    return ChatResult(reply=text, provider="local", sources=[source(best)] if best else [])
