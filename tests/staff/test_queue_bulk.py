"""The queue's bulk actions: checkboxes, the action bar, one POST, a summary, no-JS and htmx."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, TicketEvent
from portal.services import merge as merge_service
from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user
from tests.helpers import assert_fragment, form_fields, location_path, snapshot, text


@pytest.fixture
def rows(user):
    return [make_ticket(user, title=f"Laptop {i}") for i in range(4)]


def _status(ticket_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Ticket, ticket_id).status


def _form(client, url="/staff/") -> dict:
    return form_fields(text(client.get(url)), "/staff/bulk")


def test_rows_have_labelled_checkboxes_in_the_bulk_form(client, login_as, staff, rows):
    login_as(staff)
    html = text(client.get("/staff/"))
    for t in rows:
        assert re.search(
            rf'<input type="checkbox" form="queue-bulk" name="ticket_ids" value="{t.id}"[^>]*'
            rf'aria-label="Select ticket #{t.id}"',
            html,
        )
    assert (
        'id="queue-select-all"' in html and 'aria-label="Select all tickets on this page"' in html
    )
    fields = _form(client)
    assert fields["back"] == "" and f"{rows[0].id}:{rows[0].version}" in fields["versions"]


def test_no_js_post_redirects_back_to_the_same_queue_with_a_summary(client, login_as, staff, rows):
    login_as(staff)
    url = "/staff/?sort=oldest&priority=medium"
    data = _form(client, url) | {"action": "status", "status": "resolved"}
    data["ticket_ids"] = [str(rows[0].id), str(rows[1].id)]
    resp = client.post("/staff/bulk", data=data)
    assert resp.status_code == 303
    assert location_path(resp) == "/staff/"
    assert (
        "sort=oldest" in resp.headers["Location"] and "priority=medium" in resp.headers["Location"]
    )
    assert _status(rows[0].id) == _status(rows[1].id) == "resolved"
    assert _status(rows[2].id) == "open"
    page = text(client.get(resp.headers["Location"]))
    assert "Updated 2 tickets." in page


def test_htmx_swaps_the_results_with_the_summary(client, login_as, staff, rows, user, hx):
    ticket_service.resolve_ticket(rows[1], staff)
    target = make_ticket(user, title="Laptop (kept)")
    merge_service.merge_tickets(rows[2], target, actor=staff)
    login_as(staff)
    data = _form(client, "/staff/?status=all") | {"action": "status", "status": "resolved"}
    data["ticket_ids"] = [str(t.id) for t in rows[:3]]
    resp = client.post("/staff/bulk", data=data, headers=hx)
    assert resp.status_code == 200
    assert_fragment(resp)
    html = text(resp)
    assert html.startswith('<div id="queue-results">') or 'id="queue-results"' in html[:200]
    summary = re.search(r'<div id="bulk-summary"[^>]*>([^<]*)</div>', html).group(1)
    assert summary == (
        f"Updated 1 ticket. Not changed: #{rows[1].id} (already resolved), "
        f"#{rows[2].id} (merged into #{target.id})"
    )
    assert "ticket-updated" in resp.headers["HX-Trigger"]
    assert "HX-Request" in resp.headers.get("Vary", "")
    # The rows in the fragment show the new state (the same queue: all statuses).
    row = re.search(rf'<tr id="ticket-{rows[0].id}">.*?</tr>', html, re.S).group(0)
    assert "badge-status-resolved" in row


def test_each_ticket_is_audited_once_per_change(client, login_as, staff, rows):
    login_as(staff)
    data = _form(client) | {"action": "priority", "priority": "urgent"}
    data["ticket_ids"] = [str(t.id) for t in rows]
    client.post("/staff/bulk", data=data)
    db.session.expire_all()
    audited = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.actor_id, TicketEvent.new_value).where(
            TicketEvent.field == "priority"
        )
    ).all()
    assert sorted(audited) == sorted((t.id, staff.id, "urgent") for t in rows)


def test_assign_to_me_and_to_a_colleague(client, login_as, staff, rows):
    colleague = make_user("staff", name="Carla Colleague")
    login_as(staff)
    data = _form(client) | {"action": "assign", "assignee": "me", "ticket_ids": [str(rows[0].id)]}
    client.post("/staff/bulk", data=data)
    data |= {"assignee": str(colleague.id), "ticket_ids": [str(rows[1].id)]}
    client.post("/staff/bulk", data=data)
    db.session.expire_all()
    assert db.session.get(Ticket, rows[0].id).assigned_to_id == staff.id
    assert db.session.get(Ticket, rows[1].id).assigned_to_id == colleague.id


def test_stale_version_from_the_page_is_reported(client, login_as, staff, rows):
    login_as(staff)
    data = _form(client) | {"action": "status", "status": "closed"}
    ticket_service.update_ticket(rows[0], staff, {"priority": "high"})  # someone, meanwhile
    data["ticket_ids"] = [str(rows[0].id), str(rows[1].id)]
    resp = client.post("/staff/bulk", data=data, follow_redirects=True)
    assert "Updated 1 ticket." in text(resp)
    assert f"#{rows[0].id} (changed by someone else after the queue loaded)" in text(resp)
    assert _status(rows[0].id) == "open"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ticket_ids": []}, "Select at least one ticket."),
        ({"ticket_ids": [str(i) for i in range(1, 250)]}, "at most 200"),
        ({"ticket_ids": ["1", "abc"]}, "not ticket numbers"),
        ({"ticket_ids": ["99999999999999999999999"]}, "not ticket numbers"),
        ({"ticket_ids": ["²"]}, "not ticket numbers"),
        ({"action": "status", "status": "gone"}, "Choose a status"),
        ({"action": "assign", "assignee": "\x00"}, "Choose a staff member"),
        ({"action": "explode"}, "Choose what to change"),
        ({"action": ""}, "Choose what to change"),
    ],
)
def test_bad_input_is_a_422_beside_the_bar_and_changes_nothing(
    client, login_as, staff, rows, hx, extra, message
):
    login_as(staff)
    data = _form(client) | {"action": "status", "status": "closed"}
    data["ticket_ids"] = [str(rows[0].id)]
    data |= extra
    before = snapshot()
    for headers in ({}, hx):
        resp = client.post("/staff/bulk", data=data, headers=headers)
        assert resp.status_code == 422
        assert re.search(
            r'<p class="error" id="bulk-error"[^>]*>[^<]*' + re.escape(message), text(resp)
        )
    assert snapshot() == before


def test_missing_and_strange_back_values_fall_back_to_the_queue(client, login_as, staff, rows):
    login_as(staff)
    data = _form(client) | {"action": "status", "status": "closed", "ticket_ids": [str(rows[0].id)]}
    data["back"] = "https://evil.test/?q=%ED%A0%80&page=" + "9" * 500 + "&view=nope"
    resp = client.post("/staff/bulk", data=data)
    assert resp.status_code == 303 and location_path(resp) == "/staff/"
    assert "evil" not in resp.headers["Location"]


def test_a_plain_user_cannot_bulk_update(client, login_as, user, rows, hx):
    login_as(user)
    before = snapshot()
    data = {"action": "status", "status": "closed", "ticket_ids": [str(rows[0].id)]}
    assert client.post("/staff/bulk", data=data).status_code == 403
    assert client.post("/staff/bulk", data=data, headers=hx).status_code == 403
    assert snapshot() == before


def test_the_queue_still_answers_without_tickets(client, login_as, staff):
    login_as(staff)
    html = text(client.get("/staff/"))
    assert 'id="queue-bulk"' not in html  # no rows: no action bar


def test_a_lone_surrogate_in_the_raw_form_is_a_422(client, login_as, staff, rows):
    login_as(staff)
    before = snapshot()
    body = (
        b"action=status&status=closed&ticket_ids=%ED%A0%80&ticket_ids=" + str(rows[0].id).encode()
    )
    resp = client.post("/staff/bulk", data=body, content_type="application/x-www-form-urlencoded")
    # Refused at the door (portal/textguard.py), naming the field; nothing changes.
    assert resp.status_code == 422 and "ticket_ids" in text(resp) and "not text" in text(resp)
    assert snapshot() == before
