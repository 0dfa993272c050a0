"""AI triage in the ticket workflow, and learning from what staff changed afterwards.

A new ticket is saved before anything here runs. Triage applies what is confident enough
(through the ticket service, as the AI), stores the rest as a one-click suggestion, and then
dispatches ``ticket_triaged`` — also when triage was switched off or failed — so first
answers and auto-assignment follow.
"""

from __future__ import annotations

import logging

from flask import current_app

from portal import events
from portal.ai import trainer
from portal.ai import triage as ai_triage
from portal.extensions import db
from portal.models import Ticket, User
from portal.services import ai_suggestions, settings
from portal.services import tickets as ticket_service

log = logging.getLogger(__name__)


def run_triage(ticket_id: int) -> str:
    """Triage one ticket; apply what is confident enough, suggest the rest.

    Never raises. Returns what happened, for logs and tests: "applied", "suggested",
    "skipped" or "failed".
    """
    outcome = "skipped"
    try:
        ticket = db.session.get(Ticket, ticket_id)
        categorise = bool(
            settings.get_setting("TICKET_CATEGORIZATION")
            and settings.get_setting("AI_CATEGORIZATION_ENABLED")
        )
        prioritise = bool(settings.get_setting("TICKET_PRIORITY_DETECTION"))
        if ticket is None or not (categorise or prioritise):
            return outcome
        options = settings.ai_options()
        result = ai_triage.triage(
            ticket.title, ticket.description, options=options, ticket_id=ticket.id
        )
        thresholds = options.thresholds
        changes: dict = {}
        # A category the submitter chose is theirs; the AI only fills an empty one.
        if (
            categorise
            and ticket.category is None
            and result.category_confidence >= thresholds.for_category(result.category)
        ):
            changes["category"] = result.category
        # Category and priority pass separate gates, each on its own calibrated confidence.
        if prioritise and result.priority_confidence >= thresholds.for_priority():
            changes["priority"] = result.priority
        ai_suggestions.store_triage(ticket, result, applied=sorted(changes))
        if changes:
            shown = {
                "category": result.category_confidence,
                "priority": result.priority_confidence,
            }
            detail = ", ".join(
                f"{field} {min(99, max(1, round(shown[field] * 100)))}%"
                for field in sorted(changes)
            )
            ticket_service.update_ticket(
                ticket,
                None,
                changes,
                actor_kind="ai",
                detail=f"AI triage ({result.provider}): {detail}",
            )
        outcome = "applied" if changes else "suggested"
    except Exception:  # the ticket is saved already; AI trouble only costs the suggestion
        log.exception("AI triage of ticket %s failed", ticket_id)
        db.session.rollback()
        outcome = "failed"
    finally:
        try:
            events.dispatch(events.TICKET_TRIAGED, ticket_id=ticket_id)
        except Exception:
            log.exception("ticket_triaged listeners failed for ticket %s", ticket_id)
            db.session.rollback()
    return outcome


def note_staff_change(ticket_id: int, fields: list[str], actor_id: int | None) -> int:
    """After staff change category/priority of an AI-triaged ticket: record corrections.

    Returns how many corrections were stored.
    """
    watched = [f for f in fields if f in ("category", "priority")]
    if not watched:
        return 0
    suggestion = ai_suggestions.latest_triage_suggestion(ticket_id)
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
        row = ai_suggestions.record_feedback(
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


def learn_from_change(
    ticket_id: int,
    fields: list[str] | None = None,
    actor_kind: str = "user",
    actor_id: int | None = None,
) -> int:
    """Staff changing an AI-triaged ticket's category or priority is a correction to learn.

    Returns how many corrections were stored (0 when learning is off or nothing applies).
    Never raises: learning is a side effect of a change that is already saved.
    """
    if actor_kind != "user" or not set(fields or ()) & {"category", "priority"}:
        return 0
    try:
        if not settings.get_setting("AI_LEARNING_ENABLED"):
            return 0
        return note_staff_change(ticket_id, list(fields or ()), actor_id)
    except Exception:
        log.exception("could not record the AI correction for ticket %s", ticket_id)
        db.session.rollback()
        return 0


def retrain_due() -> bool:
    """Enough new corrections (AI_RETRAIN_AFTER) since the saved model was trained."""
    return trainer.retrain_due(int(current_app.config.get("AI_RETRAIN_AFTER", 20)))
