"""The AI's help for staff: triage guesses, reply drafts, rewrites and summaries.

Each function reads the settings once, asks portal.ai with plain inputs, and stores what
has to be remembered (drafts become the ticket's current reply suggestion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.ai import drafts, rewrite, summary
from portal.ai import triage as ai_triage
from portal.ai.errors import AIUnavailable
from portal.ai.results import DraftResult, SummaryResult, TriageResult
from portal.models import Ticket
from portal.services import ai_suggestions, chat, settings
from portal.services.ai_inputs import ticket_text

REWRITE_STYLES = rewrite.STYLES


def responses_enabled() -> bool:
    return bool(settings.get_setting("AI_RESPONSE_ENABLED"))


def triage(ticket: Ticket) -> TriageResult:
    """The AI's category and priority for a ticket, not stored. Raises AIUnavailable."""
    return ai_triage.triage(
        ticket.title, ticket.description, options=settings.ai_options(), ticket_id=ticket.id
    )


def draft_reply(ticket: Ticket, *, fresh: bool = False) -> DraftResult:
    """A suggested public reply with its sources, stored as the ticket's current suggestion.

    fresh=True (staff pressed "regenerate") moves on to the next source and bypasses the
    response cache. Raises AIUnavailable.
    """
    if not responses_enabled():
        raise AIUnavailable("AI responses are switched off.")
    result = drafts.draft_reply(
        ticket_text(ticket),
        options=settings.ai_options(),
        after=ai_suggestions.last_quoted(ticket.id) if fresh else None,
        fresh=fresh,
        rejected=frozenset(chat.rejected_articles_for_ticket(ticket)),
    )
    return ai_suggestions.store_draft(ticket, result)


def article_answer(ticket: Ticket, *, exclude=()) -> DraftResult | None:
    """The help-article answer for a new ticket (not stored); None when no article answers
    it. Raises AIUnavailable when switched off."""
    if not responses_enabled():
        raise AIUnavailable("AI responses are switched off.")
    return drafts.article_answer(ticket_text(ticket), exclude=set(exclude))


def rewrite_reply(
    ticket: Ticket, text: str, style: str, *, suggestion_id: Any = None
) -> DraftResult:
    """A draft rewritten shorter / friendlier / more formal; stored as the new suggestion.

    Sources and confidence carry over from the suggestion it came from (facts are unchanged).
    Raises ValueError for an unknown style or no text, AIUnavailable when switched off.
    """
    if style not in REWRITE_STYLES:
        raise ValueError("Unknown style.")
    if not responses_enabled():
        raise AIUnavailable("AI responses are switched off.")
    origin = ai_suggestions.suggestion_for(ticket, suggestion_id)
    new_text, provider = rewrite.rewrite(
        text, style, options=settings.ai_options(), ticket_id=ticket.id
    )
    return ai_suggestions.store_draft(
        ticket,
        DraftResult(
            new_text,
            float(origin.confidence or 0.0) if origin else 0.0,
            list(origin.sources or []) if origin else [],
            provider,
        ),
    )


def summarize(ticket: Ticket) -> SummaryResult:
    """A short summary of a long thread for staff (public and internal messages)."""
    return summary.summarize(ticket_text(ticket), options=settings.ai_options())


@dataclass
class PanelTriage:
    """The AI's triage guess as the staff panel shows it: the stored suggestion when the
    triage task ran, else asked live (and not stored)."""

    category: str | None
    priority: str | None
    category_confidence: float | None
    priority_confidence: float | None
    rationale: str | None
    provider: str | None
    suggestion_id: int | None = None
    applied_fields: list = field(default_factory=list)
    status: str = "pending"
    calibrated: bool = True


def panel_triage(ticket: Ticket) -> PanelTriage | None:
    """None when nothing is stored and the AI cannot answer now."""
    stored = ai_suggestions.latest_triage_suggestion(ticket.id)
    if stored is not None:
        return PanelTriage(
            stored.category,
            stored.priority,
            stored.category_confidence,
            stored.priority_confidence,
            stored.rationale,
            stored.provider,
            stored.id,
            list(stored.applied_fields or []),
            stored.status,
            # Local triage is calibrated in training; a Gemini answer says whether it was.
            stored.provider != "gemini" or bool(stored.calibrated),
        )
    try:
        live = triage(ticket)
    except AIUnavailable:
        return None
    return PanelTriage(
        live.category,
        live.priority,
        live.category_confidence,
        live.priority_confidence,
        live.rationale,
        live.provider,
        calibrated=live.calibrated,
    )


def panel_draft(ticket: Ticket) -> DraftResult | None:
    """The draft the panel opens with: the pending one, or a new one; None when unavailable."""
    try:
        return ai_suggestions.pending_draft(ticket) or draft_reply(ticket)
    except AIUnavailable:
        return None
