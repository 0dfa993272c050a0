"""The automatic first answer on a new ticket.

Save first, think later: when a new ticket has been triaged, a task asks which help article
answers it (portal/ai/answers.py: help articles only, so nothing of another person's ticket
can reach the requester). The passage is posted, citing the article, when the confidence that
the article answers this ticket reaches the category's threshold. Otherwise staff get the
usual reply draft (which may draw on resolved tickets) as the ticket's stored suggestion.
Articles the requester rejected in a chat before handing over are never offered again.
Every change goes through services.tickets.
"""

from __future__ import annotations

import logging

from portal.ai.errors import AIUnavailable
from portal.extensions import db
from portal.models import Ticket
from portal.services import ai_assist, ai_suggestions, chat, settings
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
        rejected = chat.rejected_articles_for_ticket(ticket)
        draft = ai_assist.article_answer(ticket, exclude=rejected)
        postable = draft is not None and should_post(ticket, draft.confidence, draft.sources)
        if not postable:
            # No article answers it well enough: staff get the usual draft to start from
            # (it may draw on resolved tickets, so it is never posted unseen).
            reason = _draft_reason(ticket, draft)
            draft = ai_assist.draft_reply(ticket)
    except AIUnavailable as e:
        log.info("first answer for ticket %s: AI unavailable (%s)", ticket_id, e)
        _audit(ticket, "unavailable", "the AI could not draft a first answer")
        return "unavailable"
    db.session.refresh(ticket)
    if _already_answered(ticket) or ticket.is_closed:  # staff were quicker than the model
        return "skipped"
    text = (draft.text or "").strip()
    if not postable or not text:
        _audit(ticket, "kept for staff", reason if not postable else "the answer was empty")
        return "draft"
    draft = ai_suggestions.store_draft(ticket, draft)  # what was posted, for staff outcomes
    try:
        reply = ticket_service.add_reply(
            ticket,
            ticket_service.get_bot_user(),
            text,
            ai_confidence=float(draft.confidence),
            sources=ai_suggestions.clean_sources(draft.sources),
            actor_kind="ai",
        )
    except TicketError as e:
        log.warning("first answer for ticket %s not posted: %s", ticket_id, e.message)
        db.session.rollback()
        return "draft"
    if draft.suggestion_id:
        # The posted answer is the suggestion, used as it was (so it is not offered again);
        # not measured as a staff outcome: no person chose to send it.
        ai_suggestions.record_suggestion_use(draft.suggestion_id, reply, measure=False)
    return "posted"


def _draft_reason(ticket: Ticket, draft) -> str:
    if draft is None:
        return "no help article answers this ticket"
    threshold = settings.threshold_for(ticket.category)
    return (
        f"the best help article answers it with {(draft.confidence or 0):.0%} confidence, "
        f"threshold {threshold:.0%}"
    )


def _audit(ticket: Ticket, outcome: str, detail: str) -> None:
    """The first answer's fate in the ticket's timeline, attributed to the AI."""
    try:
        ticket_service.record_event(
            ticket, "first_answer", actor_kind="ai", new=outcome, detail=detail
        )
    except Exception:  # the audit note must never cost the draft
        log.warning("could not audit the first answer of ticket %s", ticket.id, exc_info=True)
        db.session.rollback()
