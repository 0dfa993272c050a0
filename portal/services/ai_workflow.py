"""The AI in the ticket workflow: the automatic first answer, and handing a ticket to a person.

Save first, think later: a new ticket is committed before anything here runs. When the new
ticket has been triaged ("ticket_triaged", which follows "ticket_created"), a task asks the AI facade for a draft; it is posted to the user only when
its confidence reaches the category's threshold *and* it cites at least one source (a
knowledge-base article or a resolved ticket). Otherwise it stays the facade's stored
suggestion, which staff see in the AI panel. Every change goes through services.tickets.
"""

from __future__ import annotations

import logging
from typing import Any

from portal.extensions import db
from portal.models import Ticket, User
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, TicketError
from portal.services.settings import get_setting
from portal.tasks import app_context, huey, on

log = logging.getLogger(__name__)

FIRST_ANSWER_SETTINGS = ("TICKET_AI_RESPONSE", "RESPONSE_AUTO_GENERATE", "AI_RESPONSE_ENABLED")
SOURCE_KINDS = ("kb", "ticket")
HANDOVER_DETAIL = "The requester asked to talk to a person"


def init_app(app) -> None:
    """Importing this module registers the task; nothing per app."""


def facade():
    """The AI facade (portal/ai/service.py): the only code that talks to a model."""
    from portal.ai import service

    return service


def ai_unavailable_error() -> type[Exception]:
    return facade().AIUnavailable


def first_answer_enabled() -> bool:
    return all(bool(get_setting(key)) for key in FIRST_ANSWER_SETTINGS)


def clean_sources(sources: Any) -> list[dict]:
    """Only well-formed {"kind": "kb"|"ticket", "id": n} entries, each once."""
    cleaned: list[dict] = []
    for item in sources or []:
        if not isinstance(item, dict) or item.get("kind") not in SOURCE_KINDS:
            continue
        try:
            ident = int(item.get("id"))
        except (TypeError, ValueError):
            continue
        entry = {"kind": item["kind"], "id": ident}
        if ident > 0 and entry not in cleaned:
            cleaned.append(entry)
    return cleaned


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
    return float(confidence) >= float(facade().threshold_for(ticket.category))


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
    service = facade()
    try:
        draft = service.draft_reply(ticket)
    except service.AIUnavailable as e:
        log.info("first answer for ticket %s: AI unavailable (%s)", ticket_id, e)
        _audit(ticket, "unavailable", "the AI could not draft a first answer")
        return "unavailable"
    db.session.refresh(ticket)
    if _already_answered(ticket) or ticket.is_closed:  # staff were quicker than the model
        return "skipped"
    sources = clean_sources(getattr(draft, "sources", None))
    text = (getattr(draft, "text", "") or "").strip()
    # user_safe: the facade vouches the text rests on knowledge-base articles alone (a Gemini
    # draft that saw another user's ticket may paraphrase it while citing only articles).
    if (
        not text
        or not getattr(draft, "user_safe", False)
        or not should_post(ticket, draft.confidence, sources)
    ):
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
    _mark_suggestion_used(service, getattr(draft, "suggestion_id", None), reply)
    return "posted"


def _draft_reason(ticket: Ticket, confidence: float | None, sources: list[dict]) -> str:
    threshold = float(facade().threshold_for(ticket.category))
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


def _mark_suggestion_used(service, suggestion_id, reply) -> None:
    """The posted answer is the suggestion, used as it was (so it is not offered again)."""
    if not suggestion_id:
        return
    try:
        service.record_suggestion_use(suggestion_id, reply)
    except Exception:  # bookkeeping must never undo an answer already sent
        log.warning("could not record use of suggestion %s", suggestion_id, exc_info=True)
        db.session.rollback()


@huey.task()
def first_answer_task(ticket_id: int) -> str:
    with app_context():
        return generate_first_answer(ticket_id)


@on("ticket_triaged")
def _queue_first_answer(ticket_id: int, **_: Any) -> None:
    """After triage (the AI layer dispatches "ticket_triaged" once per new ticket, also when
    triage is off or failed), so the threshold is the one of the category triage chose."""
    if first_answer_enabled():
        first_answer_task(ticket_id)


def request_human(ticket: Ticket, requester: User, *, via: str = "ticket page") -> bool:
    """The requester asks for a person: flag the ticket for staff, noted in the audit.

    Returns False when it was already flagged. update_ticket lets end users change only the
    status, so the flag is set as a system action on the requester's behalf (the audit
    event names the requester as the actor and says why).
    """
    if requester.id != ticket.user_id:
        raise PermissionDenied("Only the requester can ask for a person.")
    if ticket.needs_human:
        return False
    if ticket.status == "closed":
        raise TicketError("This ticket is closed. Reopen it to ask for a person.")
    changed = ticket_service.update_ticket(
        ticket,
        requester,
        {"needs_human": True},
        detail=f"{HANDOVER_DETAIL} ({via})",
    )
    return bool(changed)
