"""Canned replies' pages and the reply box's picker, as staff use them."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import CannedReply, Ticket, TicketResponse
from portal.services import canned_replies as canned
from tests.factories import make_ticket, make_user
from tests.helpers import HX, form_fields, text

LIST = "/staff/canned-replies/"


@pytest.fixture
def requester(app):
    return make_user("user", name="Uma Requester")


@pytest.fixture
def tkt(requester):
    return make_ticket(requester, title="VPN drops every hour")


def _make(
    author, title="Password reset", body="Hi {{ requester.first_name }}, use the link.", **kw
):
    return canned.create_reply(author, canned.Fields(title=title, body=body, **kw))


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply))


def test_empty_list_says_what_they_are_for(client, login_as, staff):
    login_as(staff)
    page = text(client.get(LIST))
    assert "No canned replies yet." in page and "Write the first one" in page
    # Linked from the queue page.
    assert f'href="{LIST}"' in text(client.get("/staff/"))


def test_list_shows_usage_and_field_changes(client, login_as, staff):
    _make(staff, set_status="resolved", assign_to_me=True).usage_count = 3
    db.session.commit()
    login_as(staff)
    for headers in ({}, HX, HX | {"HX-Boosted": "true"}):
        resp = client.get(LIST, headers=headers)
        page = text(resp)
        assert resp.status_code == 200 and "HX-Request" in resp.headers.get("Vary", "")
        assert "Password reset" in page and "3 times" in page
        assert "status Resolved, assign to me" in page
        assert ("<html" in page) == (headers != HX)


def test_create_then_edit_then_delete(client, login_as, staff):
    login_as(staff)
    form = form_fields(text(client.get(LIST + "new")), "/staff/canned-replies/new")
    form.update(
        title="Closing: no reply",
        body="Hi {{ requester.first_name }}, closing #{{ ticket.id }} for now.",
        set_status="closed",
    )
    resp = client.post(LIST + "new", data=form)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(LIST)
    [row] = db.session.scalars(sa.select(CannedReply)).all()
    assert (row.title, row.set_status, row.created_by_id) == (
        "Closing: no reply",
        "closed",
        staff.id,
    )
    assert "Canned reply “Closing: no reply” saved." in text(client.get(LIST))

    edit = LIST + f"{row.id}/edit"
    form = form_fields(text(client.get(edit)), edit)
    assert form["title"] == "Closing: no reply" and form["set_status"] == "closed"
    form.update(title="Closing", set_status="", body="Closing this for now.")
    assert client.post(edit, data=form).status_code == 303
    db.session.expire_all()
    assert (row.title, row.set_status) == ("Closing", None)

    delete = LIST + f"{row.id}/delete"
    confirm = text(client.get(delete))
    assert "Delete “Closing”?" in html.unescape(confirm) and 'method="post"' in confirm
    assert _count() == 1  # asking deletes nothing
    resp = client.post(delete, headers=HX)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"].endswith(LIST)
    assert _count() == 0
    assert client.get(edit).status_code == 404
    assert client.post(delete).status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "Title is required."),
        ({"title": "t" * 5000}, "title", "Title must be at most 100 characters."),
        ({"body": ""}, "body", "Text is required."),
        ({"body": "x" * 200_000}, "body", "Text must be at most 10,000 characters."),
        ({"body": "Hi {{ requester.email }}"}, "body", "Unknown placeholder {{ requester.email }}"),
        ({"body": "{{ ''.__class__.__mro__ }}"}, "body", "Only plain placeholders work"),
        ({"body": "{% for i in range(10**9) %}x{% endfor %}"}, "body", "Tags such as {% for %}"),
        ({"body": "Hi {{ requester.first_name"}, "body", "cannot be read on line 1"),
        ({"set_status": "archived"}, "set_status", "Choose a status from the list."),
        ({"title": "Taken"}, "title", "Another canned reply already has this title."),
    ],
)
def test_bad_input_is_a_422_beside_the_field(client, login_as, staff, data, field, message):
    _make(staff, title="TAKEN")
    login_as(staff)
    form = {"title": "New one", "body": "Hello {{ requester.first_name }}"} | data
    for headers in ({}, HX):
        resp = client.post(LIST + "new", data=form, headers=headers)
        page = html.unescape(text(resp))
        assert resp.status_code == 422
        assert re.search(rf'id="{field}-error">[^<]*{re.escape(message)}', page), page[-3000:]
        assert 'aria-invalid="true"' in page
    assert _count() == 1


def test_preview_fills_a_sample_ticket_and_escapes_html(client, login_as, staff):
    login_as(staff)
    body = (
        "Hi {{ requester.first_name }} <script>alert(1)</script> #{{ ticket.id }} {{ agent.name }}"
    )
    resp = client.post(LIST + "preview", data={"body": body}, headers=HX)
    page = text(resp)
    assert resp.status_code == 200
    assert f"Hi Alex &lt;script&gt;alert(1)&lt;/script&gt; #123 {staff.name}" in page
    assert "<script>" not in page
    resp = client.post(LIST + "preview", data={"body": "{{ config }}"}, headers=HX)
    assert resp.status_code == 422 and "Unknown placeholder" in html.unescape(text(resp))
    assert "SECRET" not in text(resp)


def test_the_staff_ticket_page_has_the_picker_in_the_reply_form(client, login_as, staff, tkt):
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{tkt.id}/"))
    form = page[
        page.index('<form id="reply"') : page.index("</form>", page.index('<form id="reply"'))
    ]
    assert 'role="combobox"' in form
    assert f'hx-get="/staff/tickets/{tkt.id}/canned-replies"' in form
    assert 'name="canned_reply_id"' in form and 'name="canned_apply"' in form


def test_search_offers_replies_filled_in_for_this_ticket(client, login_as, staff, tkt):
    sly = _make(
        staff, title="<b>Bold</b> reset", body='Hi {{ requester.first_name }} "quoted" <i>x</i>'
    )
    _make(staff, title="Closing", body="Bye", set_status="closed")
    login_as(staff)
    resp = client.get(f"/staff/tickets/{tkt.id}/canned-replies?q=reset", headers=HX)
    page = text(resp)
    assert resp.status_code == 200
    assert f'data-canned-id="{sly.id}"' in page and "Closing" not in page
    assert "&lt;b&gt;Bold&lt;/b&gt; reset" in page and "<b>" not in page and "<i>" not in page
    assert 'data-canned-text="Hi Uma &#34;quoted&#34; &lt;i&gt;x&lt;/i&gt;"' in page
    page = text(client.get(f"/staff/tickets/{tkt.id}/canned-replies?q=clos", headers=HX))
    assert 'data-canned-changes="status Closed"' in page
    page = text(client.get(f"/staff/tickets/{tkt.id}/canned-replies?q=nothing-like-it", headers=HX))
    assert "No canned reply matches" in page
    for q in ("%ED%A0%80", "x" * 5000, "%25", "%00", "%FF"):
        url = f"/staff/tickets/{tkt.id}/canned-replies?q={q}"
        assert client.get(url, headers=HX).status_code == 200
    assert client.get("/staff/tickets/999999/canned-replies?q=r", headers=HX).status_code == 404
    assert client.get(f"/staff/tickets/{'9' * 40}/canned-replies", headers=HX).status_code == 404


def _send(client, ticket, **data):
    form = {"content": "Hi Uma, use the link.", "version": ticket.version, "client_token": "tok-1"}
    return client.post(f"/staff/tickets/{ticket.id}/responses/", data=form | data, headers=HX)


def test_sending_a_reply_that_used_one_counts_it_and_applies_its_changes(
    client, login_as, staff, tkt
):
    tpl = _make(staff, set_status="resolved", set_priority="high", assign_to_me=True)
    login_as(staff)
    resp = _send(client, tkt, canned_reply_id=str(tpl.id), canned_apply="1")
    assert resp.status_code == 200
    toast = resp.headers["HX-Trigger"]
    assert (
        "Reply sent; also set" in toast
        and "status Resolved" in toast
        and "assigned to you" in toast
    )
    db.session.expire_all()
    ticket = db.session.get(Ticket, tkt.id)
    assert (ticket.status, ticket.priority, ticket.assigned_to_id) == ("resolved", "high", staff.id)
    assert db.session.get(CannedReply, tpl.id).usage_count == 1
    assert "used the canned reply" in html.unescape(text(resp))
    # The same form sent twice (a double click): one reply, one use.
    _send(client, tkt, canned_reply_id=str(tpl.id), canned_apply="1")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketResponse)) == 1
    assert db.session.get(CannedReply, tpl.id).usage_count == 1
    assert "1 time" in text(client.get(LIST))


def test_removed_changes_are_not_applied(client, login_as, staff, tkt):
    tpl = _make(staff, set_status="resolved")
    login_as(staff)
    resp = _send(client, tkt, canned_reply_id=str(tpl.id), canned_apply="")
    assert resp.status_code == 200 and "also set" not in resp.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Ticket, tkt.id).status == "in_progress"
    assert db.session.get(CannedReply, tpl.id).usage_count == 1


@pytest.mark.parametrize("ident", ["999999", "abc", "9" * 5000, "-1", "²"])
def test_a_strange_canned_id_still_sends_the_reply(client, login_as, staff, tkt, ident):
    login_as(staff)
    resp = _send(client, tkt, canned_reply_id=ident, canned_apply="1")
    assert resp.status_code == 200 and "Reply sent" in resp.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(Ticket, tkt.id).status == "in_progress"


def test_a_refused_reply_keeps_the_pending_canned_reply(client, login_as, staff, tkt):
    tpl = _make(staff, set_status="resolved")
    login_as(staff)
    resp = _send(client, tkt, content="", canned_reply_id=str(tpl.id), canned_apply="1")
    page = html.unescape(text(resp))
    assert resp.status_code == 422
    assert (
        "Used “Password reset”." in page
        and "Will also set: <strong data-canned-changes>status Resolved" in page
    )
    assert db.session.get(CannedReply, tpl.id).usage_count == 0


def test_a_canned_reply_sent_by_html_in_the_requester_name_is_escaped_on_the_page(
    client, login_as, staff
):
    sly = make_user("user", name="<img src=x onerror=alert(1)>")
    ticket = make_ticket(sly, title="Hi")
    tpl = _make(staff, body="Hello {{ requester.name }}")
    login_as(staff)
    text_sent = canned.render(tpl, ticket, staff)
    resp = _send(client, ticket, content=text_sent, canned_reply_id=str(tpl.id))
    assert resp.status_code == 200
    assert "<img src=x" not in text(resp) and "Hello &lt;img src=x onerror=alert(1)&gt;" in text(
        resp
    )


def test_send_and_resolve_wins_over_the_canned_status(client, login_as, staff, tkt):
    tpl = _make(staff, set_status="in_progress", set_priority="urgent")
    login_as(staff)
    resp = _send(client, tkt, resolve="1", canned_reply_id=str(tpl.id), canned_apply="1")
    assert resp.status_code == 200
    db.session.expire_all()
    ticket = db.session.get(Ticket, tkt.id)
    assert (ticket.status, ticket.priority) == ("resolved", "urgent")


@pytest.mark.parametrize("role", ["user", "anonymous"])
def test_users_and_anonymous_change_nothing(client, login_as, staff, role):
    tpl = _make(staff)
    if role == "user":
        login_as(make_user("user"))
    for url, data in (
        (LIST + "new", {"title": "Mine", "body": "x"}),
        (LIST + f"{tpl.id}/edit", {"title": "Hijacked", "body": "x"}),
        (LIST + f"{tpl.id}/delete", {}),
    ):
        resp = client.post(url, data=data)
        assert resp.status_code == (403 if role == "user" else 302)
    db.session.expire_all()
    assert [r.title for r in db.session.scalars(sa.select(CannedReply))] == ["Password reset"]
