"""Staff ticket page: replies and notes, fields, quick actions, assignment, the audit timeline."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Ticket, TicketEvent, TicketResponse
from portal.services import tickets as ticket_service
from tests.factories import count, make_reply, make_ticket, make_user
from tests.helpers import form_fields, snapshot, text


def _version(html: str) -> int:
    return int(re.search(r'name="version"[^>]*value="(\d+)"', html).group(1))


def test_staff_reply_moves_open_ticket_to_in_progress(client, login_as, staff, ticket):
    login_as(staff)
    resp = client.post(f"/staff/tickets/{ticket.id}/responses/", data={"content": "Looking now"})
    assert resp.status_code == 303
    db.session.refresh(ticket)
    assert ticket.status == "in_progress"
    reply = db.session.scalars(db.select(TicketResponse)).one()
    assert (reply.response_type, reply.is_internal) == ("staff", False)
    assert "Reply sent" in text(client.get(f"/staff/tickets/{ticket.id}/"))


def test_internal_note_is_marked_and_keeps_status(client, login_as, staff, ticket, hx):
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{ticket.id}/responses/",
        data={"content": "Requester is a VIP", "internal": "y"},
        headers=hx,
    )
    assert resp.status_code == 200
    html = text(resp)
    assert "<html" not in html and f'id="ticket-{ticket.id}-main"' in html
    assert "Requester is a VIP" in html and "Internal note" in html
    assert "Note added" in resp.headers["HX-Trigger"]
    db.session.refresh(ticket)
    assert ticket.status == "open"


def test_staff_note_on_their_own_ticket_works(client, login_as, staff):
    from tests.factories import make_ticket

    own = make_ticket(staff, title="Staff member's own ticket")
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{own.id}/responses/", data={"content": "note to self", "internal": "y"}
    )
    assert resp.status_code == 303
    assert db.session.scalars(db.select(TicketResponse)).one().is_internal


def test_empty_staff_reply_is_422_with_message(client, login_as, staff, ticket, hx):
    login_as(staff)
    for headers in ({}, hx):
        resp = client.post(
            f"/staff/tickets/{ticket.id}/responses/", data={"content": ""}, headers=headers
        )
        assert resp.status_code == 422
        assert "Write a reply first." in text(resp)
    assert count(TicketResponse) == 0


def test_staff_reply_double_submit_makes_one_reply(client, login_as, staff, ticket):
    login_as(staff)
    for _ in range(2):
        client.post(
            f"/staff/tickets/{ticket.id}/responses/",
            data={"content": "Once only", "client_token": "s-1"},
        )
    assert count(TicketResponse) == 1


def test_update_fields_writes_audit_events(client, login_as, staff, ticket):
    login_as(staff)
    form = form_fields(text(client.get(f"/staff/tickets/{ticket.id}/")), "/fields")
    resp = client.post(
        f"/staff/tickets/{ticket.id}/fields",
        data=form | {"status": "resolved", "priority": "urgent", "category": "billing"},
    )
    assert resp.status_code == 303
    db.session.refresh(ticket)
    assert (ticket.status, ticket.priority, ticket.category) == ("resolved", "urgent", "billing")
    assert ticket.resolved_at is not None
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    timeline = page[page.index(f'id="ticket-{ticket.id}-timeline"') :]
    assert (
        "changed status" in timeline and 'Open</span> &rarr; <span class="new">Resolved' in timeline
    )
    assert "changed priority" in timeline and "Urgent" in timeline
    assert "changed category" in timeline and "Billing" in timeline
    assert staff.name in timeline


def test_invalid_field_choice_is_refused(client, login_as, staff, ticket):
    login_as(staff)
    before = snapshot()
    resp = client.post(
        f"/staff/tickets/{ticket.id}/fields",
        data={"status": "deleted", "priority": "high", "category": ""},
    )
    assert resp.status_code == 422
    assert "Choose values from the lists." in text(resp)
    assert snapshot() == before


def test_stale_fields_form_is_refused_and_changes_nothing(client, login_as, staff, ticket, hx):
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    data = form_fields(page, "/fields") | {"status": "closed", "priority": "low"}
    assert data["version"] == str(ticket.version)
    colleague = make_user("staff")
    ticket_service.update_ticket(ticket, colleague, {"priority": "high"})
    before = snapshot()
    resp = client.post(f"/staff/tickets/{ticket.id}/fields", data=data, headers=hx)
    assert resp.status_code == 409
    assert "Someone changed this ticket" in text(resp)
    assert snapshot() == before
    resp = client.post(f"/staff/tickets/{ticket.id}/fields", data=data)
    assert resp.status_code == 303
    assert "Someone changed this ticket" in text(client.get(f"/staff/tickets/{ticket.id}/"))
    assert snapshot() == before


def test_quick_actions_resolve_close_reopen(client, login_as, staff, ticket):
    login_as(staff)
    client.post(f"/staff/tickets/{ticket.id}/resolve")
    db.session.refresh(ticket)
    assert ticket.status == "resolved" and ticket.resolved_at is not None
    client.post(f"/staff/tickets/{ticket.id}/close")
    db.session.refresh(ticket)
    assert ticket.status == "closed"
    client.post(f"/staff/tickets/{ticket.id}/reopen")
    db.session.refresh(ticket)
    assert ticket.status == "open" and ticket.resolved_at is None


def test_stale_quick_action_is_refused(client, login_as, staff, ticket):
    login_as(staff)
    stale = ticket.version
    ticket_service.update_ticket(ticket, make_user("staff"), {"priority": "low"})
    before = snapshot()
    resp = client.post(f"/staff/tickets/{ticket.id}/resolve", data={"version": stale})
    assert resp.status_code in (303, 409)
    assert snapshot() == before


def test_assign_to_me_button(client, login_as, staff, ticket):
    colleague = make_user("staff", name="Colleague Carla")
    ticket_service.assign_ticket(ticket, colleague, colleague)
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    form = form_fields(page, "/assign")
    assert form["version"] == str(ticket.version)
    # The browser sends the select's current value first, then the clicked button's.
    resp = client.post(
        f"/staff/tickets/{ticket.id}/assign",
        data={**form, "assignee": [form["assignee"], "me"]},
    )
    assert resp.status_code == 303
    db.session.refresh(ticket)
    assert ticket.assigned_to_id == staff.id
    event = db.session.scalars(
        db.select(TicketEvent)
        .where(TicketEvent.field == "assignee")
        .order_by(TicketEvent.id.desc())
    ).first()
    assert (event.old_value, event.new_value, event.actor_id) == (
        "Colleague Carla",
        staff.name,
        staff.id,
    )


def test_assign_to_colleague_and_unassign(client, login_as, staff, ticket):
    colleague = make_user("staff", name="Colleague Carla")
    login_as(staff)
    client.post(f"/staff/tickets/{ticket.id}/assign", data={"assignee": str(colleague.id)})
    db.session.refresh(ticket)
    assert ticket.assigned_to_id == colleague.id
    client.post(f"/staff/tickets/{ticket.id}/assign", data={"assignee": ""})
    db.session.refresh(ticket)
    assert ticket.assigned_to_id is None
    timeline = text(
        client.get(f"/staff/tickets/{ticket.id}/events", headers={"HX-Request": "true"})
    )
    assert "Colleague Carla" in timeline


def test_cannot_assign_to_a_user_or_unknown_id(client, login_as, staff, ticket, user):
    login_as(staff)
    before = snapshot()
    for value in (str(user.id), "999999", "99999999999999999999", "abc"):
        resp = client.post(f"/staff/tickets/{ticket.id}/assign", data={"assignee": value})
        assert resp.status_code == 422, value
        assert "Choose a staff member from the list." in text(resp)
    assert snapshot() == before


def test_internal_notes_are_visible_to_staff_only(client, login_as, staff, user, ticket, hx):
    make_reply(ticket, staff, "Public answer")
    make_reply(ticket, staff, "SECRET internal remark", internal=True)
    login_as(staff)
    assert "SECRET internal remark" in text(client.get(f"/staff/tickets/{ticket.id}/"))
    login_as(user)
    for path in (f"/tickets/{ticket.id}/", f"/tickets/{ticket.id}/responses/"):
        for headers in ({}, hx, {"HX-Request": "true", "HX-Boosted": "true"}):
            html = text(client.get(path, headers=headers))
            assert "Public answer" in html
            assert "SECRET internal remark" not in html
            assert "Internal note" not in html
    resp = client.post(f"/tickets/{ticket.id}/responses/", data={"content": "ok"}, headers=hx)
    assert "SECRET internal remark" not in text(resp)
    assert "SECRET" not in text(client.get("/tickets/"))


def test_timeline_records_every_change_with_actor(client, login_as, staff, user, ticket):
    make_reply(ticket, user, "more info")
    make_reply(ticket, staff, "answer")
    make_reply(ticket, staff, "note", internal=True)
    ticket_service.update_ticket(ticket, staff, {"priority": "high"})
    login_as(staff)
    html = text(client.get(f"/staff/tickets/{ticket.id}/events", headers={"HX-Request": "true"}))
    assert "opened the ticket" in html
    assert "replied" in html
    assert "added an internal note" in html
    assert "changed priority" in html and "Medium" in html and "High" in html
    assert "(staff replied)" in html  # the automatic open -> in progress
    assert user.name in html and staff.name in html


def test_unknown_and_huge_ids_are_404_for_staff(client, login_as, staff):
    login_as(staff)
    for path in ("/staff/tickets/999/", "/staff/tickets/99999999999999999999/"):
        assert client.get(path).status_code == 404
    assert client.post("/staff/tickets/99999999999999999999/resolve").status_code == 404


def test_htmx_field_update_and_quick_action_swap_the_ticket_in_place(
    client, login_as, staff, ticket, hx
):
    login_as(staff)
    form = form_fields(text(client.get(f"/staff/tickets/{ticket.id}/")), "/fields")
    resp = client.post(
        f"/staff/tickets/{ticket.id}/fields", data=form | {"priority": "urgent"}, headers=hx
    )
    assert resp.status_code == 200
    html = text(resp)
    assert "<html" not in html and html.lstrip().startswith(f'<div id="ticket-{ticket.id}-main"')
    assert "badge-priority-urgent" in html
    assert "ticket-updated" in resp.headers["HX-Trigger"]
    assert "Ticket updated" in resp.headers["HX-Trigger"]
    # the re-rendered forms carry the new version, so the next change is not "stale"
    fresh = form_fields(html, "/resolve")
    resp = client.post(f"/staff/tickets/{ticket.id}/resolve", data=fresh, headers=hx)
    assert resp.status_code == 200
    assert "Ticket resolved" in resp.headers["HX-Trigger"]
    assert "badge-status-resolved" in text(resp)


def test_quick_actions_refuse_a_page_that_is_out_of_date(client, login_as, staff, user):
    ticket = make_ticket(user, title="Projector flickers")
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    resolve = page[page.index(f'action="/staff/tickets/{ticket.id}/resolve"') :]
    resolve = resolve[: resolve.index("</form>")]
    seen = re.search(r'name="version" value="(\d+)"', resolve)
    assert seen, "the Resolve form carries the version the agent saw"
    other = make_user("staff")
    ticket_service.update_ticket(ticket, other, {"priority": "urgent"})  # meanwhile
    url = f"/staff/tickets/{ticket.id}/resolve"
    resp = client.post(url, data={"version": seen.group(1)}, headers={"HX-Request": "true"})
    assert resp.status_code == 409
    resp = client.post(url, data={"version": seen.group(1)}, follow_redirects=True)
    assert "Someone changed this ticket after you opened it" in text(resp)
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "open"
