"""An answer posted to a requester never carries another user's data.

The local drafter quotes resolved tickets' staff replies ("A similar request was solved like
this: …"). That is fine in a draft for staff, not in an answer the AI posts to a user: the
reply was written to someone else. Retrieval redacts names, emails and long numbers, the
facade flags such drafts (DraftResult.user_safe) and cites what a Gemini draft quotes; the
first-answer task posts only drafts resting on knowledge-base articles.
"""

from __future__ import annotations

import sqlalchemy as sa

from portal.ai import retrieval
from portal.api.auth import create_token
from portal.extensions import db
from portal.models import AISuggestion, TicketResponse
from portal.services import ai_assist
from portal.services.settings import update_settings
from tests.ai.conftest import OTHER_INVOICE, OTHER_SECRETS
from tests.ai.inert import assert_no_secrets, visible_json
from tests.factories import make_ticket
from tests.helpers import text

# Words of the other user's staff answer that survive redaction.
OTHER_ANSWER = "refunded invoice"
SAME_QUESTION = dict(
    title="Charged twice for tuition and wifi keeps dropping",
    description="I was charged twice for tuition and my wifi keeps dropping. Refund please.",
)


def ai_answers(ticket) -> list[TicketResponse]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(TicketResponse).where(
                TicketResponse.ticket_id == ticket.id, TicketResponse.response_type == "ai"
            )
        )
    )


def latest_draft(ticket) -> AISuggestion:
    return db.session.scalars(
        sa.select(AISuggestion)
        .where(AISuggestion.ticket_id == ticket.id, AISuggestion.kind == "reply")
        .order_by(AISuggestion.id.desc())
    ).first()


def test_redaction_removes_the_other_persons_details():
    said = (
        "Hello Olivia Otherton, I refunded invoice 88123456 to your card; write to "
        "olivia.otherton@example.test or call +44 20 7946 0958 about ticket #12. Olivia, "
        "we will keep it open."
    )
    out = retrieval.redact(said, names=("Olivia Otherton", "olivia.otherton"))
    for gone in ("Olivia", "Otherton", "88123456", "olivia.otherton@", "7946", "#12"):
        assert gone not in out
    assert out.startswith("Hello, I refunded invoice [number]") and "we will keep it" in out


def test_local_first_answer_never_quotes_another_users_ticket(
    ai_app, client, login_as, user, staff, world
):
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.2})  # the AI posts whenever it can
    ticket = make_ticket(user, **SAME_QUESTION)

    answers = ai_answers(ticket)
    assert answers, "the help article answers with confidence: it should be posted"
    for answer in answers:
        assert OTHER_ANSWER not in answer.content
        assert_no_secrets(answer.content, OTHER_SECRETS, "posted answer")
        assert all(s["kind"] == "kb" for s in answer.sources)
    # Where no article is confident enough, the draft built on the resolved ticket stays for
    # staff, redacted even there.
    update_settings({"AI_CONFIDENCE_THRESHOLD": 0.99})
    staff_draft = ai_assist.draft_reply(ticket)
    assert not staff_draft.user_safe
    draft = latest_draft(ticket)
    assert OTHER_ANSWER in draft.text and OTHER_INVOICE not in draft.text
    assert {"kind": "ticket", "id": world["resolved"].id} in draft.sources

    login_as(user)
    assert_no_secrets(text(client.get(f"/tickets/{ticket.id}/")), OTHER_SECRETS, "ticket page")
    token = {"Authorization": f"Bearer {create_token(user, 'privacy')}"}
    shown = visible_json(client.get(f"/api/tickets/{ticket.id}/", headers=token).json)
    assert_no_secrets(shown, OTHER_SECRETS, "API")
    assert OTHER_ANSWER not in shown
    assert '"kind": "ticket"' not in shown, "another user's ticket id is shown"


def test_article_based_local_draft_is_user_safe(ai_app, user, world):
    ticket = make_ticket(
        user, title="Eduroam wifi keeps dropping", description="Eduroam wifi keeps dropping."
    )
    draft = ai_assist.draft_reply(ticket)
    assert draft.sources[0] == {"kind": "kb", "id": world["article"].id}
    assert draft.user_safe


def test_gemini_quoting_a_ticket_while_citing_articles_is_not_posted(
    user, world, set_threshold, obeying_gemini
):
    set_threshold(0.999)
    obeying_gemini("parrot_kb")
    ticket = make_ticket(user, **SAME_QUESTION)
    draft = latest_draft(ticket)
    assert draft.provider == "gemini" and OTHER_ANSWER in draft.text  # staff may see it
    assert {"kind": "ticket", "id": world["resolved"].id} in draft.sources  # cited for it
    assert ai_answers(ticket) == []


def test_draft_that_saw_another_users_ticket_is_never_posted(
    user, world, set_threshold, obeying_gemini
):
    set_threshold(0.999)
    obeying_gemini("paraphrase")
    ticket = make_ticket(user, **SAME_QUESTION)
    assert not ai_assist.draft_reply(ticket, fresh=True).user_safe
    assert ai_answers(ticket) == []
