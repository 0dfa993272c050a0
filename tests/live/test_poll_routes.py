"""The live poll (/live/): 204 when nothing changed, the changed scopes otherwise; requesters
never learn of internal notes through it, never poll staff scopes or others' tickets."""

from __future__ import annotations

import re

import pytest

from portal.services import live
from portal.services import tickets as ticket_service
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import HX, text

JSON = {"Accept": "application/json"}


@pytest.fixture
def ticket(user):
    return make_ticket(user, title="Grades missing")


def _version(html: str, scope: str) -> str:
    match = re.search(rf'data-live="{re.escape(scope)}" data-live-version="(\w*)"', html)
    assert match, f"no live root for {scope}"
    return match.group(1)


def _poll(client, *scopes, **params):
    query = [("s", f"{s}:{v}") for s, v in scopes] + list(params.items())
    return client.get("/live/", query_string=query, headers=JSON)


def test_requester_page_polls_and_gets_204_until_a_public_reply(
    client, login_as, user, staff, ticket
):
    login_as(user)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    scope = f"ticket-{ticket.id}"
    version = _version(page, scope)
    badge = _version(page, "notifications")

    resp = _poll(client, (scope, version), ("notifications", badge))
    assert resp.status_code == 204 and resp.data == b""
    assert resp.headers["Cache-Control"] == "no-store"

    make_reply(ticket, staff, "A first answer")
    make_reply(ticket, staff, "And a second one, after the first answer")
    resp = _poll(client, (scope, version), ("notifications", badge))
    assert resp.status_code == 200
    changed = resp.get_json()["changed"]
    assert set(changed) == {scope, "notifications"}

    # The fragment the page then fetches has both replies, as a fragment.
    fragment = client.get(f"/tickets/{ticket.id}/", headers=HX)
    assert "And a second one, after the first answer" in text(fragment)
    assert "A first answer" in text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    # ... and the new version makes the next poll quiet again.
    assert (
        _poll(
            client, (scope, changed[scope]), ("notifications", changed["notifications"])
        ).status_code
        == 204
    )


def test_an_internal_note_never_reaches_the_requester(client, login_as, user, staff, ticket):
    login_as(user)
    scope = f"ticket-{ticket.id}"
    version = _version(text(client.get(f"/tickets/{ticket.id}/")), scope)
    make_reply(ticket, staff, "INTERNAL: refund approved by finance", internal=True)
    resp = _poll(client, (scope, version))
    assert resp.status_code == 204  # not even a hint that something happened
    fragment = client.get(f"/tickets/{ticket.id}/", headers=HX)
    assert "INTERNAL" not in text(fragment)


def test_requester_status_change_is_seen(client, login_as, user, staff, ticket):
    login_as(user)
    scope = f"ticket-{ticket.id}"
    version = _version(text(client.get(f"/tickets/{ticket.id}/")), scope)
    ticket_service.update_ticket(ticket, staff, {"status": "resolved"})
    assert scope in _poll(client, (scope, version)).get_json()["changed"]
    assert "Resolved" in text(client.get(f"/tickets/{ticket.id}/", headers=HX))


def test_another_users_ticket_is_404_and_staff_scopes_refuse_requesters(
    client, login_as, user, other_user, ticket
):
    login_as(other_user)
    assert _poll(client, (f"ticket-{ticket.id}", "")).status_code == 404
    login_as(user)
    assert _poll(client, ("queue", "")).status_code == 404
    assert _poll(client, (f"staff-ticket-{ticket.id}", "")).status_code == 404
    assert _poll(client, (f"ticket-{ticket.id}", ""), p=str(ticket.id)).status_code == 404
    leave = client.post(f"/live/tickets/{ticket.id}/leave")
    assert leave.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        [("s", "ticket-999999:abc")],
        [("s", "nonsense:abc")],
        "s=ticket-%ED%A0%80:x",  # a lone surrogate, as a browser would encode it
        [("s", "ticket-" + "1" * 5000 + ":x")],
        [("s", "queue:x"), ("p", "abc")],
        [("s", "queue:x"), ("p", "999999")],
    ],
)
def test_strange_polls_are_clear_4xx(client, login_as, staff, query):
    login_as(staff)
    if isinstance(query, str):
        resp = client.get("/live/?" + query, headers=JSON)
    else:
        resp = client.get("/live/", query_string=query, headers=JSON)
    assert resp.status_code == 404


