"""Hostile bytes in any text field: never a 500, on SQLite and on PostgreSQL alike.

PostgreSQL refuses NUL characters in text outright (SQLite stores them), so every path that
takes text from a request must drop or refuse them before the database sees them.
"""

from __future__ import annotations

from portal.extensions import db
from portal.models import User
from tests.factories import PASSWORD, make_ticket
from tests.helpers import text

NUL = "\x00"


def test_login_with_nul_is_a_normal_failure(client, user):
    for email in (f"a{NUL}@example.com", user.email + NUL):
        resp = client.post("/auth/login", data={"email": email, "password": PASSWORD + NUL})
        assert resp.status_code == 422
        assert "Email or password is incorrect." in text(resp)


def test_register_with_nul_in_name_or_email(client):
    resp = client.post(
        "/auth/register",
        data={
            "name": f"Ada{NUL}Lovelace",
            "email": "ada@example.com",
            "password": "long-enough",
            "confirm": "long-enough",
        },
    )
    assert resp.status_code in (302, 422)
    if resp.status_code == 302:
        assert NUL not in db.session.scalars(db.select(User.name)).one()
    client.post("/auth/logout")
    resp = client.post(
        "/auth/register",
        data={
            "name": "B",
            "email": f"b{NUL}@example.com",
            "password": "long-enough",
            "confirm": "long-enough",
        },
    )
    assert resp.status_code == 422


def test_searches_with_nul(client, login_as, staff, admin, user):
    make_ticket(user, title="Printer")
    login_as(staff)
    assert client.get("/staff/", query_string={"q": f"Prin{NUL}ter"}).status_code == 200
    login_as(admin)
    assert client.get("/admin/users", query_string={"q": f"us{NUL}er"}).status_code == 200


def test_settings_with_nul(client, login_as, admin):
    from portal.services import settings as settings_service
    from tests.admin.test_admin import _form

    login_as(admin)
    resp = client.post("/admin/settings", data=_form(AI_MODEL=f"gemini{NUL}-x"))
    assert resp.status_code in (303, 422)
    assert NUL not in settings_service.get_setting("AI_MODEL")


def test_reply_and_staff_note_with_nul(client, login_as, staff, user, ticket):
    login_as(user)
    assert (
        client.post(f"/tickets/{ticket.id}/responses/", data={"content": f"a{NUL}b"}).status_code
        == 303
    )
    login_as(staff)
    resp = client.post(
        f"/staff/tickets/{ticket.id}/responses/", data={"content": f"c{NUL}d", "internal": "y"}
    )
    assert resp.status_code == 303
    resp = client.post(f"/staff/tickets/{ticket.id}/assign", data={"assignee": f"1{NUL}"})
    assert resp.status_code == 422


def test_ids_too_long_for_int_are_ignored_or_refused_never_a_500(client, login_as, staff):
    """Python's int() refuses more than 4,300 digits; every typed id goes through one guard."""
    huge = "9" * 5000
    login_as(staff)
    assert client.get(f"/staff/?assignee={huge}").status_code == 200
    assert client.get(f"/staff/?surge={huge}").status_code == 200
    resp = client.get(f"/api/ai/suggestions/?ticket={huge}")
    assert resp.status_code == 422 and resp.json["field"] == "ticket"


def test_parse_id_accepts_only_an_id_a_row_can_have():
    from portal.models.base import MAX_ID, parse_id

    assert parse_id("123") == 123 and parse_id(" 7 ") == 7 and parse_id(MAX_ID) == MAX_ID
    for bad in (None, "", "0", "-1", "²", "١٢٣", "1.5", "9" * 5000, str(MAX_ID + 1), "#1"):
        assert parse_id(bad) is None, bad
