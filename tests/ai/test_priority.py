"""Priority: urgency and calmness noticed in what people write, measured, and applied only
when its own confidence is high enough."""

from __future__ import annotations

import json

import pytest

from portal import events
from portal.ai import evaluation, urgency
from portal.ai import triage as ai_triage_module
from portal.ai.providers import local
from portal.ai.results import TriageResult
from portal.extensions import db
from portal.services import ai_assist, ai_suggestions
from tests.factories import make_ticket

EXAM = ("Exam down", "exam starts in 30 minutes, 40 students get a 500 error. URGENT.")
DARK_MODE = ("Dark mode", "no rush, dark mode would be nice")


def text(title: str, description: str) -> str:
    return local.ticket_text(title, description)


def test_urgency_cues_are_noticed():
    assert {"outage", "many_affected", "deadline_hours"} <= set(urgency.cues(text(*EXAM)))
    assert {"no_rush", "wish", "cosmetic"} <= set(urgency.cues(text(*DARK_MODE)))
    assert "security" in urgency.cues("Someone logged into my account and changed my password")
    assert "data_loss" in urgency.cues("All my thesis files disappeared from the drive")
    assert "money_leaving" in urgency.cues("You keep charging my card, 5 times this week")
    assert urgency.cues("How do I change my display name?") == []


def test_the_shipped_model_hears_urgency_and_calm():
    model = local.builtin_model()
    exam = model.predict(text(*EXAM))
    assert exam.priority == "urgent"
    assert exam.priority_probs["urgent"] > exam.priority_probs["medium"]
    assert model.predict(text(*DARK_MODE)).priority == "low"


class _Pred:
    def __init__(self, priority: str, confidence: float) -> None:
        self.priority, self.priority_confidence = priority, confidence


def test_priority_scores_are_correct_on_a_small_labelled_set():
    records = [{"priority": p} for p in ("urgent", "urgent", "urgent", "high", "low", "low")]
    preds = [
        _Pred("urgent", 0.9),  # right
        _Pred("high", 0.8),  # wrong, but not low or medium
        _Pred("medium", 0.6),  # an urgent ticket predicted medium
        _Pred("urgent", 0.7),  # wrong (right with urgent = high)
        _Pred("low", 0.95),  # right
        _Pred("medium", 0.5),  # wrong
    ]
    s = evaluation.score_priority(records, preds, threshold=0.75)
    assert s["priority_n"] == 6
    assert s["priority_accuracy"] == pytest.approx(2 / 6)
    assert s["priority_accuracy_urgent_as_high"] == pytest.approx(4 / 6)
    assert s["priority_recall"] == {
        "low": pytest.approx(0.5),
        "high": 0.0,
        "urgent": pytest.approx(1 / 3),
    }
    assert s["urgent_predicted_low_or_medium"] == 1
    assert s["priority_coverage_at_threshold"] == pytest.approx(3 / 6)  # 0.9, 0.8, 0.95
    assert s["priority_precision_at_threshold"] == pytest.approx(2 / 3)
    assert 0 < s["priority_ece"] < 1


def test_eval_json_reports_priority(ai_app, tmp_path):
    rows = [
        {"title": EXAM[0], "description": EXAM[1], "category": "technical", "priority": "urgent"},
        {
            "title": "",
            "description": DARK_MODE[1],
            "category": "feature_request",
            "priority": "low",
        },
        {"title": "Invoice", "description": "Please send an invoice.", "category": "billing"},
    ]
    path = tmp_path / "eval.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = ai_app.test_cli_runner().invoke(args=["ai", "eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(out) == set(evaluation.JSON_KEYS)
    assert set(out["priority_recall"]) == {"urgent", "low"}
    assert out["priority_accuracy"] == 1.0
    assert out["urgent_predicted_low_or_medium"] == 0
    assert 0 <= out["priority_ece"] <= 1


def test_a_confident_category_does_not_carry_an_unsure_priority(
    ai_app, user, set_threshold, monkeypatch
):
    set_threshold(0.7)
    unsure_priority = TriageResult(
        category="technical",
        priority="urgent",
        category_confidence=0.95,
        priority_confidence=0.4,
        rationale="",
        provider="local",
    )
    monkeypatch.setattr(ai_triage_module, "triage", lambda *a, **kw: unsure_priority)
    ticket = make_ticket(user, title=EXAM[0], description=EXAM[1])
    db.session.refresh(ticket)
    assert (ticket.category, ticket.priority) == ("technical", "medium")
    suggestion = ai_suggestions.latest_triage_suggestion(ticket.id)
    assert suggestion.applied_fields == ["category"]
    assert suggestion.priority == "urgent"  # still offered to staff as a suggestion


def test_gemini_priority_gets_the_local_models_confidence(gemini_app, set_threshold):
    set_threshold(0.999)  # the local model is never sure enough: Gemini answers
    with events.suppressed():
        ticket = make_ticket(title="Charged twice for tuition", description="Card charged twice.")
    local_result = ai_triage_module.local_triage(ticket.title, ticket.description)
    result = ai_assist.triage(ticket)
    assert (result.provider, result.priority) == ("gemini", "high")
    assert result.category_confidence == pytest.approx(0.93)
    assert result.priority_confidence == pytest.approx(local_result.priority_probs["high"], 1e-3)
