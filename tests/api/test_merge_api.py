"""POST /api/tickets/<id>/merge/ {"into": id}: staff only, JSON errors like the rest of the API."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Ticket
from portal.services import merge as merge_service
from tests.api.test_api import bearer
from tests.factories import make_reply, make_ticket
from tests.helpers import snapshot


@pytest.fixture
def pair(user, other_user):
    return make_ticket(other_user, title="VPN down"), make_ticket(user, title="VPN is down")


def test_staff_merges_through_the_api(client, staff, pair):
    source, target = pair
    make_reply(source, staff, "internal", internal=True)
    resp = client.post(
        f"/api/tickets/{source.id}/merge/",
        json={"into": target.id, "version": source.version},
        headers=bearer(staff),
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["merged"]["merged_into"] == target.id
    assert resp.json["merged"]["status"] == "closed"
    moved = [r for r in resp.json["into"]["responses"] if r["merged_from"] == source.id]
    assert [r["is_internal"] for r in moved] == [False, True]  # description, then the note


def test_users_cannot_merge(client, user, other_user, pair):
    source, target = pair
    before = snapshot()
    # Their own ticket: 403. Someone else's: 404, as if it did not exist.
    own = client.post(
        f"/api/tickets/{target.id}/merge/", json={"into": source.id}, headers=bearer(user)
    )
    assert own.status_code == 403 and own.json["status"] == 403
    theirs = client.post(
        f"/api/tickets/{source.id}/merge/", json={"into": target.id}, headers=bearer(user)
    )
    assert theirs.status_code == 404 and theirs.json["status"] == 404
    assert snapshot() == before


@pytest.mark.parametrize("into", [None, "7", True, 1.5, [1]])
def test_into_must_be_a_ticket_id(client, staff, pair, into):
    source, _ = pair
    body = {} if into is None else {"into": into}
    resp = client.post(f"/api/tickets/{source.id}/merge/", json=body, headers=bearer(staff))
    assert resp.status_code == 422 and resp.json["field"] == "into"


def test_errors(client, staff, user, pair):
    source, target = pair
    h = bearer(staff)
    url = f"/api/tickets/{source.id}/merge/"
    assert client.post(url, json={"into": 999_999}, headers=h).status_code == 404
    assert client.post("/api/tickets/999999/merge/", json={"into": 1}, headers=h).status_code == 404
    itself = client.post(url, json={"into": source.id}, headers=h)
    assert itself.status_code == 422 and itself.json["field"] == "into"
    stale = client.post(url, json={"into": target.id, "version": 99}, headers=h)
    assert stale.status_code == 409
    assert client.post(url, json={"into": target.id}, headers=h).status_code == 200
    before = snapshot()
    again = client.post(url, json={"into": target.id}, headers=h)
    assert again.status_code == 409 and "already merged" in again.json["error"]
    back = client.post(f"/api/tickets/{target.id}/merge/", json={"into": source.id}, headers=h)
    assert back.status_code == 422 and "loop" in back.json["error"]
    assert snapshot() == before


def test_cc_requester_reads_the_targets_public_replies_only(client, staff, user, other_user, pair):
    source, target = pair
    make_reply(target, staff, "We are on it")
    note = make_reply(target, staff, "Internal: router 7 is the cause", internal=True)
    merge_service.merge_tickets(source, target, actor=staff)
    h = bearer(other_user)  # the merged ticket's requester
    detail = client.get(f"/api/tickets/{target.id}/", headers=h)
    assert detail.status_code == 200
    contents = [r["content"] for r in detail.json["responses"]]
    assert "We are on it" in contents and note.content not in contents
    listed = client.get(f"/api/responses/?ticket={target.id}", headers=h).json["items"]
    assert listed and not any(r["is_internal"] for r in listed)
    assert client.get(f"/api/responses/{note.id}/", headers=h).status_code == 404
    responses = client.get(f"/api/tickets/{target.id}/responses/", headers=h).json["items"]
    assert note.content not in [r["content"] for r in responses]
    # Following is not owning: they cannot close the target.
    assert client.post(f"/api/tickets/{target.id}/close/", headers=h).status_code == 403
    db.session.expire_all()
    assert db.session.get(Ticket, target.id).status != "closed"


def test_the_api_shows_a_moved_message_s_old_ticket_only_to_staff_and_its_author(
    client, app, user, other_user, staff
):
    source = make_ticket(other_user, title="Wifi down in the library")
    target = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(source, target, actor=staff)

    def moved(person):
        resp = client.get(f"/api/tickets/{target.id}/", headers=bearer(person))
        assert resp.status_code == 200
        return [
            r["merged_from"] for r in resp.json["responses"] if r["user"]["id"] == other_user.id
        ]

    assert moved(staff) == [source.id]
    assert moved(other_user) == [source.id]  # their own ticket
    assert moved(user) == [None]  # another requester's ticket number is not theirs to see
