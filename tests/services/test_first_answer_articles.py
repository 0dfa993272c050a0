"""First answers from the seeded help articles: a ticket an article answers gets the cited
passage; a ticket no article answers gets none; the answer is about the article answering,
not about similar tickets (many resolved tickets do not keep it from the requester)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Article
from portal.services import kb_seed
from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user


@pytest.fixture(autouse=True)
def _manual():
    """Not manual_only (tests/services/conftest.py): the automation is what is tested here."""


@pytest.fixture
def seeded(staff):
    kb_seed.seed_articles(staff)
    return {a.title: a for a in db.session.scalars(sa.select(Article))}


def ai_answers(ticket):
    db.session.expire_all()
    return [r for r in ticket.responses if r.response_type == "ai"]


@pytest.mark.parametrize(
    ("title", "description", "article"),
    [
        (
            "charged twice",
            "Why do I see 2 charges of 49 EUR on my bank app for one registration??",
            "Refunds and duplicate charges",
        ),
        (
            "2fa",
            "codes from authy are wrong every single time",
            "Two-factor authentication codes are rejected",
        ),
        (
            "Rechnung",
            "Hello, I need the invoice with our tax number for the accounting. How to change?",
            "Invoices with a VAT number",
        ),
    ],
)
def test_a_ticket_an_article_answers_gets_the_cited_passage(
    user, staff, seeded, title, description, article
):
    # Resolved tickets about the same thing do not hold the answer back for staff.
    for _ in range(3):
        other = make_ticket(make_user(), title=title, description=description)
        ticket_service.add_reply(other, staff, "Solved it for you, Jane: see invoice 4242.")
        ticket_service.resolve_ticket(other, staff)
    ticket = make_ticket(user, title=title, description=description)
    [answer] = ai_answers(ticket)
    expected = seeded[article]
    assert answer.sources == [{"kind": "kb", "id": expected.id}]
    assert f'"{expected.title}"' in answer.content
    assert "4242" not in answer.content and "Jane" not in answer.content
    assert answer.ai_confidence >= 0.7


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("asdf qwerty", "asdf qwerty zxcv"),
        ("Grade looks wrong", "My grade for the final assignment shows 0 but I handed it in."),
        ("Mobile app crashes", "The Android app crashes on start since the last update."),
        ("weather", "what's the weather like in Paris tomorrow?"),
        ("Eduroam wifi drops", "My eduroam connection keeps dropping every few minutes."),
    ],
)
def test_no_first_answer_when_no_article_answers(user, seeded, title, description):
    ticket = make_ticket(user, title=title, description=description)
    assert ai_answers(ticket) == []
