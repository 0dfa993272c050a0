"""Staff: the surge banner on the queue, merging one ticket, merging a surge."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Ticket
from portal.services import merge as merge_service
from tests.factories import make_reply, make_ticket, make_user
from tests.helpers import form_fields, is_full_page, snapshot, text

VPN = [
    ("VPN keeps disconnecting", "Since this morning the campus VPN drops every few minutes."),
    ("VPN disconnects every few minutes", "The campus VPN connection drops constantly today."),
    ("Campus VPN down?", "VPN disconnecting all the time, I cannot work from home."),
]


@pytest.fixture
def surge(user, other_user):
    people = [user, other_user, make_user("user", name="Third Requester")]
    return [make_ticket(p, title=t, description=d) for p, (t, d) in zip(people, VPN, strict=True)]


def _rows(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="ticket-(\d+)">', html)}


def test_queue_shows_a_surge_banner_and_filters_to_it(client, login_as, staff, surge, user):
    unrelated = make_ticket(user, title="Cannot pay my invoice", description="Card refused.")
    login_as(staff)
    html = text(client.get("/staff/"))
    assert 'id="queue-surges"' in html
    assert "3 tickets like this in the last hour:" in html
    assert "shared words: vpn" in html
    assert f"/staff/?surge={surge[0].id}" in html
    assert f"/staff/surges/{surge[0].id}/merge" in html

    filtered = text(client.get(f"/staff/?surge={surge[0].id}"))
    assert _rows(filtered) == {t.id for t in surge}
    assert unrelated.id not in _rows(filtered)
    assert "Show all tickets" in filtered
    assert f'name="surge" value="{surge[0].id}"' in filtered  # the filters keep the group


def test_queue_fragment_carries_the_banner(client, login_as, staff, surge, hx):
    login_as(staff)
    resp = client.get("/staff/?status=active", headers=hx)
    assert resp.status_code == 200 and not is_full_page(resp)
    assert "3 tickets like this" in text(resp)


def test_two_similar_or_old_tickets_show_no_banner(client, login_as, staff, user):
    for title, description in VPN[:2]:
        make_ticket(user, title=title, description=description)
    login_as(staff)
    assert 'id="queue-surges"' not in text(client.get("/staff/"))


def test_old_similar_tickets_show_no_banner(client, login_as, staff, user):
    from datetime import timedelta

    from portal.models.base import utcnow

    tickets = [make_ticket(user, title=t, description=d) for t, d in VPN]
    tickets[0].created_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    login_as(staff)
    assert 'id="queue-surges"' not in text(client.get("/staff/"))


def test_banner_escapes_titles(client, login_as, staff, user):
    for n in range(3):
        make_ticket(
            user,
            title=f"<script>alert({n})</script> VPN down",
            description="The campus VPN drops every few minutes.",
        )
    login_as(staff)
    html = text(client.get("/staff/"))
    assert "3 tickets like this" in html
    assert "<script>alert(" not in html and "&lt;script&gt;alert(" in html


def test_gone_surge_filter_says_so(client, login_as, staff):
    login_as(staff)
    html = text(client.get("/staff/?surge=12345"))
    assert "That group of similar tickets is over" in html


def test_merge_page_confirms_and_warns_when_requesters_differ(
    client, login_as, staff, surge, other_user, user
):
    source, target = surge[1], surge[0]
    make_reply(source, staff, "secret triage note", internal=True)
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{source.id}/merge"))
    # Suggestions: the similar open tickets, each a link to its confirmation.
    assert f"/staff/tickets/{source.id}/merge?into={target.id}" in page
    page = text(client.get(f"/staff/tickets/{source.id}/merge?into=%23{target.id}"))
    assert f"Merge #{source.id} into #{target.id}" in page
    assert "Different requesters." in page
    assert f"{other_user.name} &lt;{other_user.email}&gt; will be able to read" in page
    assert "1 internal note" in page
    assert 'name="csrf_token"' in page


def test_merge_via_the_form_then_replay_is_refused(client, login_as, staff, surge, hx):
    source, target = surge[1], surge[0]
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{source.id}/merge?into={target.id}"))
    data = form_fields(page, f"/staff/tickets/{source.id}/merge")
    assert data["into"] == str(target.id) and data["version"] == str(source.version)

    resp = client.post(f"/staff/tickets/{source.id}/merge", data=data)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/staff/tickets/{target.id}/")
    db.session.expire_all()
    assert db.session.get(Ticket, source.id).merged_into_id == target.id
    target_page = text(client.get(f"/staff/tickets/{target.id}/"))
    assert f"Ticket #{source.id} was merged into #{target.id}." in target_page
    assert f"from #{source.id}" in target_page
    assert "Merged here:" in target_page and "Also following:" in target_page
    assert f"merged #{source.id} into this ticket" in target_page

    before = snapshot()
    for headers in ({}, hx):  # the same form again: 409, nothing changes
        again = client.post(f"/staff/tickets/{source.id}/merge", data=data, headers=headers)
        assert again.status_code == 409
        assert "already merged into" in text(again)
        assert f'href="/staff/tickets/{target.id}/"' in text(again)
    assert not is_full_page(again)
    assert snapshot() == before

    source_page = text(client.get(f"/staff/tickets/{source.id}/"))
    assert f'This ticket was merged into <a href="/staff/tickets/{target.id}/"' in source_page


def test_stale_merge_form_is_409_fragment(client, login_as, staff, surge, hx):
    source, target = surge[1], surge[0]
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{source.id}/merge?into={target.id}"))
    data = form_fields(page, f"/staff/tickets/{source.id}/merge")
    make_reply(source, make_user("staff"), "a colleague answered meanwhile")
    before = snapshot()
    resp = client.post(f"/staff/tickets/{source.id}/merge", data=data, headers=hx)
    assert resp.status_code == 409 and not is_full_page(resp)
    assert f'id="ticket-{source.id}-merge"' in text(resp)[:200]
    assert "changed after you opened this page" in text(resp)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("into", "message"),
    [
        ("", "Enter a ticket number."),
        ("abc", "Enter a ticket number"),
        ("999999", "no ticket"),
        ("1" * 5000, "Enter a ticket number"),  # more digits than Python converts to an int
        ("99999999999", "Enter a ticket number"),
    ],
)
def test_bad_merge_target_is_422(client, login_as, staff, surge, into, message, hx):
    login_as(staff)
    before = snapshot()
    resp = client.post(f"/staff/tickets/{surge[0].id}/merge", data={"into": into}, headers=hx)
    assert resp.status_code == 422 and message in text(resp)
    assert not is_full_page(resp)
    assert snapshot() == before


def test_merge_into_itself_is_422(client, login_as, staff, surge):
    login_as(staff)
    resp = client.get(f"/staff/tickets/{surge[0].id}/merge?into={surge[0].id}")
    assert resp.status_code == 422 and "cannot be merged into itself" in text(resp)


def test_merge_page_fragment(client, login_as, staff, surge, hx):
    login_as(staff)
    resp = client.get(f"/staff/tickets/{surge[1].id}/merge?into={surge[0].id}", headers=hx)
    assert resp.status_code == 200 and not is_full_page(resp)
    assert f'id="ticket-{surge[1].id}-merge"' in text(resp)[:200]
    assert "HX-Request" in resp.headers["Vary"]


def test_htmx_merge_redirects_with_hx_redirect(client, login_as, staff, surge, hx):
    login_as(staff)
    source, target = surge[2], surge[0]
    resp = client.post(
        f"/staff/tickets/{source.id}/merge",
        data={"into": f"#{target.id}", "version": source.version},
        headers=hx,
    )
    assert resp.status_code == 204
    assert resp.headers["HX-Redirect"].endswith(f"/staff/tickets/{target.id}/")


def test_users_cannot_merge(client, login_as, user, surge):
    login_as(user)
    before = snapshot()
    resp = client.post(f"/staff/tickets/{surge[0].id}/merge", data={"into": str(surge[1].id)})
    assert resp.status_code == 403
    resp = client.post(
        "/staff/surges/merge",
        data={"into": str(surge[0].id), "source": [f"{surge[1].id}:1"]},
    )
    assert resp.status_code == 403
    assert snapshot() == before


def test_bulk_merge_of_a_surge(client, login_as, staff, surge, other_user):
    login_as(staff)
    page = text(client.get(f"/staff/surges/{surge[0].id}/merge"))
    assert f"Merge into #{surge[0].id}" in page
    assert "2 tickets are from someone other than" in page
    data = form_fields(page, "/staff/surges/merge")
    data["source"] = [f"{t.id}:{t.version}" for t in surge[1:]]
    resp = client.post("/staff/surges/merge", data=data)
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/staff/tickets/{surge[0].id}/")
    html = text(client.get(resp.headers["Location"]))
    assert f"Merged 2 tickets into #{surge[0].id}: #{surge[1].id}, #{surge[2].id}." in html
    assert "2 other requests about the same problem were merged into this ticket" in html
    db.session.expire_all()
    assert all(db.session.get(Ticket, t.id).merged_into_id == surge[0].id for t in surge[1:])
    assert 'id="queue-surges"' not in text(client.get("/staff/"))


def test_bulk_merge_reports_the_ones_that_failed(client, login_as, staff, surge):
    login_as(staff)
    page = text(client.get(f"/staff/surges/{surge[0].id}/merge?into={surge[2].id}"))
    assert f"Merge into #{surge[2].id}" in page
    sources = [f"{t.id}:{t.version}" for t in surge[:2]]
    make_reply(surge[1], make_user("staff"), "changed meanwhile")  # now stale
    data = form_fields(page, "/staff/surges/merge") | {"source": sources}
    resp = client.post("/staff/surges/merge", data=data, follow_redirects=True)
    html = text(resp)
    assert f"Merged 1 ticket into #{surge[2].id}: #{surge[0].id}." in html
    assert f"Not merged: #{surge[1].id}: Ticket #{surge[1].id} changed" in html


def test_bulk_merge_with_absurd_numbers_merges_nothing(client, login_as, staff, surge, hx):
    login_as(staff)
    page = text(client.get(f"/staff/surges/{surge[0].id}/merge"))
    data = form_fields(page, "/staff/surges/merge")
    before = snapshot()
    data["source"] = ["1" * 5000, f"{surge[1].id}:" + "1" * 5000]
    resp = client.post("/staff/surges/merge", data=data, follow_redirects=True)
    assert resp.status_code == 200
    assert f"Not merged: #{surge[1].id}: Ticket #{surge[1].id} changed" in text(resp)
    data["source"] = ["1" * 5000]
    resp = client.post("/staff/surges/merge", data=data, headers=hx)
    assert resp.status_code == 422 and "Choose at least one ticket to merge." in text(resp)
    assert snapshot() == before


def test_bulk_merge_says_what_it_left_over_its_limit(client, login_as, staff, surge, monkeypatch):
    monkeypatch.setattr(merge_service, "MAX_BULK", 1)
    login_as(staff)
    page = text(client.get(f"/staff/surges/{surge[0].id}/merge"))
    data = form_fields(page, "/staff/surges/merge")
    data["source"] = [f"{t.id}:{t.version}" for t in surge[1:]]
    html = text(client.post("/staff/surges/merge", data=data, follow_redirects=True))
    assert f"Merged 1 ticket into #{surge[0].id}: #{surge[1].id}." in html
    assert "Not merged: 1 more checked ticket: 1 go at a time." in html
    db.session.expire_all()
    assert db.session.get(Ticket, surge[2].id).merged_into_id is None


def test_queue_ignores_an_absurd_surge_filter(client, login_as, staff, surge):
    login_as(staff)
    resp = client.get("/staff/?surge=" + "1" * 5000)
    assert resp.status_code == 200 and "3 tickets like this" in text(resp)


def test_bulk_merge_with_nothing_checked_is_422(client, login_as, staff, surge, hx):
    login_as(staff)
    page = text(client.get(f"/staff/surges/{surge[0].id}/merge"))
    data = form_fields(page, "/staff/surges/merge")
    data.pop("source", None)
    before = snapshot()
    resp = client.post("/staff/surges/merge", data=data, headers=hx)
    assert resp.status_code == 422 and not is_full_page(resp)
    assert "Choose at least one ticket to merge." in text(resp)
    assert snapshot() == before


def test_surge_merge_page_fragment(client, login_as, staff, surge, hx):
    login_as(staff)
    resp = client.get(f"/staff/surges/{surge[0].id}/merge", headers=hx)
    assert resp.status_code == 200 and not is_full_page(resp)
    assert f'id="surge-{surge[0].id}-merge"' in text(resp)[:200]


def test_merge_works_with_the_ai_switched_off(client, login_as, staff, surge):
    from portal.services import settings as settings_service

    settings_service.update_settings(
        {"RESPONSE_AI_ASSISTANCE": False, "AI_RESPONSE_ENABLED": False}
    )
    merge_service.merge_tickets(surge[1], surge[0], actor=staff)
    assert surge[1].merged_into_id == surge[0].id