def test_too_many_scopes_is_a_400(client, login_as, staff):
    login_as(staff)
    resp = client.get("/live/", query_string=[("s", "queue:x")] * 20, headers=JSON)
    assert resp.status_code == 400


def test_a_huge_or_odd_token_just_counts_as_changed(client, login_as, staff, ticket):
    login_as(staff)
    for token in ("x" * 5000, "%ED%A0%80", "%3Cscript%3E"):
        resp = client.get(f"/live/?s=queue:{token}", headers=JSON)
        assert resp.status_code == 200 and "queue" in resp.get_json()["changed"]


def test_staff_queue_poll_follows_new_tickets(client, login_as, staff, user):
    login_as(staff)
    page = text(client.get("/staff/?priority=urgent"))
    version = _version(page, "queue")
    assert _poll(client, ("queue", version)).status_code == 204
    make_ticket(user, title="Exam server down", priority="urgent")
    resp = _poll(client, ("queue", version))
    assert "queue" in resp.get_json()["changed"]
    # The fragment keeps the page's filters (the browser asks for its current address).
    rows = text(client.get("/staff/?priority=urgent", headers=HX))
    assert "Exam server down" in rows and "<html" not in rows


def test_staff_ticket_poll_sees_notes_and_field_changes(client, login_as, staff, ticket):
    login_as(staff)
    scope = f"staff-ticket-{ticket.id}"
    version = _version(text(client.get(f"/staff/tickets/{ticket.id}/")), scope)
    assert _poll(client, (scope, version)).status_code == 204
    colleague = make_user("staff", name="Kim")
    make_reply(ticket, colleague, "Checked the logs", internal=True)
    changed = _poll(client, (scope, version)).get_json()["changed"]
    fragment = text(client.get(f"/staff/tickets/{ticket.id}/", headers=HX))
    assert "Checked the logs" in fragment and "added an internal note" in fragment
    ticket_service.update_ticket(ticket, colleague, {"priority": "urgent"})
    assert scope in _poll(client, (scope, changed[scope])).get_json()["changed"]


def test_presence_through_the_poll(app, client, login_as, staff, ticket):
    sam = make_user("staff", name="Sam Second")
    login_as(sam)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))  # opening the page counts
    assert "Sam Second" not in page.split('class="presence"')[1].split("</div>")[0]

    login_as(staff)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    assert "Sam Second is viewing" in page

    login_as(sam)
    resp = _poll(client, p=str(ticket.id), pv="", typing="reply")
    assert resp.status_code == 200
    assert resp.get_json()["presence"]["lines"] == [f"{staff.name} is viewing"]

    login_as(staff)
    resp = _poll(client, p=str(ticket.id), pv="")
    presence = resp.get_json()["presence"]
    assert presence["lines"] == ["Sam Second is typing a reply…"]
    # Unchanged presence, unchanged versions: nothing to say.
    assert _poll(client, p=str(ticket.id), pv=presence["token"]).status_code == 204

    login_as(sam)
    assert client.post(f"/live/tickets/{ticket.id}/leave").status_code == 204
    login_as(staff)
    assert (
        _poll(client, p=str(ticket.id), pv=presence["token"]).get_json()["presence"]["lines"] == []
    )


def test_anonymous_poll_asks_for_login(client, ticket):
    resp = client.get("/live/", query_string=[("s", f"ticket-{ticket.id}:x")], headers=JSON)
    assert resp.status_code == 401


def test_nothing_depends_on_javascript(client, login_as, user, staff, ticket):
    """A reload shows current data: the page itself renders every reply and the status."""
    login_as(user)
    client.get(f"/tickets/{ticket.id}/")
    make_reply(ticket, staff, "Answer one")
    make_reply(ticket, staff, "Answer two")
    ticket_service.update_ticket(ticket, staff, {"status": "resolved"})
    page = text(client.get(f"/tickets/{ticket.id}/"))
    assert "Answer one" in page and "Answer two" in page and "Resolved" in page
    assert live.ticket_token(ticket.id) in page
