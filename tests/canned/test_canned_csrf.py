"""With CSRF on, as in production: changing canned replies needs the page's token."""

from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from portal.models import CannedReply
from portal.services import canned_replies as canned
from tests.factories import make_user
from tests.helpers import text
from tests.test_csrf import _header_token, _login, _token, app  # noqa: F401  (CSRF-on app)


def test_delete_and_save_need_the_token(app, client):  # noqa: F811
    staff = make_user("staff")
    tpl = canned.create_reply(staff, canned.Fields(title="Reset", body="Hi"))
    _login(client, staff)
    delete = f"/staff/canned-replies/{tpl.id}/delete"
    for headers in ({}, {"HX-Request": "true", "X-CSRFToken": "forged"}):
        assert client.post(delete, headers=headers).status_code == 400
    assert (
        client.post(
            f"/staff/canned-replies/{tpl.id}/edit", data={"title": "X", "body": "Y"}
        ).status_code
        == 400
    )
    db.session.expire_all()
    assert db.session.get(CannedReply, tpl.id).title == "Reset"

    page = text(client.get(delete))
    resp = client.post(delete, data={"csrf_token": _token(page)})
    assert resp.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0
    # The preview (htmx) sends the header token from <body>.
    resp = client.post(
        "/staff/canned-replies/preview",
        data={"body": "Hi {{ agent.first_name }}"},
        headers={"HX-Request": "true", "X-CSRFToken": _header_token(page)},
    )
    assert resp.status_code == 200 and "Hi Staff" in text(resp)
