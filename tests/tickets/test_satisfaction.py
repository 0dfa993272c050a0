"""Satisfaction (CSAT): the requester rates each resolution 1-5, on the ticket page, by the
one-click link in the resolution e-mail, or by the API. Nobody else can, or sees it, but staff."""

from __future__ import annotations

import re

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer

from portal.api.auth import create_token
from portal.models import TicketSatisfaction
from portal.services import notifications
from portal.services import satisfaction as satisfaction_service
from portal.services import tickets as ticket_service
from tests.factories import count, make_ticket, make_user
from tests.helpers import snapshot, text


@pytest.fixture
def resolved(user, staff):
    ticket = make_ticket(user, title="Projector in room 4 is blank")
    ticket_service.assign_ticket(ticket, staff, staff)
    ticket_service.add_reply(ticket, staff, "Replaced the cable.", resolve=True)
    return ticket


def bearer(user):
    return {"Authorization": f"Bearer {create_token(user, 'test')}"}


# --- on the ticket page ----------------------------------------------------------------------


def test_requester_rates_on_the_ticket_page_and_staff_see_it(
    client, login_as, user, staff, resolved
):
    login_as(user)
    page = text(client.get(f"/tickets/{resolved.id}/"))
    assert "How did we do?" in page
    assert page.count('type="radio"') == 5 and 'name="comment"' in page
    resp = client.post(
        f"/tickets/{resolved.id}/satisfaction/", data={"rating": "4", "comment": "Fast, thanks"}
    )
    assert resp.status_code == 303
    page = text(client.get(f"/tickets/{resolved.id}/"))
    assert "You rated this resolution <strong>4 out of 5</strong>" in page
    assert "Fast, thanks" in page
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{resolved.id}/"))
    assert "4 / 5" in page and "Fast, thanks" in page and "resolution 1" in page


def test_htmx_rating_answers_the_panel(client, login_as, user, resolved, hx):
    login_as(user)
    resp = client.post(f"/tickets/{resolved.id}/satisfaction/", data={"rating": "5"}, headers=hx)
    assert resp.status_code == 200
    assert "Thank you!" in text(resp) and f'id="ticket-{resolved.id}-satisfaction"' in text(resp)


