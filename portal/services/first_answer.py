"""The automatic first answer on a new ticket.

Save first, think later: when a new ticket has been triaged, a task asks for a draft; it is
posted to the requester only when its confidence reaches the category's threshold *and* it
rests on help articles alone. Otherwise it stays the ticket's stored suggestion, which staff
see in the AI panel. Every change goes through services.tickets.
"""

from __future__ import annotations

import logging

from portal.ai.errors import AIUnavailable
from portal.extensions import db
from portal.models import Ticket
from portal.services import ai_assist, ai_suggestions, settings
from portal.services import tickets as ticket_service
from portal.services.errors import TicketError

log = logging.getLogger(__name__)

FIRST_ANSWER_SETTINGS = ("TICKET_AI_RESPONSE", "RESPONSE_AUTO_GENERATE", "AI_RESPONSE_ENABLED")


def first_answer_enabled() -> bool:
    return all(bool(settings.get_setting(key)) for key in FIRST_ANSWER_SETTINGS)


def should_post(ticket: Ticket, confidence: float | None, sources: list[dict]) -> bool:
    """Post only a confident answer that cites something; anything else waits for staff.

    An answer built on another user's resolved ticket may carry that user's details (a name,
    an invoice number), so only answers resting on knowledge-base articles alone reach the
    requester unseen; drafts citing tickets wait for staff, who may send them after a look.
    """
    if confidence is None or not sources:
        return False
    if any(s["kind"] != "kb" for s in sources):
        return False
    return float(confidence) >= settings.threshold_for(ticket.category)


def _already_answered(ticket: Ticket) -> bool:
    return any(r.response_type in ("staff", "ai") and not r.is_internal for r in ticket.responses)


def generate_first_answer(ticket_id: int) -> str:
    """Ask for a draft and post or keep it. Returns what happened, for tests and logs:
    "posted", "draft", "unavailable" or "skipped"."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.is_closed or not first_answer_enabled():
        return "skipped"
    if _already_answered(ticket) or ticket.needs_human:  # a person was asked for
        return "skipped"
    try:
        draft = ai_assist.draft_reply(ticket)
    except AIUnavailable as e:
        log.info("first answer for ticket %s: AI unavailable (%s)", ticket_id, e)
        _audit(ticket, "unavailable", "the AI could not draft a first answer")
        return "unavailable"
    db.session.refresh(ticket)
    if _already_answered(ticket) or ticket.is_closed:  # staff were quicker than the model
        return "skipped"
    sources = ai_suggestions.clean_sources(draft.sources)
    text = (draft.text or "").strip()
    # user_safe: the AI vouches the text rests on knowledge-base articles alone (a Gemini
    # draft that saw another user's ticket may paraphrase it while citing only articles).
    if not text or not draft.user_safe or not should_post(ticket, draft.confidence, sources):
        _audit(ticket, "kept for staff", _draft_reason(ticket, draft.confidence, sources))
        return "draft"
    try:
        reply = ticket_service.add_reply(
            ticket,
            ticket_service.get_bot_user(),
            text,
            ai_confidence=float(draft.confidence),
            sources=sources,
            actor_kind="ai",
        )
    except TicketError as e:
        log.warning("first answer for ticket %s not posted: %s", ticket_id, e.message)
        db.session.rollback()
        return "draft"
    if draft.suggestion_id:
        # The posted answer is the suggestion, used as it was (so it is not offered again).
        ai_suggestions.record_suggestion_use(draft.suggestion_id, reply)
    return "posted"


def _draft_reason(ticket: Ticket, confidence: float | None, sources: list[dict]) -> str:
    threshold = settings.threshold_for(ticket.category)
    parts = [f"{(confidence or 0):.0%} confident, threshold {threshold:.0%}"]
    parts.append(f"{len(sources)} source{'s' if len(sources) != 1 else ''} cited")
    if any(s["kind"] != "kb" for s in sources):
        parts.append("cites other tickets, so a person checks it first")
    return "; ".join(parts)


def _audit(ticket: Ticket, outcome: str, detail: str) -> None:
    """The first answer's fate in the ticket's timeline, attributed to the AI."""
    try:
        ticket_service.record_event(
            ticket, "first_answer", actor_kind="ai", new=outcome, detail=detail
        )
    except Exception:  # the audit note must never cost the draft
        log.warning("could not audit the first answer of ticket %s", ticket.id, exc_info=True)
        db.session.rollback()
