"""The staff queue: filters, search, sort, paging and live counts."""

from __future__ import annotations

import re

import pytest

from portal.services import tickets as ticket_service
from tests.factories import make_ticket, make_user
from tests.helpers import text


def _rows(html: str) -> list[str]:
    return re.findall(
        r'<tr id="ticket-\d+">\s*(?:<td class="col-select[^"]*">.*?</td>\s*)?<td[^>]*><a [^>]*>#\d+ ([^<]*)</a>',
        html,
    )


def _count(html: str, status: str) -> int:
    return int(re.search(rf'id="count-{status}">(\d+)<', html).group(1))


@pytest.fixture
def queue_data(app, user, staff):
    colleague = make_user("staff", name="Colleague Carla")
    a = make_ticket(
        user, title="Printer jammed", description="paper everywhere", category="technical"
    )
    b = make_ticket(
        user,
        title="Refund please",
        description="charged twice",
        category="billing",
        priority="urgent",
    )
    c = make_ticket(user, title="Dark mode", description="my eyes hurt", priority="low")
    d = make_ticket(
        user,
        title="Login broken",
        description="printer unrelated",
        category="technical",
        priority="high",
    )
    ticket_service.assign_ticket(a, staff, staff)
    ticket_service.assign_ticket(b, staff, colleague)
    ticket_service.resolve_ticket(c, staff)
    return {"a": a, "b": b, "c": c, "d": d, "colleague": colleague}


def test_queue_lists_everything_by_activity(client, login_as, staff, queue_data):
    login_as(staff)
    rows = _rows(text(client.get("/staff/?status=all")))
    assert set(rows) == {"Printer jammed", "Refund please", "Dark mode", "Login broken"}
    assert rows[0] == "Dark mode"  # changed last


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", {"Dark mode"}),
        ("status=active", {"Printer jammed", "Refund please", "Login broken"}),
        ("category=technical", {"Printer jammed", "Login broken"}),
        ("category=none", {"Dark mode"}),
        ("priority=urgent", {"Refund please"}),
        ("assignee=mine", {"Printer jammed"}),
        ("assignee=unassigned", {"Dark mode", "Login broken"}),
        ("q=printer", {"Printer jammed", "Login broken"}),  # title or description
        ("q=refund", {"Refund please"}),
        ("q=printer&category=technical&priority=high", {"Login broken"}),
        # An unknown value is ignored: the default view, active tickets, is left.
        ("status=bogus", {"Printer jammed", "Refund please", "Login broken"}),
        (
            "assignee=99999999999999999999",
            {"Printer jammed", "Refund please", "Dark mode", "Login broken"},
        ),
        ("q=%25", set()),
        ("q=" + "x" * 500, set()),
    ],
)
def test_queue_filters(client, login_as, staff, queue_data, query, expected):
    login_as(staff)
    if "status=" not in query:
        query += "&status=all"  # these filters are about every ticket, not the default view
    resp = client.get(f"/staff/?{query}")
    assert resp.status_code == 200
    assert set(_rows(text(resp))) == expected


def test_filter_by_named_colleague(client, login_as, staff, queue_data):
    login_as(staff)
    rows = _rows(text(client.get(f"/staff/?assignee={queue_data['colleague'].id}")))
    assert rows == ["Refund please"]


def test_sort_by_priority_and_age(client, login_as, staff, queue_data):
    login_as(staff)
    assert _rows(text(client.get("/staff/?sort=priority")))[:2] == ["Refund please", "Login broken"]
    assert _rows(text(client.get("/staff/?sort=oldest")))[0] == "Printer jammed"
    assert _rows(text(client.get("/staff/?sort=newest")))[0] == "Login broken"


def test_a_priority_change_moves_the_ticket_in_the_priority_sort(
    client, login_as, staff, queue_data
):
    login_as(staff)
    url = "/staff/?sort=priority&status=all"
    assert _rows(text(client.get(url)))[-1] == "Dark mode"  # low
    ticket_service.update_ticket(queue_data["c"], staff, {"priority": "urgent"})
    # Both urgent now: the one changed last comes first.
    assert _rows(text(client.get(url)))[:2] == ["Dark mode", "Refund please"]


def test_no_match_and_empty_queue_messages(client, login_as, staff):
    login_as(staff)
    assert "The queue is empty" in text(client.get("/staff/"))
    make_ticket(title="Something")
    assert "No tickets match these filters" in text(client.get("/staff/?status=closed"))


def test_paging_keeps_filters(client, login_as, staff, user):
    for n in range(30):
        make_ticket(user, title=f"Bulk {n:02d}", category="general")
    make_ticket(user, title="Other category", category="billing")
    login_as(staff)
    html = text(client.get("/staff/?category=general"))
    assert len(_rows(html)) == 25
    assert "Page 1 of 2" in html
    assert "category=general" in re.search(r'href="([^"]*page=2[^"]*)"', html).group(1)
    second = text(client.get("/staff/?category=general&page=2"))
    assert len(_rows(second)) == 5 and "Other category" not in second
    assert client.get("/staff/?page=99999999999999999999").status_code == 200


def test_counts_per_status_update_when_a_ticket_changes(client, login_as, staff, user, hx):
    t = make_ticket(user)
    make_ticket(user)
    login_as(staff)
    html = text(client.get("/staff/counts", headers=hx))
    assert 'id="queue-counts"' in html
    assert (_count(html, "open"), _count(html, "resolved")) == (2, 0)
    client.post(f"/staff/tickets/{t.id}/resolve")
    html = text(client.get("/staff/counts", headers=hx))
    assert (_count(html, "open"), _count(html, "resolved")) == (1, 1)
    make_ticket(user)
    assert _count(text(client.get("/staff/")), "open") == 2


def test_counts_refresh_on_ticket_updated_event(client, login_as, staff):
    login_as(staff)
    html = text(client.get("/staff/"))
    counts = re.search(r'<div id="queue-counts"[^>]*>', html).group(0)
    assert 'hx-trigger="ticket-updated from:body' in counts


@pytest.mark.parametrize("status", ["all", "active", "open", "resolved"])
def test_pager_total_of_a_status_view_follows_every_change(
    client, login_as, user, staff, manual_only, status
):
    """Status-only views take their total from the memoised status counts, not a COUNT(*)."""
    tickets = [make_ticket(user, title=f"Ticket {n}") for n in range(52)]
    for t in tickets[:26]:
        ticket_service.resolve_ticket(t, staff)
    login_as(staff)

    def shown_total() -> int:
        html = text(client.get(f"/staff/?status={status}"))
        return int(re.search(r"Page 1 of \d+ · (\d+) tickets", html).group(1))

    assert shown_total() == {"all": 52, "active": 26, "open": 26, "resolved": 26}[status]
    make_ticket(user, title="One more")
    ticket_service.resolve_ticket(tickets[30], staff)
    assert shown_total() == {"all": 53, "active": 26, "open": 26, "resolved": 27}[status]
