"""Reply drafts for staff, and first answers: retrieval first, Gemini when it is not enough.

The local draft quotes the closest help article or resolved ticket's answer. When its
confidence is below the ticket's threshold and Gemini is configured, Gemini writes one from
the same sources. Callers store the result; nothing here writes.
"""

from __future__ import annotations

import logging
import re
import time

from portal.ai import answers, draft_calibration, gateway, prompts, retrieval, usage
from portal.ai.errors import AIUnavailable
from portal.ai.inputs import TicketText
from portal.ai.options import AIOptions
from portal.ai.providers.gemini import DraftOut
from portal.ai.results import DraftResult
from portal.ai.text import excerpt

log = logging.getLogger(__name__)

MIN_SCORE = 0.08  # retrieval similarity below which a source says nothing about the ticket
QUOTE_WORDS = 8


def source_ref(hit: retrieval.Hit) -> dict:
    return {"kind": hit.doc.kind, "id": hit.doc.id}


def draft_confidence(raw: float) -> tuple[float, bool]:
    """P(staff keep the draft) once enough outcomes exist; until then a similarity mapping."""
    calibration = draft_calibration.current()
    if calibration.ready:
        return round(calibration.apply(raw), 4), True
    # Uncalibrated: a strong retrieval match reads as ~0.6-0.9.
    return round(min(0.95, raw * 1.6), 4), False


NO_OTHER_SOURCE = (
    "No other help article or resolved ticket matches this ticket: this is the only draft "
    "there is. Edit it, or write the reply yourself."
)
NO_SOURCE = (
    "No help article or resolved ticket matches this ticket, so there is no other draft to "
    "offer. Write the reply yourself."
)


def latest_request(ticket: TicketText) -> str | None:
    """The requester's latest public message after the description (a follow-up), if any."""
    turns = [m.text for m in ticket.public_messages if m.role == "user" and m.text.strip()]
    return turns[-1] if turns else None


def ticket_query(ticket: TicketText) -> str:
    """What the draft answers: the requester's follow-up when there is one (the title gives
    it context), else the ticket itself."""
    latest = latest_request(ticket)
    if latest is not None:
        return f"{latest} {ticket.title}"
    return f"{ticket.title} {ticket.description}"


def whole_query(ticket: TicketText) -> str:
    """The whole conversation, for when the follow-up alone matches nothing."""
    user_turns = [m.text for m in ticket.public_messages if m.role == "user"]
    return " ".join([ticket.title, ticket.description, *user_turns[-2:]])


def local_draft(
    ticket: TicketText, hits: list[retrieval.Hit], *, after: tuple[str, int] | None = None
) -> DraftResult:
    """A retrieval answer: the closest article or resolved ticket's answer, quoted.

    ``after`` is the source the previous draft quoted when staff press "regenerate": the new
    draft quotes the next match (with that match's own confidence), and after the last match
    the round starts again.
    """
    name = ticket.requester_name or "there"
    thanks = "your follow-up" if latest_request(ticket) else "getting in touch"
    hits = [h for h in hits if h.score >= MIN_SCORE]
    keys = [(h.doc.kind, h.doc.id) for h in hits]
    if after in keys:
        start = (keys.index(after) + 1) % len(hits)
        hits = hits[start:] + hits[:start]
    if not hits:
        return DraftResult(
            text=(
                f"Hello {name},\n\nThank you for {thanks}. A member of our support team "
                "will look into this and get back to you shortly."
            ),
            confidence=0.0,
            sources=[],
            provider="local",
            user_safe=True,
        )
    best = hits[0]
    if best.doc.kind == "kb":
        quoted = answers.passage(best.doc.id, ticket_query(ticket)) or excerpt(best.doc.text)
        body = f'Our knowledge-base article "{best.doc.title}" covers this:\n\n{quoted}'
    else:
        body = f"A similar request was solved like this:\n\n{excerpt(best.doc.text)}"
    text = (
        f"Hello {name},\n\nThank you for {thanks}. {body}\n\n"
        "If this does not solve your problem, reply here and a member of staff will help."
    )
    if best.doc.kind == "kb":
        # Quoting an article: how well it answers this ticket, on the scale first answers and
        # their staff outcomes use (so what staff do with this draft calibrates them).
        raw = answers.score(best.doc.id, ticket_query(ticket))
        confidence, calibrated = draft_calibration.article_confidence(raw)
    else:
        raw = best.score
        confidence, calibrated = draft_confidence(raw)
    # A draft quoting an article cites articles only: it may go to the requester as it is.
    used = [
        h
        for h in hits
        if h.score >= best.score * 0.6 and (best.doc.kind != "kb" or h.doc.kind == "kb")
    ][:2]
    return DraftResult(
        text,
        confidence,
        [source_ref(h) for h in used],
        "local",
        user_safe=best.doc.kind == "kb",
        raw_score=round(raw, 4),
        calibrated=calibrated,
    )


def article_text(name: str, match: answers.Match) -> str:
    """A reply quoting the passage of the article that answers (the page links the source)."""
    return (
        f"Hello {name},\n\nThank you for getting in touch. Our help article "
        f'"{match.title}" answers this:\n\n{match.passage}\n\n'
        "If this does not solve your problem, reply here and a member of staff will help."
    )


