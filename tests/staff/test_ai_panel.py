"""The staff AI panel: lazy slot, suggestion, insert → measured use, regenerate, rewrite,
feedback, triage "apply", and the 200 "AI unavailable" fragment.

The real facade answers throughout. test_ai_unavailable_is_a_200_fragment stubs the facade's
draft_reply and triage to raise AIUnavailable, the only way to make the local model fail.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.ai import triage as ai_triage_module
from portal.ai.errors import AIUnavailable
from portal.extensions import db
from portal.models import AIFeedback, AISuggestion, TicketEvent
from portal.services import ai_assist, ai_suggestions
from portal.services import kb as kb_service
from portal.services.settings import update_settings
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import text

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _manual():
    """Not manual_only (tests/staff/conftest.py): the panel shows what the automation did."""


@pytest.fixture
def waiting(user, staff):
    """A ticket the AI could not answer on its own: nothing applied, nothing posted."""
    update_settings({"AI_CONFIDENCE_THRESHOLD": 1.0})
    kb_service.create_article(
        staff,
        title="Printing from the library",
        body="To print in the library, log in at the print station with your student card. "
        "Printer jams: tell the desk.",
        category="technical",
    )
    return make_ticket(
        user,
        title="Library printer does not print",
        description="The printer in the library does not print my document from the print station.",
    )


def panel(client, ticket):
    resp = client.post(f"/staff/tickets/{ticket.id}/ai", headers=HX)
    assert resp.status_code == 200, resp.data[:300]
    assert b"<html" not in resp.data
    return resp


def test_ticket_page_has_a_lazy_panel_only_when_assistance_is_on(client, login_as, staff, waiting):
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{waiting.id}/"))
    assert f'hx-get="/staff/tickets/{waiting.id}/ai"' in page
    assert 'hx-trigger="revealed"' in page
    assert "Suggested reply" not in page  # the page never waits for a model

    update_settings({"RESPONSE_AI_ASSISTANCE": False})
    page = text(client.get(f"/staff/tickets/{waiting.id}/"))
    assert f"/staff/tickets/{waiting.id}/ai" not in page
    assert "turned off" in text(panel(client, waiting))
    resp = client.post(f"/staff/tickets/{waiting.id}/ai/regenerate", headers=HX)
    assert resp.status_code == 404


def test_panel_shows_the_suggestion_with_confidence_and_sources(client, login_as, staff, waiting):
    login_as(staff)
    resp = panel(client, waiting)
    html = text(resp)
    assert "HX-Request" in resp.headers["Vary"]
    assert "Suggested reply" in html
    assert re.search(r"\d+% confident", html)
    assert "below the 100% threshold" in html
    assert re.search(r'href="/kb/\d+/">help article \d+</a>', html)
    suggestion = db.session.scalars(
        sa.select(AISuggestion).where(AISuggestion.kind == "reply").order_by(AISuggestion.id.desc())
    ).first()
    assert f'data-ai-insert="ticket-{waiting.id}-ai-text"' in html
    assert f'data-suggestion-id="{suggestion.id}"' in html


def test_reply_sent_from_a_suggestion_records_how_much_it_changed(client, login_as, staff, waiting):
    login_as(staff)
    html = text(panel(client, waiting))
    suggestion_id = int(re.search(r'data-suggestion-id="(\d+)"', html).group(1))
    suggestion = db.session.get(AISuggestion, suggestion_id)
    edited = suggestion.text + "\n\nBest wishes, the support team"
    resp = client.post(
        f"/staff/tickets/{waiting.id}/responses/",
        data={"content": edited, "suggestion_id": str(suggestion_id)},
    )
    assert resp.status_code == 303
    db.session.refresh(suggestion)
    assert suggestion.status == "used"
    assert 0.8 < suggestion.edit_similarity < 1.0


def test_regenerate_returns_a_fresh_suggestion_fragment(client, login_as, staff, waiting):
    login_as(staff)
    panel(client, waiting)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion))
    resp = client.post(f"/staff/tickets/{waiting.id}/ai/regenerate", headers=HX)
    assert resp.status_code == 200
    assert f'id="ticket-{waiting.id}-ai-suggestion"' in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion)) == before + 1


def test_regenerate_quotes_the_next_match_and_comes_round_again(client, login_as, staff, waiting):
    kb_service.create_article(
        staff,
        title="Library print station login",
        body="If the library print station does not print, log out of the print station, "
        "log in again with your student card and send the document to the printer again.",
        category="technical",
    )
    login_as(staff)

    def quoted(html: str) -> str:
        return re.search(r"knowledge-base article &#34;([^&]+)&#34;", html).group(1)

    first = quoted(text(panel(client, waiting)))
    regen = [
        quoted(text(client.post(f"/staff/tickets/{waiting.id}/ai/regenerate", headers=HX)))
        for _ in range(2)
    ]
    titles = {"Printing from the library", "Library print station login"}
    assert {first, regen[0]} == titles  # a press shows the other article, not the same text
    assert regen[1] == first  # two matches: the third draft starts the round again


def test_rewrite_validates_its_input(client, login_as, staff, waiting):
    login_as(staff)
    bad = client.post(
        f"/staff/tickets/{waiting.id}/ai/rewrite",
        data={"style": "louder", "text": "Hi"},
        headers=HX,
    )
    assert bad.status_code == 422
    empty = client.post(
        f"/staff/tickets/{waiting.id}/ai/rewrite", data={"style": "shorter"}, headers=HX
    )
    assert empty.status_code == 422
    ok = client.post(
        f"/staff/tickets/{waiting.id}/ai/rewrite",
        data={"style": "friendlier", "text": "Hello. Do X."},
        headers=HX,
    )
    assert ok.status_code == 200
    assert f'id="ticket-{waiting.id}-ai-suggestion"' in ok.get_data(as_text=True)
    assert "(Friendlier)" in ok.get_data(as_text=True)


def test_feedback_thumbs_with_comment(client, login_as, staff, waiting):
    login_as(staff)
    html = text(panel(client, waiting))
    assert "Was this suggestion useful?" in html
    suggestion_id = re.search(r'data-suggestion-id="(\d+)"', html).group(1)

    missing = client.post(f"/staff/tickets/{waiting.id}/ai/feedback", data={}, headers=HX)
    assert missing.status_code == 422
    assert "Choose thumbs up or down." in text(missing)
    too_long = client.post(
        f"/staff/tickets/{waiting.id}/ai/feedback",
        data={"rating": "up", "comment": "x" * 1001},
        headers=HX,
    )
    assert too_long.status_code == 422
    assert 'class="error"' in text(too_long)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIFeedback)) == 0

    resp = client.post(
        f"/staff/tickets/{waiting.id}/ai/feedback",
        data={"rating": "down", "comment": "Wrong printer", "suggestion_id": suggestion_id},
        headers=HX,
    )
    assert resp.status_code == 200
    assert "feedback on this suggestion was recorded" in text(resp)
    row = db.session.scalars(sa.select(AIFeedback)).one()
    assert (row.kind, row.rating, row.comment) == ("rating", -1, "Wrong printer")
    assert (row.suggestion_id, row.user_id, row.ticket_id) == (
        int(suggestion_id),
        staff.id,
        waiting.id,
    )


def test_feedback_hidden_when_switched_off(client, login_as, staff, waiting):
    update_settings({"RESPONSE_FEEDBACK": False})
    login_as(staff)
    assert "Was this suggestion useful?" not in text(panel(client, waiting))
    resp = client.post(
        f"/staff/tickets/{waiting.id}/ai/feedback", data={"rating": "up"}, headers=HX
    )
    assert resp.status_code == 404


def test_triage_guess_can_be_applied_in_one_click(client, login_as, staff, waiting):
    stored = ai_suggestions.latest_triage_suggestion(waiting.id)
    assert stored is not None and stored.status == "pending"  # nothing was auto-applied
    login_as(staff)
    html = text(panel(client, waiting))
    assert "AI guess:" in html
    assert "Apply:" in html
    resp = client.post(
        f"/staff/tickets/{waiting.id}/ai/triage",
        data={"category": stored.category, "version": str(waiting.version)},
        headers=HX,
    )
    assert resp.status_code == 200
    assert "AI suggestion applied" in resp.headers["HX-Trigger"]
    db.session.refresh(waiting)
    assert waiting.category == stored.category
    event = db.session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == waiting.id, TicketEvent.field == "category"
        )
    ).one()
    assert (event.actor_kind, event.actor_id) == ("user", staff.id)
    assert event.detail == "applied the AI's suggestion"
    db.session.refresh(stored)
    assert stored.status == "accepted"  # the facade learns that staff agreed


def test_triage_apply_refuses_a_stale_page_and_bad_values(client, login_as, staff, waiting):
    login_as(staff)
    stale = client.post(
        f"/staff/tickets/{waiting.id}/ai/triage",
        data={"priority": "urgent", "version": str(waiting.version - 1)},
        headers=HX,
    )
    assert stale.status_code == 409
    bad = client.post(
        f"/staff/tickets/{waiting.id}/ai/triage", data={"category": "gossip"}, headers=HX
    )
    assert bad.status_code == 422
    db.session.refresh(waiting)
    assert waiting.priority != "urgent" and waiting.category != "gossip"


def test_auto_applied_triage_is_not_offered_again(client, login_as, staff, user):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.0})
    ticket = make_ticket(user, title="Refund for double charge", description="I was billed twice.")
    login_as(staff)
    html = text(panel(client, ticket))
    assert "Applied automatically:" in html
    assert "Apply:" not in html


def test_ai_unavailable_is_a_200_fragment(client, login_as, staff, waiting, monkeypatch):
    def down(*args, **kwargs):
        raise AIUnavailable("down")

    # Stubs (see the module docstring): the local model cannot be made to fail on demand.
    monkeypatch.setattr(ai_assist, "draft_reply", down)
    monkeypatch.setattr(ai_triage_module, "triage", down)
    monkeypatch.setattr(ai_suggestions, "latest_triage_suggestion", lambda ticket_id: None)
    db.session.execute(sa.delete(AISuggestion))
    db.session.commit()
    login_as(staff)
    resp = panel(client, waiting)
    assert "AI unavailable right now" in text(resp)
    regen = client.post(f"/staff/tickets/{waiting.id}/ai/regenerate", headers=HX)
    assert regen.status_code == 200
    assert "AI unavailable right now" in text(regen)


def test_long_threads_are_summarised_or_say_why_not(client, login_as, staff, user, waiting):
    for i in range(4):
        make_reply(waiting, user if i % 2 == 0 else staff, f"Message number {i} about the printer.")
    login_as(staff)
    resp = client.get(f"/staff/tickets/{waiting.id}/ai/summary", headers=HX)
    assert resp.status_code == 200
    assert f'id="ticket-{waiting.id}-ai-summary"' in text(resp)


def test_model_text_in_the_panel_is_escaped(client, login_as, staff):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 1.0})
    evil = make_user("user", name="<script>alert('x')</script>")
    ticket = make_ticket(evil, title="Help", description="Nothing works at all.")
    login_as(staff)
    html = text(panel(client, ticket))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_users_cannot_reach_the_panel(client, login_as, user, waiting):
    login_as(user)
    assert client.get(f"/staff/tickets/{waiting.id}/ai", headers=HX).status_code == 403
    assert (
        client.post(f"/staff/tickets/{waiting.id}/ai/feedback", data={"rating": "up"}).status_code
        == 403
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AIFeedback)) == 0


def test_opening_the_panel_by_get_writes_nothing(client, login_as, staff, user):
    """A GET (a prefetch, a reload, a crawler) creates and supersedes no suggestion; the
    placeholder it answers asks for one by POST on load, and a second POST reuses it."""
    from portal import events

    with events.suppressed():  # no first answer: nothing is waiting yet
        waiting = make_ticket(user, title="Printer", description="The library printer jams.")
    login_as(staff)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion))
    for _ in range(3):
        resp = client.get(f"/staff/tickets/{waiting.id}/ai", headers=HX)
        assert resp.status_code == 200
        assert f'hx-post="/staff/tickets/{waiting.id}/ai"' in text(resp)
        assert 'hx-trigger="load"' in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion)) == before
    first = client.post(f"/staff/tickets/{waiting.id}/ai", headers=HX)
    assert "Suggested reply" in text(first)
    made = db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion))
    client.post(f"/staff/tickets/{waiting.id}/ai", headers=HX)
    client.get(f"/staff/tickets/{waiting.id}/ai", headers=HX)  # now shows the waiting one
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AISuggestion)) == made
    superseded = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AISuggestion)
        .where(AISuggestion.status == "superseded")
    )
    assert superseded == 0
