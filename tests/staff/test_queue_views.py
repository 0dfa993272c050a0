"""The queue's built-in views (default: active tickets), their counts, and ticket-number and
requester search."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.models.base import utcnow
from portal.services import tickets as ticket_service
from portal.services.cache import clear_queue_counts
from portal.services.queue import QueueFilters
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import is_full_page, text


def _rows(html: str) -> set[str]:
    return set(
        re.findall(
            r'<tr id="ticket-\d+">\s*(?:<td class="col-select[^"]*">.*?</td>\s*)?<td[^>]*><a [^>]*>#\d+ ([^<]*)</a>',
            html,
        )
    )


def _view_count(html: str, view: str) -> int:
    return int(re.search(rf'id="view-count-{view}">(\d+)<', html).group(1))


@pytest.fixture
def views_data(app, user, staff):
    """One ticket per situation the views tell apart."""
    colleague = make_user("staff", name="Colleague Carla")
    t = {
        "new": make_ticket(user, title="New and untouched"),
        "answered": make_ticket(user, title="Answered by staff"),
        "came_back": make_ticket(user, title="Requester came back"),
        "noted": make_ticket(user, title="Only an internal note"),
        "mine": make_ticket(user, title="Assigned to me"),
        "theirs": make_ticket(user, title="Assigned to Carla"),
        "human": make_ticket(user, title="Wants a person"),
        "resolved": make_ticket(user, title="Resolved today"),
        "old": make_ticket(user, title="Resolved long ago"),
        "closed": make_ticket(user, title="Closed one"),
    }
    make_reply(t["answered"], staff, "Try turning it off and on.")
    make_reply(t["came_back"], staff, "Does it work now?")
    make_reply(t["came_back"], user, "No, still broken.")
    make_reply(t["noted"], staff, "Looks like the SSO bug", internal=True)
    for key in ("mine", "theirs", "human"):
        make_reply(t[key], staff, "On it.")
    ticket_service.assign_ticket(t["mine"], staff, staff)
    ticket_service.assign_ticket(t["theirs"], staff, colleague)
    ticket_service.update_ticket(t["human"], staff, {"needs_human": True})
    ticket_service.resolve_ticket(t["resolved"], staff)
    ticket_service.resolve_ticket(t["old"], staff)
    ticket_service.close_ticket(t["closed"], staff)
    db.session.execute(
        sa.update(type(t["old"]))
        .where(type(t["old"]).id == t["old"].id)
        .values(resolved_at=utcnow() - timedelta(days=8))
    )
    db.session.commit()
    clear_queue_counts()
    return t


ACTIVE = {
    "New and untouched",
    "Answered by staff",
    "Requester came back",
    "Only an internal note",
    "Assigned to me",
    "Assigned to Carla",
    "Wants a person",
}
VIEWS = {
    "active": ACTIVE,
    "mine": {"Assigned to me"},
    "unassigned": ACTIVE - {"Assigned to me", "Assigned to Carla"},
    "waiting": {"New and untouched", "Requester came back", "Only an internal note"},
    "human": {"Wants a person"},
    "resolved": {"Resolved today"},
}


def test_default_view_is_active_tickets(client, login_as, staff, views_data):
    login_as(staff)
    html = text(client.get("/staff/"))
    assert _rows(html) == ACTIVE  # neither resolved nor closed
    assert re.search(r'<a id="view-active"[^>]*aria-current="page"', html)
    assert html.count('aria-current="page"') == 1
    assert '<option value="active" selected>' in html


def test_all_statuses_and_single_statuses_stay_available(client, login_as, staff, views_data):
    login_as(staff)
    assert len(_rows(text(client.get("/staff/?status=all")))) == 10
    assert _rows(text(client.get("/staff/?status=closed"))) == {"Closed one"}
    assert _rows(text(client.get("/staff/?status=resolved"))) == {
        "Resolved today",
        "Resolved long ago",
    }


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_lists_its_tickets_and_counts_them(client, login_as, staff, views_data, view):
    login_as(staff)
    html = text(client.get(f"/staff/?view={view}"))
    assert _rows(html) == VIEWS[view]
    assert re.search(rf'<a id="view-{view}"[^>]*aria-current="page"', html)
    for key, members in VIEWS.items():
        assert _view_count(html, key) == len(members), key


def test_views_combine_with_filters_and_keep_them_in_links(client, login_as, staff, views_data):
    login_as(staff)
    html = text(client.get("/staff/?view=waiting&q=requester&sort=oldest"))
    assert _rows(html) == {"Requester came back"}
    hrefs = dict(re.findall(r'<a id="view-(\w+)"\s+class="[^"]*"\s+href="([^"]*)"', html))
    assert "view=unassigned" in hrefs["unassigned"] and "q=requester" in hrefs["unassigned"]
    assert "sort=oldest" in hrefs["unassigned"] and "view=" not in hrefs["active"]
    # The filter form carries the view along.
    assert '<input type="hidden" name="view" value="waiting">' in html


def test_view_pager_keeps_the_view(client, login_as, staff, user):
    for n in range(27):
        make_ticket(user, title=f"Bulk {n:02d}")
    login_as(staff)
    html = text(client.get("/staff/?view=unassigned"))
    assert "Page 1 of 2 · 27 tickets" in html
    assert "view=unassigned" in re.search(r'href="([^"]*page=2[^"]*)"', html).group(1)
    assert len(_rows(text(client.get("/staff/?view=unassigned&page=2")))) == 2


def test_counts_follow_changes(client, login_as, staff, user, views_data):
    login_as(staff)
    assert _view_count(text(client.get("/staff/counts")), "waiting") == 3
    make_reply(views_data["new"], staff, "Hello!")
    html = text(client.get("/staff/counts"))
    assert (_view_count(html, "waiting"), _view_count(html, "active")) == (2, 7)
    ticket_service.assign_ticket(views_data["new"], staff, staff)
    assert _view_count(text(client.get("/staff/counts")), "mine") == 2


def test_my_open_is_per_viewer(client, login_as, views_data):
    other = make_user("staff")
    login_as(other)
    html = text(client.get("/staff/?view=mine"))
    assert _rows(html) == set() and _view_count(html, "mine") == 0
    assert "You have no open tickets assigned to you." in html


@pytest.mark.parametrize(
    ("view", "message"),
    [
        ("active", "The queue is empty"),
        ("mine", "You have no open tickets assigned to you."),
        ("unassigned", "Every active ticket has an assignee."),
        ("waiting", "No tickets are waiting on you."),
        ("human", "No tickets are asking for a person."),
        ("resolved", "No tickets were resolved in the last 7 days."),
    ],
)
def test_empty_state_per_view(client, login_as, staff, view, message):
    login_as(staff)
    assert message in text(client.get(f"/staff/?view={view}"))
    assert "No tickets match these filters" in text(client.get(f"/staff/?view={view}&q=zzz"))


def test_view_counts_are_one_query_and_memoised(app, client, login_as, staff, views_data):
    login_as(staff)
    client.get("/staff/")  # warm the cache
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        client.get("/staff/?view=waiting")
        cached = [s for s in statements if "CASE WHEN" in s.upper()]
        statements.clear()
        clear_queue_counts()
        client.get("/staff/?view=waiting")
        fresh = [s for s in statements if "CASE WHEN" in s.upper()]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert cached == []  # served from the memoised counts
    assert len(fresh) == 1  # every view's count in a single statement


@pytest.mark.parametrize("q", ["#{id}", "{id}", "  #{id} "])
def test_search_by_ticket_number(client, login_as, staff, views_data, q):
    login_as(staff)
    closed = views_data["closed"]
    # The number finds the ticket whatever view or status it is in.
    html = text(client.get("/staff/", query_string={"q": q.format(id=closed.id)}))
    assert _rows(html) == {"Closed one"}


def test_search_by_requester_name_and_email(client, login_as, staff):
    ada = make_user(name="Ada Lovelace", email="Ada.L@Example.test")
    bob = make_user(name="Bob Builder", email="bob@builders.test")
    make_ticket(ada, title="Engine broken")
    make_ticket(bob, title="Fence broken")
    login_as(staff)
    for q in ("lovelace", "ADA LOVE", "ada.l@example", "EXAMPLE.TEST ada"):
        assert _rows(text(client.get("/staff/", query_string={"q": q}))) == {"Engine broken"}, q
    assert _rows(text(client.get("/staff/?q=builders.test"))) == {"Fence broken"}
    assert _rows(text(client.get("/staff/?q=broken"))) == {"Engine broken", "Fence broken"}


def test_a_user_cannot_see_the_queue(client, login_as, user, views_data):
    login_as(user)
    for url in ("/staff/", "/staff/?view=waiting", "/staff/counts?view=mine"):
        assert client.get(url).status_code == 403


def test_htmx_requests_get_fragments(client, login_as, staff, views_data, hx):
    login_as(staff)
    for url in ("/staff/?view=waiting", "/staff/?q=%23{}".format(views_data["new"].id)):
        resp = client.get(url, headers=hx)
        assert resp.status_code == 200 and not is_full_page(resp)
        assert text(resp).lstrip().startswith('<div id="queue-results">')
        assert "HX-Request" in resp.headers["Vary"]
    resp = client.get("/staff/counts?view=human", headers=hx)
    assert not is_full_page(resp) and 'aria-current="page"' in text(resp)
    assert re.search(r'<a id="view-human"[^>]*aria-current="page"', text(resp))


@pytest.mark.parametrize(
    "query",
    [
        "q=%23" + "9" * 30,
        "q=" + "9" * 5000,
        "q=%23-1",
        "q=%230",
        "q=%ED%A0%80",  # an encoded lone surrogate
        "q=%FF%FE",  # not UTF-8
        "q=%00%23",
        "view=%ED%A0%80",
        "view=" + "9" * 5000,
        "status=%FF",
        "view=waiting&page=99999999999999999999",
        "q=%E0%A4%A&view=mine",
    ],
)
def test_bad_query_values_never_fail(client, login_as, staff, views_data, query, hx):
    login_as(staff)
    for headers in ({}, hx):
        resp = client.get(f"/staff/?{query}", headers=headers)
        assert resp.status_code < 500
        if resp.status_code == 200 and "q=" in query:
            assert _rows(text(resp)) == set()
        assert client.get(f"/staff/counts?{query}", headers=headers).status_code < 500


def test_search_with_surrogates_from_python(app):
    """A lone surrogate cannot reach the database, even from code that builds the args."""
    assert QueueFilters.from_args(MultiDict({"q": "a\ud800b"})).q == "ab"
