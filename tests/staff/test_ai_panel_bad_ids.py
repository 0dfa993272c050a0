"""The staff AI panel's hidden suggestion id comes back from the browser: a stale, forged or
another ticket's id is dropped, never a 500 (a broken foreign key on PostgreSQL, an integer
overflow on SQLite) and never a rating filed against another ticket's suggestion."""

import pytest

from portal.extensions import db
from portal.models.ai import AIFeedback, AISuggestion
from tests.factories import make_ticket

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _manual():
    """Not manual_only (tests/staff/conftest.py): the panel shows what the automation did."""


@pytest.mark.parametrize("sid", ["999999", "99999999999999999999", "-3", "abc", "²"])
def test_feedback_and_rewrite_with_a_bad_suggestion_id(client, login_as, staff, user, sid):
    ticket = make_ticket(user)
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{ticket.id}/ai/feedback",
        data={"suggestion_id": sid, "rating": "up", "comment": "useful"},
        headers=HX,
    )
    assert resp.status_code == 200
    row = db.session.scalars(db.select(AIFeedback)).one()
    assert row.rating == 1 and row.suggestion_id is None and row.ticket_id == ticket.id
    resp = client.post(
        f"/staff/tickets/{ticket.id}/ai/rewrite",
        data={"suggestion_id": sid, "style": "shorter", "text": "Hello. Restart the router."},
        headers=HX,
    )
    assert resp.status_code == 200


def test_feedback_on_another_tickets_suggestion_is_not_linked(client, login_as, staff, user):
    mine, theirs = make_ticket(user), make_ticket(user)
    other = AISuggestion(ticket_id=theirs.id, kind="reply", text="Try again.", provider="local")
    db.session.add(other)
    db.session.commit()
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{mine.id}/ai/feedback",
        data={"suggestion_id": str(other.id), "rating": "down"},
        headers=HX,
    )
    assert resp.status_code == 200
    row = db.session.scalars(db.select(AIFeedback)).one()
    assert row.ticket_id == mine.id and row.suggestion_id is None