def article_answer(
    ticket: TicketText, *, exclude: tuple[int, ...] | set[int] = ()
) -> DraftResult | None:
    """The first answer a requester may get unseen: the passage of the help article that
    answers this ticket, or None when no article does. Its confidence is how well the article
    answers the ticket (answers.find), calibrated on staff outcomes; it never looks at other
    people's tickets, so it is safe for the requester.

    exclude: articles the requester already rejected (in a chat before handing over).
    """
    started = time.perf_counter()
    matches = answers.find(ticket_query(ticket), exclude=exclude, k=1)
    usage.record(
        provider="local",
        model="article-match",
        purpose="first_answer",
        latency_ms=(time.perf_counter() - started) * 1000,
        ticket_id=ticket.id,
    )
    if not matches:
        return None
    best = matches[0]
    confidence, calibrated = draft_calibration.article_confidence(best.raw)
    return DraftResult(
        article_text(ticket.requester_name or "there", best),
        confidence,
        [{"kind": "kb", "id": best.article_id}],
        "local",
        raw_score=best.raw,
        calibrated=calibrated,
        user_safe=True,
    )


def candidates(
    ticket: TicketText, threshold: float, *, rejected: frozenset[int] = frozenset()
) -> list[retrieval.Hit]:
    """What a draft may quote, best first; "regenerate" walks the same list.

    The closest matches of any kind, except that a help article which answers with confidence
    goes first even when a resolved ticket is closer: it is written for everyone, so the
    requester may get it as a first answer. Articles the requester rejected are left out.
    """
    query = ticket_query(ticket)

    def usable(h: retrieval.Hit) -> bool:
        return h.score >= MIN_SCORE and not (h.doc.kind == "kb" and h.doc.id in rejected)

    hits = [h for h in retrieval.search(query, k=3, exclude_ticket=ticket.id) if usable(h)]
    if not hits and query != whole_query(ticket):
        # A follow-up that matches nothing on its own ("still broken"): the whole thread.
        query = whole_query(ticket)
        hits = [h for h in retrieval.search(query, k=3, exclude_ticket=ticket.id) if usable(h)]
    if not hits or hits[0].doc.kind == "kb":
        return hits
    article = next(iter(retrieval.search(query, k=1, kinds=("kb",))), None)
    if (
        article is None
        or not usable(article)
        or draft_calibration.article_confidence(answers.score(article.doc.id, query))[0] < threshold
    ):
        return hits
    key = (article.doc.kind, article.doc.id)
    return [article, *[h for h in hits if (h.doc.kind, h.doc.id) != key]]


def draft_reply(
    ticket: TicketText,
    *,
    options: AIOptions,
    after: tuple[str, int] | None = None,
    fresh: bool = False,
    rejected: frozenset[int] = frozenset(),
) -> DraftResult:
    """A suggested public reply with the sources it relies on. Raises AIUnavailable.

    after: the source the previous draft quoted (regenerate moves on to the next one);
    fresh=True bypasses the response cache; rejected: articles the requester said did not
    help (in a chat), never quoted.
    """
    threshold = options.thresholds.for_category(ticket.category)
    started = time.perf_counter()
    try:
        hits = candidates(ticket, threshold, rejected=rejected)
        result = local_draft(ticket, hits, after=after)
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
    if result.confidence < threshold and gateway.gemini_configured():
        result = gemini_draft(ticket, hits, options=options, fresh=fresh) or result
    if fresh and result.provider == "local" and len(hits) <= 1:
        # Regenerate with nothing else to quote: say so instead of showing the same text.
        result.note = NO_OTHER_SOURCE if hits else NO_SOURCE
    return result


def _shingles(text: str, n: int = QUOTE_WORDS) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def quotes(reply: str, hit: retrieval.Hit) -> bool:
    """True when the reply repeats QUOTE_WORDS or more consecutive words of the source."""
    return bool(_shingles(reply) & _shingles(hit.doc.text))


def gemini_draft(
    ticket: TicketText, hits: list[retrieval.Hit], *, options: AIOptions, fresh: bool = False
) -> DraftResult | None:
    ids = {f"{h.doc.kind}-{h.doc.id}": source_ref(h) for h in hits}
    # Another person's ticket title never reaches the model (its staff answers do, redacted
    # by retrieval); the model only needs what was answered.
    sources = [
        {
            "id": f"{h.doc.kind}-{h.doc.id}",
            "title": h.doc.title if h.doc.kind == "kb" else "A similar resolved ticket",
            "text": excerpt(h.doc.text, 1500),
        }
        for h in hits
    ]
    thread = [{"from": m.role, "text": excerpt(m.text, 1500)} for m in ticket.public_messages][-6:]
    reply = gateway.gemini_or_none(
        "draft",
        settings=options.model,
        system=prompts.DRAFT_SYSTEM,
        contents=prompts.draft_contents(
            ticket.title, ticket.description, thread, sources, latest=latest_request(ticket)
        ),
        schema=DraftOut,
        ticket_id=ticket.id,
        fresh=fresh,
    )
    if reply is None:
        return None
    data = reply.data or {}
    text = data["reply"].strip()
    cited = [ids[s] for s in data.get("source_ids", []) if s in ids]  # drop invented ids
    # Cite what you quote: a source the reply copies from counts as used, cited or not (so a
    # reply quoting a resolved ticket is never passed off as resting on articles alone).
    cited += [source_ref(h) for h in hits if source_ref(h) not in cited and quotes(text, h)]
    return DraftResult(
        text=text,
        confidence=round(float(data["confidence"]), 4) if cited else 0.0,
        sources=cited,
        provider="gemini",
        # The model saw every hit, cited or not: only an all-KB context is safe for the user.
        user_safe=all(h.doc.kind == "kb" for h in hits),
    )
