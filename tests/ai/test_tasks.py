"""Triage as a task on ticket creation, staff corrections, retraining, suggestions, thresholds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import events
from portal.ai import trainer
from portal.ai import triage as ai_triage_module
from portal.ai.errors import AIUnavailable
from portal.ai.providers import local
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion, AIUsage, Ticket, TicketEvent
from portal.services import ai_assist, ai_suggestions
from portal.services import settings as settings_service
from portal.services import tickets as ticket_service
from portal.services.settings import update_settings
from tests.factories import make_ticket

BILLING = dict(
    title="Charged twice for the summer course",
    description="My credit card shows two identical charges for the course fee. Please refund one.",
)


def ai_events(ticket):
    """The AI's triage changes (other AI work, e.g. a first answer, is not counted here)."""
    return db.session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.actor_kind == "ai",
            TicketEvent.field.in_(("category", "priority")),
        )
    ).all()


def test_new_ticket_is_triaged_locally_and_applied(ai_app, user, set_threshold, triaged_events):
    set_threshold(0.05)
    ticket = make_ticket(user, **BILLING)
    db.session.refresh(ticket)
    assert ticket.category == "billing"
    events = ai_events(ticket)
    assert "category" in {e.field for e in events}  # priority may equal the default
    assert all(e.actor_id is None and "AI triage (local)" in e.detail for e in events)
    # The history names each applied field's own confidence, and never claims certainty.
    detail = events[0].detail
    assert "category " in detail and "priority " in detail
    assert "100%" not in detail and " 0%" not in detail
    suggestion = ai_suggestions.latest_triage_suggestion(ticket.id)
    assert suggestion.status == "applied"
    assert sorted(suggestion.applied_fields) == ["category", "priority"]
    assert triaged_events == [ticket.id]


def test_unsure_triage_is_only_suggested(ai_app, user, set_threshold, triaged_events):
    set_threshold(0.999)
    ticket = make_ticket(user, **BILLING)
    db.session.refresh(ticket)
    assert ticket.category is None and ticket.priority == "medium"
    assert ai_events(ticket) == []
    suggestion = ai_suggestions.latest_triage_suggestion(ticket.id)
    assert (suggestion.status, suggestion.category) == ("pending", "billing")
    assert 0 < suggestion.category_confidence < 0.999
    assert triaged_events == [ticket.id]


def test_submitter_category_is_never_overridden(ai_app, user, set_threshold):
    set_threshold(0.05)
    ticket = make_ticket(user, category="general", **BILLING)
    db.session.refresh(ticket)
    assert ticket.category == "general"
    assert "category" not in ai_suggestions.latest_triage_suggestion(ticket.id).applied_fields


@pytest.mark.parametrize(
    "switches, applied",
    [
        ({"AI_CATEGORIZATION_ENABLED": False}, ["priority"]),
        ({"TICKET_CATEGORIZATION": False}, ["priority"]),
        ({"TICKET_PRIORITY_DETECTION": False}, ["category"]),
    ],
)
def test_each_switch_is_honoured(ai_app, user, set_threshold, switches, applied):
    set_threshold(0.05)
    update_settings(switches)
    ticket = make_ticket(user, **BILLING)
    assert ai_suggestions.latest_triage_suggestion(ticket.id).applied_fields == applied
    assert {e.field for e in ai_events(ticket)} <= set(applied)


def test_all_switches_off_skip_triage_but_still_dispatch(ai_app, user, triaged_events):
    update_settings(
        {
            "AI_CATEGORIZATION_ENABLED": False,
            "TICKET_CATEGORIZATION": False,
            "TICKET_PRIORITY_DETECTION": False,
        }
    )
    ticket = make_ticket(user, **BILLING)
    assert ai_suggestions.latest_triage_suggestion(ticket.id) is None
    assert triaged_events == [ticket.id]


def test_ai_failure_never_loses_the_ticket(ai_app, user, monkeypatch, triaged_events):
    def broken(ticket):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(ai_triage_module, "triage", broken)
    ticket = make_ticket(user, **BILLING)
    assert db.session.get(Ticket, ticket.id) is not None
    assert triaged_events == [ticket.id]


def test_corrupt_model_file_is_ai_unavailable(ai_app, user):
    with events.suppressed():
        ticket = make_ticket(user, **BILLING)
    path = trainer.model_path()
    path.write_bytes(b"not a model")
    with pytest.raises(AIUnavailable):
        ai_assist.triage(ticket)


def test_staff_correction_is_recorded_and_retrains(ai_app, user, staff, set_threshold):
    ai_app.config["AI_RETRAIN_AFTER"] = 2
    set_threshold(0.999)  # suggest only
    before = local.load(trainer.model_path()).meta["trained_at"]
    tickets = [make_ticket(user, **BILLING) for _ in range(2)]
    for t in tickets:
        ticket_service.update_ticket(t, staff, {"category": "general", "priority": "low"})
    corrections = db.session.scalars(
        sa.select(AIFeedback).where(AIFeedback.kind == "correction")
    ).all()
    assert {(c.field, c.value) for c in corrections} == {
        ("category", "general"),
        ("priority", "low"),
    }
    assert all(c.user_id == staff.id and "Charged twice" in c.text for c in corrections)
    assert {c.ai_value for c in corrections if c.field == "category"} == {"billing"}
    model = local.load(trainer.model_path())
    assert model.meta["max_correction_id"] == max(c.id for c in corrections)
    assert model.meta["n_corrections"] == 4
    assert model.meta["trained_at"] >= before
    assert trainer.pending_corrections() == 0


