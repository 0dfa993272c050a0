"""What requesters see after staff merged one ticket into another."""

from __future__ import annotations

from portal.services import merge as merge_service
from tests.factories import make_reply, make_ticket
from tests.helpers import text


def test_cc_requester_sees_the_targets_public_thread_not_its_notes(
    client, login_as, user, other_user, staff, hx
):
    source = make_ticket(other_user, title="Library wifi down")
    target = make_ticket(user, title="No wifi in the library")
    make_reply(target, staff, "Engineers are on their way")
    make_reply(target, staff, "Internal: AP-17 died again", internal=True)
    merge_service.merge_tickets(source, target, actor=staff)
    make_reply(target, staff, "Fixed, please try again")
    make_reply(target, staff, "Internal: replaced AP-17", internal=True)

    login_as(other_user)
    mine = text(client.get("/tickets/"))
    assert f'merged into <a href="/tickets/{target.id}/">#{target.id}</a>' in mine
    page = text(client.get(f"/tickets/{source.id}/"))
    assert f'This ticket was merged into <a href="/tickets/{target.id}/">#{target.id}</a>' in page
    page = text(client.get(f"/tickets/{target.id}/"))
    assert "You follow this ticket because a ticket of yours was merged into it" in page
    assert "Engineers are on their way" in page and "Fixed, please try again" in page
    assert f"from your #{source.id}" in page  # their own words, marked
    assert "AP-17" not in page
    thread = text(client.get(f"/tickets/{target.id}/responses/", headers=hx))
    assert "Fixed, please try again" in thread and "AP-17" not in thread
    assert "Close ticket" not in page  # following is not owning

    # They can add to the conversation, like the requester.
    resp = client.post(f"/tickets/{target.id}/responses/", data={"content": "Works now, thanks"})
    assert resp.status_code == 303

    notices = text(client.get("/notifications/"))
    assert f"Your ticket #{source.id} was merged into #{target.id}" in notices


def test_target_requester_sees_the_merged_message_and_is_told(
    client, login_as, user, other_user, staff
):
    source = make_ticket(other_user, title="Library wifi down", description="Since 9am.")
    target = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(source, target, actor=staff)
    login_as(user)
    page = text(client.get(f"/tickets/{target.id}/"))
    assert "Since 9am." in page and "You follow this ticket" not in page
    # The other requester's words are marked, without their ticket's number.
    assert "from a merged request" in page and f"from #{source.id}" not in page
    assert client.get(f"/tickets/{source.id}/").status_code == 404
    notices = text(client.get("/notifications/"))
    assert f"Another request was merged into your ticket #{target.id}" in notices
    assert f"Ticket #{source.id}" not in notices


def test_merged_ticket_offers_no_reopen(client, login_as, other_user, user, staff):
    source = make_ticket(other_user, title="Library wifi down")
    target = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(source, target, actor=staff)
    login_as(other_user)
    page = text(client.get(f"/tickets/{source.id}/"))
    assert "Reopen" not in page
    assert f'continue the conversation in <a href="/tickets/{target.id}/">' in page
    resp = client.post(f"/tickets/{source.id}/reopen/", data={"version": source.version})
    assert resp.status_code == 303
    assert "merged into" in text(client.get(resp.headers["Location"]))


def test_no_public_reply_lands_on_a_merged_ticket(client, login_as, other_user, user, staff):
    from tests.api.test_api import bearer
    from tests.helpers import snapshot

    source = make_ticket(other_user, title="Library wifi down")
    target = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(source, target, actor=staff)
    before = snapshot()
    # The requester's tab still showed the reply form when staff merged.
    login_as(other_user)
    resp = client.post(f"/tickets/{source.id}/responses/", data={"content": "Still broken"})
    assert resp.status_code == 422
    assert f"This ticket was merged into #{target.id}: reply there." in text(resp)
    # Staff too: the requester would be told of a reply on a thread nobody follows.
    api = client.post(
        "/api/responses/",
        json={"ticket": source.id, "content": "Try again now"},
        headers=bearer(staff),
    )
    assert api.status_code == 422 and f"merged into #{target.id}" in api.json["error"]
    assert snapshot() == before
    note = client.post(
        "/api/responses/",
        json={"ticket": source.id, "content": "For the record", "internal": True},
        headers=bearer(staff),
    )
    assert note.status_code == 201  # a staff-only note harms nobody


def test_a_follower_is_not_told_to_reopen_what_they_cannot(
    client, login_as, other_user, user, staff
):
    from portal.services import tickets as ticket_service

    source = make_ticket(other_user, title="Library wifi down")
    target = make_ticket(user, title="No wifi in the library")
    merge_service.merge_tickets(source, target, actor=staff)
    ticket_service.close_ticket(target, user)
    login_as(other_user)
    page = text(client.get(f"/tickets/{target.id}/"))
    assert "This ticket is closed." in page and "Reopen" not in page
    login_as(user)
    assert "Reopen it to continue the conversation" in text(client.get(f"/tickets/{target.id}/"))
