"""Reply-draft confidence is calibrated on what staff did with earlier drafts."""

from __future__ import annotations

import numpy as np
import pytest

from portal.ai import answers, draft_calibration
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion, TicketResponse
from portal.services import ai_assist
from portal.services import kb as kb_service
from tests.factories import make_ticket, make_user


def _password_ticket(user):
    return make_ticket(
        user,
        title="Forgot my password, reset email missing",
        description="I forgot my password and the password reset email does not arrive.",
    )


@pytest.fixture
def article(staff):
    return kb_service.create_article(
        staff,
        title="Resetting your password",
        body="Forgot your password? Choose 'Forgot password' on the login page; the password "
        "reset email arrives within minutes. Check your spam folder.",
        category="technical",
    )


def _outcomes(ticket, pairs, sources=None):
    """Earlier local drafts with their raw scores and what staff did with them."""
    for raw, kept in pairs:
        db.session.add(
            AISuggestion(
                ticket_id=ticket.id,
                kind="reply",
                provider="local",
                text="draft",
                confidence=0.5,
                raw_score=raw,
                edit_similarity=0.95 if kept else 0.2,
                status="used",
                sources=sources or [],
            )
        )
    db.session.commit()


def test_uncalibrated_until_enough_outcomes(ai_app, user, article):
    ticket = _password_ticket(user)
    _outcomes(ticket, [(0.5, True)] * 5, sources=[{"kind": "kb", "id": article.id}])
    draft = ai_assist.draft_reply(ticket)
    assert draft.raw_score is not None and draft.raw_score > 0
    assert not draft.calibrated
    # A draft quoting an article: how well the article answers, on the first answers' scale.
    assert draft.confidence == pytest.approx(answers.uncalibrated(draft.raw_score), abs=1e-3)


def test_staff_outcomes_pull_an_overconfident_score_down(ai_app, user, article, set_threshold):
    """Staff rewrote most drafts quoting an article: the AI stops treating them as sure
    things, in the staff panel and for the first answer alike; those outcomes do not
    calibrate the other drafts (another kind of raw score)."""
    set_threshold(0.7)
    history = make_ticket(make_user())
    rng = np.random.default_rng(0)
    pairs = [(float(raw), bool(rng.random() < 0.25)) for raw in np.linspace(0.05, 0.95, 60)]
    _outcomes(history, pairs, sources=[{"kind": "kb", "id": article.id}])
    assert not draft_calibration.current().ready

    ticket = _password_ticket(user)
    draft = ai_assist.draft_reply(ticket)
    assert draft.calibrated
    assert answers.uncalibrated(draft.raw_score) >= 0.7 > draft.confidence
    stored = db.session.get(AISuggestion, draft.suggestion_id)
    assert (stored.raw_score, stored.calibrated) == (draft.raw_score, True)
    first = ai_assist.article_answer(ticket)
    assert first.calibrated and first.confidence == draft.confidence
    # The automatic first answer for this ticket was therefore kept for staff.
    assert not [r for r in ticket.responses if isinstance(r, TicketResponse) and r.is_ai_generated]


def test_without_outcomes_an_article_answer_is_posted(ai_app, user, article, set_threshold):
    set_threshold(0.7)
    ticket = _password_ticket(user)
    posted = [r for r in ticket.responses if r.is_ai_generated]
    assert len(posted) == 1 and posted[0].sources == [{"kind": "kb", "id": article.id}]


def test_ratings_override_edit_similarity(app, user):
    ticket = make_ticket(user)
    suggestion = AISuggestion(
        ticket_id=ticket.id, kind="reply", provider="local", raw_score=0.4, edit_similarity=0.99
    )
    db.session.add(suggestion)
    db.session.commit()
    db.session.add(
        AIFeedback(kind="rating", ticket_id=ticket.id, suggestion_id=suggestion.id, rating=-1)
    )
    db.session.commit()
    assert draft_calibration.outcomes() == [(0.4, False)]


def test_cross_validated_ece_is_measured_and_small_on_calibrated_history():
    rng = np.random.default_rng(1)
    raw = rng.random(400)
    data = [(float(r), bool(rng.random() < r)) for r in raw]  # P(kept) = raw: calibrated
    calibration = draft_calibration.fit(data)
    assert calibration.ready and calibration.n == 400
    assert calibration.ece is not None and calibration.ece < 0.08
    assert calibration.apply(0.9) > calibration.apply(0.1)


def test_admin_dashboard_reports_draft_calibration(ai_app, client, login_as, admin, user):
    login_as(admin)
    page = client.get("/admin/ai").get_data(as_text=True)
    assert "not yet calibrated (0 of 30" in page
    history = make_ticket(user)
    rng = np.random.default_rng(2)
    _outcomes(history, [(float(r), bool(rng.random() < r)) for r in np.linspace(0, 1, 40)])
    page = client.get("/admin/ai").get_data(as_text=True)
    assert "calibrated on 40 drafts staff sent or rated; cross-validated ECE 0." in page


def test_outcomes_are_read_again_only_when_their_signature_changes(ai_app):
    from portal.ai.calibration import RefitOnChange

    reads, state = [], {"signature": (1,)}

    def outcomes():
        reads.append(1)
        return [(0.2, False), (0.8, True)] * 20

    refit = RefitOnChange(outcomes, 30, lambda: state["signature"])
    first = refit.current()
    assert first.ready and refit.current() is first and len(reads) == 1
    state["signature"] = (2,)
    assert refit.current() is not first and len(reads) == 2


def test_a_new_staff_outcome_changes_the_signature(ai_app, user, article):
    ticket = _password_ticket(user)
    before = draft_calibration.signature()
    _outcomes(ticket, [(0.5, True)])
    after_sent = draft_calibration.signature()
    assert after_sent != before
    draft = db.session.query(AISuggestion).filter_by(ticket_id=ticket.id).first()
    db.session.add(AIFeedback(kind="rating", suggestion_id=draft.id, rating=-1))
    db.session.commit()
    assert draft_calibration.signature() != after_sent