def test_accepting_a_suggestion_is_not_a_correction(ai_app, user, staff, set_threshold):
    set_threshold(0.999)
    ticket = make_ticket(user, **BILLING)
    suggestion = ai_suggestions.latest_triage_suggestion(ticket.id)
    ai_suggestions.accept_suggestion(suggestion.id, staff)
    db.session.refresh(ticket)
    assert ticket.category == suggestion.category
    assert suggestion.status == "accepted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIFeedback)) == 0


def test_learning_switch_off_stores_no_corrections(ai_app, user, staff, set_threshold):
    set_threshold(0.999)
    update_settings({"AI_LEARNING_ENABLED": False})
    ticket = make_ticket(user, **BILLING)
    ticket_service.update_ticket(ticket, staff, {"category": "general"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIFeedback)) == 0


def test_suggestion_use_records_edit_similarity(ai_app, client, login_as, user, staff):
    with events.suppressed():
        ticket = make_ticket(user, **BILLING)
    draft = ai_assist.draft_reply(ticket)
    assert draft.provider == "local" and draft.suggestion_id
    login_as(staff)
    edited = draft.text.replace("Thank you", "Many thanks")
    resp = client.post(
        f"/staff/tickets/{ticket.id}/responses/",
        data={"content": edited, "suggestion_id": str(draft.suggestion_id)},
    )
    assert resp.status_code in (200, 204, 302, 303)
    suggestion = db.session.get(AISuggestion, draft.suggestion_id)
    db.session.refresh(suggestion)
    assert suggestion.status == "used"
    assert suggestion.response_id is not None
    assert 0.8 < suggestion.edit_similarity < 1.0
    # Junk ids are ignored quietly.
    ai_suggestions.record_suggestion_use("not-a-number", ticket.responses[-1])


def test_thresholds_with_per_category_override(ai_app, set_threshold):
    set_threshold(0.6)
    assert settings_service.threshold_for("billing") == pytest.approx(0.6)
    settings_service.set_threshold("billing", 0.9)
    assert settings_service.threshold_for("billing") == pytest.approx(0.9)
    assert settings_service.threshold_for("general") == pytest.approx(0.6)
    assert settings_service.threshold_for(None) == pytest.approx(0.6)
    assert settings_service.threshold_overrides() == {"billing": 0.9}
    settings_service.set_threshold("billing", None)
    assert settings_service.threshold_for("billing") == pytest.approx(0.6)
    with pytest.raises(ValueError):
        settings_service.set_threshold("billing", 1.5)


def test_override_changes_what_is_auto_applied(ai_app, user, set_threshold):
    set_threshold(0.05)
    settings_service.set_threshold("billing", 0.999)
    ticket = make_ticket(user, **BILLING)
    db.session.refresh(ticket)
    assert ticket.category is None
    assert ai_suggestions.latest_triage_suggestion(ticket.id).category == "billing"


def test_ratings_respect_the_feedback_switch(ai_app, user, staff):
    with events.suppressed():
        ticket = make_ticket(user, **BILLING)
    row = ai_suggestions.record_feedback(user=staff, ticket=ticket, rating=1, comment="Spot on")
    assert (row.kind, row.rating, row.comment) == ("rating", 1, "Spot on")
    update_settings({"RESPONSE_FEEDBACK": False})
    assert ai_suggestions.record_feedback(user=staff, ticket=ticket, rating=-1) is None
    with pytest.raises(ValueError):
        ai_suggestions.record_feedback(
            user=staff, ticket=ticket, field="category", value="nonsense"
        )


def test_every_local_call_is_logged(ai_app, user, set_threshold):
    set_threshold(0.05)
    ticket = make_ticket(user, **BILLING)
    rows = db.session.scalars(sa.select(AIUsage).where(AIUsage.purpose == "triage")).all()
    assert [(r.provider, r.outcome, r.ticket_id, r.cache_hit) for r in rows] == [
        ("local", "ok", ticket.id, False)
    ]
    assert rows[0].model.startswith("local-tfidf")


@pytest.mark.parametrize("style", ["shorter", "friendlier", "formal"])
def test_local_rewrite_keeps_sources_and_confidence(ai_app, user, style):
    with events.suppressed():
        ticket = make_ticket(user, **BILLING)
    origin = ai_assist.draft_reply(ticket)
    text = "Hello Sam,\n\nThanks, we can't refund twice. It's done. Reply if needed. Bye now."
    draft = ai_assist.rewrite_reply(ticket, text, style, suggestion_id=str(origin.suggestion_id))
    assert draft.provider == "local" and draft.text and draft.text != text
    assert (draft.sources, draft.confidence) == (origin.sources, origin.confidence)
    assert draft.suggestion_id != origin.suggestion_id
    with pytest.raises(ValueError):
        ai_assist.rewrite_reply(ticket, text, "shouty")


def test_local_summary_of_a_thread(ai_app, user, staff):
    with events.suppressed():
        ticket = make_ticket(user, **BILLING)
        ticket_service.add_reply(ticket, staff, "We have refunded the duplicate charge. Check.")
    summary = ai_assist.summarize(ticket)
    assert summary.provider == "local"
    assert "Charged twice" in summary.text or "two identical charges" in summary.text
    assert "refunded the duplicate" in summary.text
