"""Presence (services/presence.py): who else has a ticket open, who types; entries expire."""

from __future__ import annotations

from portal.services import presence
from tests.factories import make_user


def test_a_viewer_sees_the_others_not_themselves(staff):
    sam = make_user("staff", name="Sam")
    presence.heartbeat(7, staff, now=100.0)
    presence.heartbeat(7, sam, typing="reply", now=101.0)
    assert presence.describe(presence.others(7, staff, now=102.0)) == ["Sam is typing a reply…"]
    assert [p.name for p in presence.others(7, sam, now=102.0)] == [staff.name]
    assert presence.others(8, staff, now=102.0) == []  # another ticket


def test_entries_expire_and_leaving_is_immediate(staff):
    sam = make_user("staff", name="Sam")
    presence.heartbeat(7, sam, interval=5, now=100.0)
    assert presence.others(7, staff, now=114.0)
    assert presence.others(7, staff, now=116.0) == []  # 3 polls, at least 15 s
    presence.heartbeat(7, sam, interval=5, now=200.0)
    presence.leave(7, sam, now=201.0)
    assert presence.others(7, staff, now=202.0) == []


def test_a_hidden_tab_stays_present_longer(staff):
    sam = make_user("staff", name="Sam")
    presence.heartbeat(7, sam, interval=5, hidden=True, now=100.0)
    assert presence.others(7, staff, now=160.0)


def test_typing_kinds_and_the_token(staff):
    sam = make_user("staff", name="Sam")
    lee = make_user("staff", name="Lee")
    presence.heartbeat(7, sam, typing="note", now=100.0)
    presence.heartbeat(7, lee, typing="<script>", now=100.0)  # unknown kind: just viewing
    people = presence.others(7, staff, now=101.0)
    assert presence.describe(people) == ["Sam is writing an internal note…", "Lee is viewing"]
    token = presence.token(people)
    presence.heartbeat(7, lee, now=105.0)  # a heartbeat that changes nothing visible
    assert presence.token(presence.others(7, staff, now=106.0)) == token
    presence.heartbeat(7, lee, typing="reply", now=107.0)
    assert presence.token(presence.others(7, staff, now=108.0)) != token


def test_a_cache_outage_shows_nobody_and_fails_nothing(staff, monkeypatch):
    from portal.extensions import cache

    def down(*a, **k):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    presence.heartbeat(7, staff)
    assert presence.others(7, staff) == []