def test_no_rating_form_before_resolution_or_for_others(
    client, login_as, user, other_user, staff, ticket
):
    login_as(user)
    assert "How did we do?" not in text(client.get(f"/tickets/{ticket.id}/"))
    before = snapshot()
    resp = client.post(f"/tickets/{ticket.id}/satisfaction/", data={"rating": "5"})
    assert resp.status_code == 303  # back to the ticket, with the reason
    assert snapshot() == before
    assert "not resolved" in text(client.get(f"/tickets/{ticket.id}/"))
    login_as(other_user)
    assert (
        client.post(f"/tickets/{ticket.id}/satisfaction/", data={"rating": "5"}).status_code == 404
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    "body", ["rating=6", "rating=0", "rating=five", "rating=", "", "rating=%ED%A0%80",
             "rating=" + "4" * 5000],
)  # fmt: skip
def test_bad_ratings_on_the_page_are_422_and_store_nothing(client, login_as, user, resolved, body):
    login_as(user)
    before = snapshot()
    resp = client.post(
        f"/tickets/{resolved.id}/satisfaction/",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 422
    assert re.search("Not a valid choice|Choose a rating|not text", text(resp))
    assert snapshot() == before and count(TicketSatisfaction) == 0


def test_comment_too_long_is_422(client, login_as, user, resolved):
    login_as(user)
    resp = client.post(
        f"/tickets/{resolved.id}/satisfaction/", data={"rating": "3", "comment": "x" * 2001}
    )
    assert resp.status_code == 422 and count(TicketSatisfaction) == 0


def test_follower_of_a_merged_ticket_never_sees_the_rating(client, login_as, user, staff, resolved):
    from portal.services import merge as merge_service

    follower = make_user("user")
    source = make_ticket(follower, title="Projector broken too")
    merge_service.merge_tickets(source, resolved, actor=staff)
    satisfaction_service.rate(resolved, user, 2, "Secret opinion")
    login_as(follower)
    page = text(client.get(f"/tickets/{resolved.id}/"))
    assert resolved.title in page
    assert "Secret opinion" not in page and "How did we do?" not in page
    assert (
        client.post(f"/tickets/{resolved.id}/satisfaction/", data={"rating": "5"}).status_code
        == 404
    )


# --- one rating per resolution ---------------------------------------------------------------


def test_one_rating_per_resolution_and_again_after_a_reopen(user, staff, resolved):
    first = satisfaction_service.rate(resolved, user, 2, "Meh")
    again = satisfaction_service.rate(resolved, user, 4)
    assert again.id == first.id and again.rating == 4 and again.resolution == 1
    assert count(TicketSatisfaction) == 1
    ticket_service.reopen_ticket(resolved, user)
    with pytest.raises(satisfaction_service.NotRateable):
        satisfaction_service.rate(resolved, user, 5)
    ticket_service.resolve_ticket(resolved, staff)
    second = satisfaction_service.rate(resolved, user, 5, "Now it works")
    assert second.resolution == 2 and count(TicketSatisfaction) == 2
    assert [r.rating for r in satisfaction_service.ratings_for(resolved)] == [4, 5]
    changes = [e for e in resolved.events if e.field == "satisfaction"]
    assert [(e.old_value, e.new_value) for e in changes] == [(None, "2"), ("2", "4"), (None, "5")]


def test_closing_after_resolution_still_allows_rating(user, resolved):
    ticket_service.close_ticket(resolved, user)
    assert satisfaction_service.rate(resolved, user, 3).rating == 3


# --- the one-click link ----------------------------------------------------------------------


def _links(app, note_id):
    from portal.extensions import db
    from portal.models import Notification

    msg = notifications.build_email(db.session.get(Notification, note_id))
    return re.findall(r"(http://\S+/rate/\S+)", msg.get_content())


def test_resolution_email_carries_five_links_and_get_changes_nothing(app, client, user, resolved):
    from portal.models import Notification

    note = Notification.query.filter_by(user_id=user.id, kind="resolved").one()
    links = _links(app, note.id)
    assert len(links) == 5
    path = "/rate/" + links[3].rsplit("/rate/", 1)[1]  # rating 4
    before = snapshot()
    page = client.get(path)  # no login needed: the signed link is the key
    assert page.status_code == 200
    assert snapshot() == before, "opening the link must not record anything"
    html = text(page)
    assert re.search(r'value="4"[^>]*checked|checked[^>]*value="4"', html)
    assert "Send rating" in html
    resp = client.post(path, data={"rating": "4", "comment": ""})
    assert resp.status_code == 303
    assert satisfaction_service.rating_for(resolved).rating == 4
    # Clicking it again changes nothing but shows the rating given.
    assert "You rated this resolution <strong>4 out of 5</strong>" in text(client.get(path))


def test_a_tampered_or_expired_link_is_a_clear_4xx(app, client, user, resolved):
    token = satisfaction_service.make_link_token(resolved, 5)
    before = snapshot()
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in (tampered, "nonsense", "x" * 600, "%F0%9F%92%A9"):
        resp = client.get(f"/rate/{bad}")
        assert resp.status_code == 400 and "not valid" in text(resp)
        assert client.post(f"/rate/{bad}", data={"rating": "5"}).status_code == 400
    forged = URLSafeTimedSerializer("wrong-key", salt=satisfaction_service.TOKEN_SALT).dumps(
        {"t": resolved.id, "r": 1, "u": user.id, "v": 1}
    )
    assert client.get(f"/rate/{forged}").status_code == 400
    with time_machine.travel("2099-01-01", tick=False):
        resp = client.get(f"/rate/{token}")
        assert resp.status_code == 410 and "expired" in text(resp)
        assert client.post(f"/rate/{token}", data={"rating": "5"}).status_code == 410
    assert snapshot() == before


def test_a_link_for_an_earlier_resolution_is_refused(client, user, staff, resolved):
    token = satisfaction_service.make_link_token(resolved, 5)
    ticket_service.reopen_ticket(resolved, user)
    ticket_service.resolve_ticket(resolved, staff)
    resp = client.post(f"/rate/{token}", data={"rating": "5"})
    assert resp.status_code == 409 and "earlier resolution" in text(resp)
    assert count(TicketSatisfaction) == 0


def test_another_signed_in_person_cannot_use_the_link(client, login_as, other_user, resolved):
    token = satisfaction_service.make_link_token(resolved, 5)
    login_as(other_user)
    assert client.get(f"/rate/{token}").status_code == 404
    assert client.post(f"/rate/{token}", data={"rating": "5"}).status_code == 404
    assert count(TicketSatisfaction) == 0


# --- the API ---------------------------------------------------------------------------------


def test_api_rating(client, user, resolved):
    h = bearer(user)
    url = f"/api/tickets/{resolved.id}/satisfaction/"
    resp = client.post(url, json={"rating": 5, "comment": "Great"}, headers=h)
    assert resp.status_code == 201
    assert resp.json["rating"] == 5 and resp.json["resolution"] == 1
    resp = client.post(url, json={"rating": 3}, headers=h)
    assert resp.status_code == 200 and resp.json["rating"] == 3 and resp.json["comment"] == ""
    assert count(TicketSatisfaction) == 1


@pytest.mark.parametrize(
    "body",
    [{"rating": 6}, {"rating": 0}, {"rating": "five"}, {}, {"rating": True}, {"rating": 4.5},
     {"rating": 4, "comment": 7}, {"rating": 4, "comment": "\ud800"}, {"rating": None}],
)  # fmt: skip
def test_api_bad_ratings_are_422_with_the_error_shape(client, user, resolved, body):
    before = snapshot()
    resp = client.post(f"/api/tickets/{resolved.id}/satisfaction/", json=body, headers=bearer(user))
    assert resp.status_code == 422
    assert set(resp.json) == {"error", "field", "status"} and resp.json["status"] == 422
    assert snapshot() == before and count(TicketSatisfaction) == 0


def test_api_refuses_others_and_unresolved(client, user, other_user, staff, resolved, ticket):
    for who in (other_user, staff):
        resp = client.post(
            f"/api/tickets/{resolved.id}/satisfaction/", json={"rating": 5}, headers=bearer(who)
        )
        assert resp.status_code == 404
    resp = client.post(
        f"/api/tickets/{ticket.id}/satisfaction/", json={"rating": 5}, headers=bearer(user)
    )
    assert resp.status_code == 409 and "not resolved" in resp.json["error"]
    for bad in ("99999999999", "0", "abc"):
        resp = client.post(
            f"/api/tickets/{bad}/satisfaction/", json={"rating": 5}, headers=bearer(user)
        )
        assert resp.status_code == 404
    assert count(TicketSatisfaction) == 0
