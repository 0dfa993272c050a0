"""Gemini's triage confidence is calibrated on what staff did with its earlier answers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal import events
from portal.ai import gemini_calibration
from portal.extensions import db
from portal.models import AISuggestion, Ticket
from tests.factories import make_ticket

VAGUE = dict(title="A question", description="Something is wrong with my account, please look.")
REPORTED = 0.93  # what the fake Gemini server says by default


def _quiet_ticket() -> Ticket:
    with events.suppressed():
        return make_ticket(**VAGUE)


def _gemini_triage(ticket: Ticket, status: str, confidence: float, **kw) -> AISuggestion:
    suggestion = AISuggestion(
        ticket_id=ticket.id,
        kind="triage",
        provider="gemini",
        category="billing",
        category_confidence=confidence,
        status=status,
        **kw,
    )
    db.session.add(suggestion)
    return suggestion


def _reviewed(kept: int, corrected: int, *, reported: float = REPORTED) -> None:
    """Earlier Gemini triage answers and what staff did with them."""
    ticket = _quiet_ticket()
    for status in ["accepted"] * kept + ["corrected"] * corrected:
        _gemini_triage(ticket, status, reported, raw_score=reported, calibrated=False)
    db.session.commit()


def _latest_gemini_triage(ticket: Ticket) -> AISuggestion:
    return db.session.scalars(
        sa.select(AISuggestion)
        .where(AISuggestion.ticket_id == ticket.id, AISuggestion.kind == "triage")
        .order_by(AISuggestion.id.desc())
    ).first()


def test_uncalibrated_gemini_confidence_is_applied_as_reported_and_says_so(
    gemini_app, fake_gemini, set_threshold, user, client, login_as, staff
):
    set_threshold(0.9)  # the local model is unsure about a vague ticket: Gemini decides
    _reviewed(kept=5, corrected=5)  # too few outcomes to calibrate on
    ticket = make_ticket(user, **VAGUE)
    stored = _latest_gemini_triage(ticket)
    assert (stored.provider, stored.calibrated) == ("gemini", False)
    assert stored.raw_score == pytest.approx(REPORTED)
    assert stored.category_confidence == pytest.approx(REPORTED)
    db.session.refresh(ticket)
    assert ticket.category == "billing"  # 0.93 >= 0.9: applied

    login_as(staff)
    panel = client.post(f"/staff/tickets/{ticket.id}/ai", headers={"HX-Request": "true"})
    assert "not yet calibrated" in panel.get_data(as_text=True).split("Triage")[1]


def test_calibrated_gemini_confidence_decides_against_the_threshold(
    gemini_app, fake_gemini, set_threshold, user
):
    set_threshold(0.9)
    # Staff kept a third of Gemini's "93 % sure" categories: 93 % means about 33 %.
    _reviewed(kept=12, corrected=24)
    calibration = gemini_calibration.current()
    assert calibration.ready and calibration.n == 36
    assert calibration.apply(REPORTED) == pytest.approx(1 / 3, abs=0.01)

    ticket = make_ticket(user, **VAGUE)
    stored = _latest_gemini_triage(ticket)
    assert stored.provider == "gemini" and stored.calibrated
    assert stored.raw_score == pytest.approx(REPORTED)
    assert stored.category_confidence == pytest.approx(1 / 3, abs=0.01)
    db.session.refresh(ticket)
    assert ticket.category is None  # left for staff as a suggestion
    assert stored.status == "pending"


def test_only_reviewed_category_decisions_count(ai_app):
    _reviewed(kept=2, corrected=1)
    ticket = _quiet_ticket()
    _gemini_triage(ticket, "pending", 0.6)
    _gemini_triage(ticket, "dismissed", 0.6)
    _gemini_triage(ticket, "applied", 0.6, applied_fields=["priority"])
    # Stored before raw_score existed: the reported figure is category_confidence.
    _gemini_triage(ticket, "applied", 0.6, applied_fields=["category", "priority"])
    db.session.commit()
    assert sorted(gemini_calibration.outcomes()) == [
        (0.6, True),
        (REPORTED, False),
        (REPORTED, True),
        (REPORTED, True),
    ]


def test_admin_dashboard_reports_gemini_calibration(ai_app, client, login_as, admin):
    login_as(admin)
    html = client.get("/admin/ai").get_data(as_text=True)
    assert "Gemini triage confidence:" in html and "not yet calibrated (0 of 30" in html
    _reviewed(kept=20, corrected=20)
    html = client.get("/admin/ai").get_data(as_text=True)
    assert "calibrated on 40 answers staff reviewed; cross-validated ECE" in html
