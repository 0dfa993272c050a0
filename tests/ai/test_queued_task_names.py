"""Work queued before an upgrade still runs: huey messages name their task by identifier, and
the previous release's identifiers (portal.ai.tasks…, portal.notifications.tasks…) moved."""

from __future__ import annotations

import pytest

from portal import events, tasks
from portal.extensions import db
from portal.models import Notification, Ticket
from portal.services import ai_suggestions
from tests.factories import make_ticket

PREVIOUS = [
    "portal.ai.tasks.ai.triage_ticket",
    "portal.ai.tasks.ai.retrain",
    "portal.services.ai_workflow.first_answer_task",
    "portal.notifications.tasks.send_notification_email",
]


def run_queued(identifier: str, *args):
    """What a consumer does with a message: look the identifier up, execute the task."""
    task_class = tasks.huey._registry.string_to_task(identifier)
    return tasks.huey.execute(task_class(args=args))


@pytest.mark.parametrize("identifier", PREVIOUS)
def test_previous_identifiers_are_registered(identifier):
    assert tasks.huey._registry.string_to_task(identifier) is not None


def test_a_triage_queued_by_the_previous_release_triages_the_ticket(ai_app, user):
    with events.suppressed():
        ticket = make_ticket(
            user,
            title="Charged twice for tuition",
            description="Two identical card charges for my course fee. Please refund one.",
        )
    assert ai_suggestions.latest_triage_suggestion(ticket.id) is None
    assert run_queued("portal.ai.tasks.ai.triage_ticket", ticket.id) in ("applied", "suggested")
    suggestion = ai_suggestions.latest_triage_suggestion(ticket.id)
    assert suggestion is not None and suggestion.category == "billing"
    assert db.session.get(Ticket, ticket.id) is not None


def test_an_email_queued_by_the_previous_release_is_handled(app, user):
    """Without SMTP the email task records "off": it ran, through the moved function."""
    note = Notification(user_id=user.id, kind="reply", message="hi", email_status="pending")
    db.session.add(note)
    db.session.commit()
    assert run_queued("portal.notifications.tasks.send_notification_email", note.id) == "off"
    db.session.refresh(note)
    assert note.email_status == "off"
