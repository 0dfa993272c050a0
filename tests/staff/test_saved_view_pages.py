"""Saved views on the queue: save, tabs beside the built-in ones, open, rename, delete, privacy."""

from __future__ import annotations

import re

import pytest

from portal.models import SavedView
from portal.services import saved_views as sv
from portal.services.queue import QueueFilters
from tests.factories import count, make_ticket, make_user
from tests.helpers import location_path, snapshot, text


def _rows(html: str) -> set[str]:
    return set(re.findall(r'<tr id="ticket-\d+">.*?<a [^>]*>#\d+ ([^<]*)</a>', html, re.S))


@pytest.fixture
def tickets(user):
    return {
        "urgent": make_ticket(user, title="Urgent VPN", priority="urgent"),
        "low": make_ticket(user, title="Low printer", priority="low"),
        "urgent2": make_ticket(user, title="Urgent wifi", priority="urgent"),
    }


def _save(client, name, **filters):
    return client.post("/staff/views/", data={"name": name, **filters})


def test_save_the_current_queue_and_open_it_again(client, login_as, staff, tickets):
    login_as(staff)
    page = text(client.get("/staff/?priority=urgent&sort=oldest"))
    # The save form carries the queue's filters.
    assert '<input type="hidden" name="priority" value="urgent" data-queue-arg>' in page
    resp = _save(client, "My urgent", priority="urgent", sort="oldest", status="active")
    assert resp.status_code == 303
    link = resp.headers["Location"]
    assert location_path(resp) == "/staff/"
    html = text(client.get(link))
    assert _rows(html) == {"Urgent VPN", "Urgent wifi"}
    assert "Saved the view “My urgent”." in html
    view = sv.list_views(staff)[0]
    tab = re.search(rf'<a id="saved-view-{view.id}"[^>]*>.*?</a>', html, re.S).group(0)
    assert 'aria-current="page"' in tab and "My urgent" in tab
    assert re.search(rf'id="saved-view-count-{view.id}">2<', tab)
    # The built-in tab is not also "current".
    assert html.count('aria-current="page"') == 1
    # The tab's link reproduces the same rows.
    href = re.search(r'href="([^"]+)"', tab).group(1).replace("&amp;", "&")
    assert _rows(text(client.get(href))) == {"Urgent VPN", "Urgent wifi"}


def test_tabs_are_on_the_counts_fragment_too(client, login_as, staff, tickets, hx):
    sv.create_view(staff, "Low ones", QueueFilters(priority="low"))
    login_as(staff)
    html = text(client.get("/staff/counts?priority=low", headers=hx))
    assert "Low ones" in html and 'aria-current="page"' in html


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Give the view a name."), ("x" * 500, "60 characters"), ("\x00 ", "Give the view")],
)
def test_bad_names_are_422_beside_the_field(client, login_as, staff, name, message):
    login_as(staff)
    resp = _save(client, name, priority="urgent")
    assert resp.status_code == 422
    html = text(resp)
    assert re.search(r'<p class="error" id="save-view-name-error">[^<]*' + message, html)
    assert '<details class="save-view" id="save-view" open>' in html
    assert count(SavedView) == 0


def test_duplicate_name_for_the_same_person_is_422(client, login_as, staff):
    colleague = make_user("staff")
    sv.create_view(colleague, "Billing", QueueFilters())  # another person's: no clash
    login_as(staff)
    assert _save(client, "Billing", category="billing").status_code == 303
    resp = _save(client, "billing", category="technical")
    assert resp.status_code == 422 and "already have a view" in text(resp)


def test_cap_is_a_422(client, login_as, staff):
    for i in range(sv.MAX_PER_USER):
        sv.create_view(staff, f"V{i}", QueueFilters())
    login_as(staff)
    resp = _save(client, "One more")
    assert resp.status_code == 422 and "delete one first" in text(resp)


def test_views_are_private(client, login_as, staff):
    colleague = make_user("staff", name="Carla")
    theirs = sv.create_view(colleague, "Carla's secret view", QueueFilters(priority="low"))
    login_as(staff)
    assert "Carla&#39;s secret view" not in text(client.get("/staff/"))
    assert "Carla&#39;s secret view" not in text(client.get("/staff/views/"))
    before = snapshot()
    assert client.post(f"/staff/views/{theirs.id}/rename", data={"name": "Mine"}).status_code == 404
    assert client.post(f"/staff/views/{theirs.id}/delete").status_code == 404
    assert snapshot() == before
    assert [v.name for v in sv.list_views(colleague)] == ["Carla's secret view"]


def test_rename_and_delete(client, login_as, staff):
    view = sv.create_view(staff, "Old", QueueFilters(priority="high"))
    other = sv.create_view(staff, "Taken", QueueFilters())
    login_as(staff)
    page = text(client.get("/staff/views/"))
    assert "Old" in page and f'action="/staff/views/{view.id}/rename"' in page
    resp = client.post(f"/staff/views/{view.id}/rename", data={"name": "Taken"})
    assert resp.status_code == 422
    assert re.search(rf'<p class="error" id="rename-{view.id}-error">You already have', text(resp))
    resp = client.post(f"/staff/views/{view.id}/rename", data={"name": "  "})
    assert resp.status_code == 422
    resp = client.post(f"/staff/views/{view.id}/rename", data={"name": "New"})
    assert resp.status_code == 303
    assert "Renamed “Old” to “New”." in text(client.get("/staff/views/"))
    resp = client.post(f"/staff/views/{other.id}/delete")
    assert resp.status_code == 303
    assert [v.name for v in sv.list_views(staff)] == ["New"]


@pytest.mark.parametrize("path", ["/staff/views/0/rename", "/staff/views/99999999999/delete"])
def test_strange_view_ids_are_404(client, login_as, staff, path):
    login_as(staff)
    assert client.post(path, data={"name": "x"}).status_code == 404


def test_plain_users_have_no_saved_views(client, login_as, user):
    login_as(user)
    assert client.get("/staff/views/").status_code == 403
    assert _save(client, "Mine").status_code == 403
    assert count(SavedView) == 0


def test_a_lone_surrogate_in_a_name_never_reaches_the_database(client, login_as, staff):
    login_as(staff)
    resp = client.post(
        "/staff/views/",
        data=b"name=VPN%ED%A0%80&priority=high",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code in (303, 422)
    for view in sv.list_views(staff):
        view.name.encode("utf-8")  # stored text is text
