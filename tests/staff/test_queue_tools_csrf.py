"""CSRF on (as in production): the bulk and saved-view forms carry working tokens, and a post
without one changes nothing."""

from __future__ import annotations

from portal.extensions import db
from portal.models import SavedView, Ticket
from tests.factories import count
from tests.helpers import form_fields, snapshot, text
from tests.test_csrf import _login, app, people  # noqa: F401  (fixtures: CSRF switched on)


def test_bulk_form_token_works_and_is_required(client, people):  # noqa: F811
    _login(client, people["staff"])
    t = people["ticket"]
    fields = form_fields(text(client.get("/staff/")), "/staff/bulk")
    data = fields | {"action": "status", "status": "closed", "ticket_ids": [str(t.id)]}
    before = snapshot()
    assert client.post("/staff/bulk", data=data | {"csrf_token": "forged"}).status_code == 400
    assert snapshot() == before
    assert client.post("/staff/bulk", data=data).status_code == 303
    assert db.session.get(Ticket, t.id).status == "closed"


def test_save_view_form_token_works_and_is_required(client, people):  # noqa: F811
    _login(client, people["staff"])
    fields = form_fields(text(client.get("/staff/?priority=high")), "/staff/views/")
    assert fields["priority"] == "high"
    data = fields | {"name": "High"}
    assert client.post("/staff/views/", data=data | {"csrf_token": "x"}).status_code == 400
    assert count(SavedView) == 0
    assert client.post("/staff/views/", data=data).status_code == 303
    assert count(SavedView) == 1
