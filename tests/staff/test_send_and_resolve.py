"""The reply box's "Send and resolve": one service call, one commit, audited; never for an
internal note, a requester, or a form older than the ticket."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Ticket, TicketEvent, TicketResponse
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, StaleTicket, TicketError
from tests.factories import make_ticket
from tests.helpers import text

HX = {"HX-Request": "true"}


@pytest.fixture
def ticket(user):
    return make_ticket(user, title="VPN drops", description="The VPN drops every hour.")


def _post(client, ticket, **data):
    form = {"content": "Fixed on our side: reconnect and it holds.", "version": ticket.version}
    form.update(data)
    return client.post(f"/staff/tickets/{ticket.id}/responses/", data=form, headers=HX)


def _replies(ticket) -> list[TicketResponse]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(TicketResponse).where(TicketResponse.ticket_id == ticket.id))
    )


def test_the_reply_box_offers_send_and_send_and_resolve(client, login_as, staff, ticket):
    login_as(staff)
    page = text(client.get(f"/staff/tickets/{ticket.id}/"))
    assert ">Send</button>" in page
    assert 'name="resolve" value="1"' in page and "Send and resolve" in page


def test_send_and_resolve_posts_the_reply_and_resolves(client, login_as, staff, ticket):
    login_as(staff)
    resp = _post(client, ticket, resolve="1")
    assert resp.status_code == 200
    assert "Reply sent and ticket resolved" in resp.headers.get("HX-Trigger", "")
    [reply] = _replies(ticket)
    assert not reply.is_internal and reply.response_type == "staff"
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status == "resolved" and ticket.resolved_at is not None
    status_events = db.session.scalars(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.field == "status"
        )
    ).all()
    assert status_events[-1].new_value == "resolved"
    assert status_events[-1].actor_id == staff.id
    assert status_events[-1].detail == "sent with a reply"


def test_plain_send_does_not_resolve(client, login_as, staff, ticket):
    login_as(staff)
    assert _post(client, ticket).status_code == 200
    assert len(_replies(ticket)) == 1
    assert db.session.get(Ticket, ticket.id).status == "in_progress"


def test_an_internal_note_cannot_resolve(client, login_as, staff, ticket):
    login_as(staff)
    resp = _post(client, ticket, resolve="1", internal="y")
    assert resp.status_code == 422
    assert _replies(ticket) == []
    assert db.session.get(Ticket, ticket.id).status == "open"


def test_a_stale_form_cannot_resolve(client, login_as, staff, ticket):
    login_as(staff)
    seen = ticket.version
    ticket_service.update_ticket(ticket, staff, {"priority": "high"})
    resp = _post(client, ticket, resolve="1", version=seen)
    assert resp.status_code == 409
    assert _replies(ticket) == []
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "open"
    # What they typed is still in the box, with the version they have now seen.
    page = text(resp)
    assert "Fixed on our side" in page
    assert (
        f'name="version" type="hidden" value="{db.session.get(Ticket, ticket.id).version}"' in page
    )


def test_a_user_cannot_send_and_resolve(client, login_as, user, ticket):
    login_as(user)
    assert _post(client, ticket, resolve="1").status_code in (403, 404)
    with pytest.raises(PermissionDenied):
        ticket_service.add_reply(ticket, user, "Done, thanks", resolve=True)
    assert _replies(ticket) == []
    assert db.session.get(Ticket, ticket.id).status == "open"


def test_the_service_refuses_a_note_and_a_closed_ticket(staff, ticket):
    with pytest.raises(TicketError):
        ticket_service.add_reply(ticket, staff, "note", internal=True, resolve=True)
    with pytest.raises(StaleTicket):
        ticket_service.add_reply(ticket, staff, "hi", resolve=True, expected_version=-1)
    ticket_service.close_ticket(ticket, staff)
    with pytest.raises(TicketError):
        ticket_service.add_reply(ticket, staff, "hi", resolve=True)
    assert _replies(ticket) == []
