"""Only the author edits a reply (an admin may, audited); everyone sees "edited"."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import TicketEvent
from portal.services import tickets as ticket_service
from tests.api.test_ai_api import bearer
from tests.factories import make_user


def _edit(client, reply, who, content="Changed words"):
    return client.put(f"/api/responses/{reply.id}/", json={"content": content}, headers=bearer(who))


def test_staff_cannot_edit_someone_elses_reply(client, user, staff, ticket):
    users_words = ticket_service.add_reply(ticket, user, "My own words")
    colleague = make_user("staff")
    colleagues_words = ticket_service.add_reply(ticket, colleague, "Colleague's answer")
    for reply in (users_words, colleagues_words):
        resp = _edit(client, reply, staff)
        assert resp.status_code == 403 and "your own" in resp.json["error"]
    db.session.expire_all()
    assert users_words.content == "My own words" and users_words.edited_at is None
    assert colleagues_words.content == "Colleague's answer"


def test_another_user_cannot_edit_and_gets_404(client, user, other_user, ticket):
    reply = ticket_service.add_reply(ticket, user, "Mine")
    assert _edit(client, reply, other_user).status_code == 404


def test_author_edit_shows_edited_to_everyone(client, login_as, user, staff, ticket):
    reply = ticket_service.add_reply(ticket, staff, "Try restarting teh router")
    plain = ticket_service.add_reply(ticket, staff, "Never edited")
    resp = _edit(client, reply, staff, "Try restarting the router")
    assert resp.status_code == 200 and resp.json["edited_at"]
    as_user = client.get(f"/api/responses/{plain.id}/", headers=bearer(user)).json
    assert as_user["edited_at"] is None
    login_as(user)
    page = client.get(f"/tickets/{ticket.id}/").get_data(as_text=True)
    assert "Try restarting the router" in page
    assert page.count('class="tag tag-edited"') == 1  # on the edited reply only
    mark = page.index('class="tag tag-edited"')
    assert page.rindex(f'id="response-{reply.id}"', 0, mark) > page.find(
        f'id="response-{plain.id}"', 0, mark
    )
    login_as(staff)
    staff_page = client.get(f"/staff/tickets/{ticket.id}/").get_data(as_text=True)
    assert staff_page.count('class="tag tag-edited"') == 1


def test_admin_may_edit_anyones_reply_and_it_is_audited(client, user, admin, ticket):
    reply = ticket_service.add_reply(ticket, user, "Call me on 555-0100")
    resp = _edit(client, reply, admin, "Call me (number removed)")
    assert resp.status_code == 200 and resp.json["edited_at"]
    event = db.session.scalar(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.field == "reply_edited"
        )
    )
    assert event.actor_id == admin.id and "as admin" in event.detail
