"""The one table of what follows each event, registered on the app by create_app().

Order matters and is the order written here. Each listener is isolated: one that fails is
logged and the session rolled back, and the next still runs; the change that dispatched the
event is committed already and never undone by its follow-up work.

Tasks are looked up on portal.tasks at call time, so a test (or a deployment) can point a
task at another queue.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask

from portal import events, tasks
from portal.extensions import db
from portal.services import ai_triage, assignment, first_answer, notifications

log = logging.getLogger(__name__)


def _isolated(listener: Callable[..., Any]) -> Callable[..., None]:
    @functools.wraps(listener)
    def run(**payload: Any) -> None:
        try:
            listener(**payload)
        except Exception:
            log.exception("listener %s failed for %s", listener.__name__, payload)
            db.session.rollback()

    return run


def queue_triage(ticket_id: int, **_: Any) -> None:
    tasks.triage_ticket(ticket_id)


def learn_from_staff_change(ticket_id: int, **payload: Any) -> None:
    """A staff correction of the AI's triage is stored; enough of them retrain the model."""
    stored = ai_triage.learn_from_change(
        ticket_id,
        payload.get("fields"),
        payload.get("actor_kind", "user"),
        payload.get("actor_id"),
    )
    if stored and ai_triage.retrain_due():
        tasks.retrain_model()


def queue_first_answer(ticket_id: int, **_: Any) -> None:
    """After triage, so the threshold is the one of the category triage chose."""
    if first_answer.first_answer_enabled():
        tasks.first_answer_task(ticket_id)


def queue_email(notification_id: int, **_: Any) -> None:
    try:
        tasks.send_notification_email(notification_id)
    except Exception as e:  # the queue being down costs an email, never the notice
        notifications.email_not_queued(notification_id, e)


LISTENERS: dict[str, tuple[Callable[..., Any], ...]] = {
    events.TICKET_CREATED: (queue_triage, notifications.on_ticket_created),
    events.TICKET_UPDATED: (learn_from_staff_change, notifications.on_ticket_updated),
    events.REPLY_ADDED: (notifications.on_reply_added,),
    events.TICKET_MERGED: (notifications.on_ticket_merged,),
    events.TICKET_TRIAGED: (queue_first_answer, assignment.on_ticket_triaged),
    events.NOTIFICATION_CREATED: (queue_email,),
}


def init_app(app: Flask) -> None:
    events.register(
        app, {event: tuple(_isolated(fn) for fn in fns) for event, fns in LISTENERS.items()}
    )
