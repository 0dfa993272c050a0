"""AI work off the request path: huey tasks and the event handlers that enqueue them.

Imported by portal.ai.init_app, so web processes and `flask worker` both register them.
"""

from __future__ import annotations

import logging

from flask import current_app

from portal import tasks as queue
from portal.extensions import db
from portal.models import Ticket
from portal.services.settings import get_setting

log = logging.getLogger(__name__)
huey = queue.huey


@huey.task(name="ai.triage_ticket")
def triage_ticket_task(ticket_id: int) -> None:
    with queue.app_context():
        run_triage(ticket_id)


@huey.task(name="ai.retrain")
def retrain_task() -> None:
    with queue.app_context():
        from portal.ai import service

        try:
            service.train_and_save(measure=False)
        except Exception:
            log.exception("AI retrain failed")


def run_triage(ticket_id: int) -> str:
    """Triage one ticket; apply what is confident enough, suggest the rest.

    Never raises. Always dispatches "ticket_triaged" at the end, also when triage is switched
    off or failed. Returns what happened, for logs and tests.
    """
    from portal.ai import service
    from portal.services import tickets as ticket_service

    outcome = "skipped"
    try:
        ticket = db.session.get(Ticket, ticket_id)
        categorise = bool(
            get_setting("TICKET_CATEGORIZATION") and get_setting("AI_CATEGORIZATION_ENABLED")
        )
        prioritise = bool(get_setting("TICKET_PRIORITY_DETECTION"))
        if ticket is None or not (categorise or prioritise):
            return outcome
        result = service.triage(ticket)
        changes: dict = {}
        # A category the submitter chose is theirs; the AI only fills an empty one.
        if (
            categorise
            and ticket.category is None
            and result.category_confidence >= service.threshold_for(result.category)
        ):
            changes["category"] = result.category
        if prioritise and result.priority_confidence >= service.threshold_for(None):
            changes["priority"] = result.priority
        applied = sorted(changes)
        service.store_triage(ticket, result, applied=applied)
        if changes:
            confidence = min(
                result.category_confidence if "category" in changes else 1.0,
                result.priority_confidence if "priority" in changes else 1.0,
            )
            ticket_service.update_ticket(
                ticket,
                None,
                changes,
                actor_kind="ai",
                detail=f"AI triage: {confidence:.0%} ({result.provider})",
            )
        outcome = "applied" if changes else "suggested"
    except Exception:  # the ticket is saved already; AI trouble only costs the suggestion
        log.exception("AI triage of ticket %s failed", ticket_id)
        db.session.rollback()
        outcome = "failed"
    finally:
        try:
            queue.dispatch("ticket_triaged", ticket_id=ticket_id)
        except Exception:
            log.exception("ticket_triaged handlers failed for ticket %s", ticket_id)
    return outcome


def on_ticket_created(ticket_id: int, **_: object) -> None:
    triage_ticket_task(ticket_id)


def on_ticket_updated(
    ticket_id: int,
    fields: list[str] | None = None,
    actor_kind: str = "user",
    actor_id: int | None = None,
    **_: object,
) -> None:
    """Staff changing an AI-triaged ticket's category or priority is a correction to learn."""
    if actor_kind != "user" or not set(fields or ()) & {"category", "priority"}:
        return
    from portal.ai import service

    try:
        if not get_setting("AI_LEARNING_ENABLED"):
            return
        stored = service.note_staff_change(ticket_id, list(fields or ()), actor_id)
        every = int(current_app.config.get("AI_RETRAIN_AFTER", 20))
        # Tests that did not choose a model folder must not write into the real instance/.
        may_save = not current_app.testing or current_app.config.get("AI_MODEL_DIR")
        if stored and may_save and every > 0 and service.pending_corrections() >= every:
            retrain_task()
    except Exception:
        log.exception("could not record the AI correction for ticket %s", ticket_id)
        db.session.rollback()


def register_handlers() -> None:
    queue.on("ticket_created")(on_ticket_created)
    queue.on("ticket_updated")(on_ticket_updated)
