"""Accepting the AI's triage: one path for the staff page and the API, one transaction.

(The API side is in tests/api/test_ai_api.py, where the AI is switched on.)

A refused accept (a stale form, a role that may not change the field) must leave both the
ticket and the suggestion as they were, so the dashboard never counts an acceptance that
did not happen and staff still see the one-click offer.
"""

from __future__ import annotations

import pytest

from portal import events
from portal.ai.results import TriageResult
from portal.extensions import db
from portal.models import AISuggestion, Ticket
from portal.services import ai_suggestions
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, StaleTicket
from tests.factories import make_ticket

HX = {"HX-Request": "true"}


@pytest.fixture
def suggested(user):
    """A new ticket (no AI work ran) with a stored, unapplied triage guess."""
    with events.suppressed():
        ticket = make_ticket(user, title="Charged twice", description="Two card charges.")
    guess = TriageResult("billing", "high", 0.55, 0.52, "Closest to billing.", "local")
    suggestion = ai_suggestions.store_triage(ticket, guess, applied=[])
    return ticket, suggestion


def _reread(suggestion: AISuggestion, ticket: Ticket) -> tuple[str, str | None, str]:
    db.session.expire_all()
    s, t = db.session.get(AISuggestion, suggestion.id), db.session.get(Ticket, ticket.id)
    return s.status, t.category, t.priority


def test_accepting_applies_the_guess_and_marks_it_accepted(suggested, staff):
    ticket, suggestion = suggested
    changed = ai_suggestions.accept_suggestion(
        suggestion.id, staff, expected_version=ticket.version
    )
    assert changed == {"category": (None, "billing"), "priority": ("medium", "high")}
    assert _reread(suggestion, ticket) == ("accepted", "billing", "high")


def test_a_stale_accept_changes_neither_ticket_nor_suggestion(suggested, staff):
    ticket, suggestion = suggested
    opened_at = ticket.version
    ticket_service.update_ticket(ticket, staff, {"status": "in_progress"})  # someone else
    with pytest.raises(StaleTicket):
        ai_suggestions.accept_suggestion(suggestion.id, staff, expected_version=opened_at)
    assert _reread(suggestion, ticket) == ("pending", None, "medium")


def test_an_accept_the_ticket_service_refuses_marks_nothing(suggested, user):
    """The requester may not change the category: refused before anything is committed."""
    ticket, suggestion = suggested
    with pytest.raises(PermissionDenied):
        ai_suggestions.accept_suggestion(suggestion.id, user)
    assert _reread(suggestion, ticket) == ("pending", None, "medium")


def test_the_staff_page_takes_the_same_path_and_refuses_a_stale_form(
    client, login_as, suggested, staff
):
    ticket, suggestion = suggested
    opened_at = ticket.version
    ticket_service.update_ticket(ticket, staff, {"status": "in_progress"})
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{ticket.id}/ai/triage",
        data={"category": "billing", "suggestion_id": suggestion.id, "version": opened_at},
        headers=HX,
    )
    assert resp.status_code == 409
    assert _reread(suggestion, ticket) == ("pending", None, "medium")
    resp = client.post(
        f"/staff/tickets/{ticket.id}/ai/triage",
        data={"category": "billing", "suggestion_id": suggestion.id, "version": ticket.version},
        headers=HX,
    )
    assert resp.status_code == 200
    assert _reread(suggestion, ticket) == ("accepted", "billing", "medium")
