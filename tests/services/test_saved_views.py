"""Saved queue views: named filters, private to their owner, validated, capped."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from portal.services import saved_views as sv
from portal.services.cache import clear_queue_counts
from portal.services.errors import NotFound, PermissionDenied, TicketError
from portal.services.queue import QueueFilters
from tests.factories import make_ticket, make_user


def _filters(**args) -> QueueFilters:
    return QueueFilters.from_args(MultiDict(args))


def test_save_list_and_reproduce(staff):
    f = _filters(view="mine", priority="urgent", sort="oldest", q="vpn", page="3", surge="9")
    view = sv.create_view(staff, "  Urgent   VPN ", f)
    assert view.name == "Urgent VPN"
    assert sv.list_views(staff) == [view]
    # The page and a passing surge are not part of a view; the rest comes back as it was.
    assert sv.view_args(view) == {
        "priority": "urgent",
        "q": "vpn",
        "sort": "oldest",
        "view": "mine",
    }
    assert sv.matching_view([view], _filters(**sv.view_args(view), page="2")) == view
    assert sv.matching_view([view], _filters(view="mine")) is None


def test_the_views_own_status_spelled_out_is_the_same_view(staff):
    view = sv.create_view(staff, "Mine", _filters(view="mine"))
    assert sv.matching_view([view], _filters(view="mine", status="active")) == view
    other = sv.create_view(staff, "Mine, any status", _filters(view="mine", status="all"))
    assert sv.view_args(other) == {"view": "mine", "status": "all"}


def test_views_are_private(staff):
    colleague = make_user("staff")
    mine = sv.create_view(staff, "Mine", _filters())
    assert sv.list_views(colleague) == []
    with pytest.raises(NotFound):
        sv.get_view_for(colleague, mine.id)
    with pytest.raises(NotFound):
        sv.rename_view(colleague, mine, "Stolen")
    with pytest.raises(NotFound):
        sv.delete_view(colleague, mine)
    with pytest.raises(NotFound):
        sv.get_view_for(staff, 2**40)
    # The same name is fine for another person.
    assert sv.create_view(colleague, "Mine", _filters()).name == "Mine"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Give the view a name."),
        ("   \x00 ", "Give the view a name."),
        ("x" * 61, "at most 60"),
        ("bad \ud800", "not text"),
    ],
)
def test_bad_names(staff, name, message):
    with pytest.raises(TicketError) as err:
        sv.create_view(staff, name, _filters())
    assert message in err.value.message and err.value.field == "name"


def test_duplicate_names_ignore_case_and_rename_checks_too(staff):
    sv.create_view(staff, "Billing", _filters(category="billing"))
    with pytest.raises(TicketError, match="already have a view"):
        sv.create_view(staff, "billing", _filters())
    other = sv.create_view(staff, "Other", _filters())
    with pytest.raises(TicketError, match="already have a view"):
        sv.rename_view(staff, other, "BILLING")
    assert sv.rename_view(staff, other, "Other stuff").name == "Other stuff"
    assert sv.rename_view(staff, other, "other STUFF").name == "other STUFF"  # its own name


def test_cap_per_person(staff):
    for i in range(sv.MAX_PER_USER):
        sv.create_view(staff, f"View {i}", _filters())
    with pytest.raises(TicketError, match="delete one first"):
        sv.create_view(staff, "One too many", _filters())


def test_plain_users_cannot_save_views(user):
    with pytest.raises(PermissionDenied):
        sv.create_view(user, "Mine", _filters())


def test_counts_follow_each_views_filters(user, staff):
    make_ticket(user, title="Urgent one", priority="urgent")
    make_ticket(user, title="Low one", priority="low")
    urgent = sv.create_view(staff, "Urgent", _filters(priority="urgent"))
    everything = sv.create_view(staff, "All", _filters(status="all"))
    search = sv.create_view(staff, "Search", _filters(q="low"))
    assert sv.safe_view_counts(staff) == {urgent.id: 1, everything.id: 2, search.id: 1}
    make_ticket(user, title="Another urgent", priority="urgent")
    clear_queue_counts()  # what every ticket change does
    assert sv.safe_view_counts(staff)[urgent.id] == 2
    sv.delete_view(staff, search)
    assert search.id not in sv.safe_view_counts(staff)
