"""Register, log in, log out: generic failures, safe `next`, deactivated accounts."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import User
from portal.services import users as user_service
from tests.factories import PASSWORD, count, make_user
from tests.helpers import location_path, text

GENERIC = "Email or password is incorrect."


def test_register_logs_in_and_lands_on_my_tickets(client):
    resp = client.post(
        "/auth/register",
        data={
            "name": "Ada",
            "email": " Ada@Example.com ",
            "password": "long-enough",
            "confirm": "long-enough",
        },
    )
    assert resp.status_code == 302 and location_path(resp) == "/tickets/"
    user = db.session.scalars(db.select(User)).one()
    assert (user.email, user.name, user.role) == ("ada@example.com", "Ada", "user")
    assert user.password_hash != "long-enough"
    assert "Welcome!" in text(client.get("/tickets/"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password": "short", "confirm": "short"}, "between 8 and 200"),
        ({"confirm": "different-pw"}, "Passwords differ."),
        ({"name": ""}, "This field is required."),
        ({"name": "n" * 101}, "100"),
        ({"email": "taken@example.com"}, "already exists"),
        ({"email": "TAKEN@example.com"}, "already exists"),
        # Look-alikes of an existing address: full-width letters fold onto it (NFKC), letters
        # from another script are refused outright.
        ({"email": "\uff54aken@example.com"}, "already exists"),
        ({"email": "t\u0430ken@example.com"}, "plain Latin letters"),
        ({"email": "v\u0456ctim@example.com"}, "plain Latin letters"),
    ],
)
def test_register_rejects_bad_input(client, data, message):
    make_user(email="taken@example.com")
    form = {"name": "Ada", "email": "ada@example.com", "password": "long-enough"}
    form["confirm"] = form["password"]
    form.update(data)
    resp = client.post("/auth/register", data=form)
    assert resp.status_code == 422
    assert message in text(resp)
    assert count(User) == 1


def test_register_takes_the_demo_test_domain(client):
    form = {"name": "Dee", "email": "dee@demo.test", "password": "long-enough"}
    resp = client.post("/auth/register", data={**form, "confirm": form["password"]})
    assert resp.status_code == 302
    assert db.session.scalars(db.select(User.email)).all() == ["dee@demo.test"]


def test_login_and_logout(client, user):
    resp = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get("/tickets/").status_code == 200
    resp = client.post("/auth/logout")
    assert location_path(resp) == "/auth/login"
    assert client.get("/tickets/").status_code == 302


def test_logout_needs_post(client, login_as, user):
    login_as(user)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/tickets/").status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "nobody@example.com", "password": PASSWORD},
        {"email": "USER", "password": "wrong password"},
        {"email": "USER", "password": ""},
    ],
    ids=["unknown-email", "wrong-password", "empty-password"],
)
def test_login_failures_say_the_same_thing(client, user, credentials):
    data = dict(credentials)
    if data["email"] == "USER":
        data["email"] = user.email
    resp = client.post("/auth/login", data=data)
    assert resp.status_code == 422
    if data["password"]:
        assert GENERIC in text(resp)
    assert client.get("/tickets/").status_code == 302


def test_deactivated_user_cannot_log_in_and_sees_generic_message(client):
    gone = make_user(active=False)
    resp = client.post("/auth/login", data={"email": gone.email, "password": PASSWORD})
    assert resp.status_code == 422
    assert GENERIC in text(resp)
    assert "deactivated" not in text(resp).lower()


def test_deactivation_ends_an_open_session(client, login_as, user, admin):
    login_as(user)
    assert client.get("/tickets/").status_code == 200
    user_service.set_active(admin, user, False)
    assert client.get("/tickets/").status_code == 302


def test_bot_account_cannot_log_in(client):
    from portal.services.tickets import get_bot_user

    bot = get_bot_user()
    db.session.commit()
    resp = client.post("/auth/login", data={"email": bot.email, "password": ""})
    assert resp.status_code == 422
    assert user_service.authenticate(bot.email, "") is None


def test_login_follows_safe_next(client, user):
    resp = client.post(
        "/auth/login?next=/tickets/new", data={"email": user.email, "password": PASSWORD}
    )
    assert resp.headers["Location"] == "/tickets/new"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "http://evil.com/tickets/",
        "/\\evil.com",
        "\\\\evil.com",
        "/\t/evil.com",
        "javascript:alert(1)",
        "evil.com",
        " //evil.com",
        "/\r\nLocation: https://evil.com",
        "/\nSet-Cookie: session=x",
        "/tickets/\x00",
        "/tickets/\x7f",
        "/\x85evil",
        "/" + "a" * 3000,
    ],
)
def test_login_rejects_unsafe_next(client, user, target):
    resp = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_login_with_header_splitting_next_is_a_plain_redirect_home(client, user):
    """The raw query a crafted link carries: the user is logged in and sent home, no 500."""
    resp = client.post(
        "/auth/login?next=/%0D%0ALocation:%20https://evil.example/",
        data={"email": user.email, "password": PASSWORD},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "evil" not in str(resp.headers)
    assert client.get("/tickets/").status_code == 200


def test_login_page_remembers_where_you_were_going(client, user):
    resp = client.get("/staff/?status=open")
    assert resp.headers["Location"] == "/auth/login?next=/staff/?status%3Dopen"
    login = client.post(resp.headers["Location"], data={"email": user.email, "password": PASSWORD})
    assert login.headers["Location"] == "/staff/?status=open"


def test_logged_in_user_visiting_login_goes_home(client, login_as, user):
    login_as(user)
    assert location_path(client.get("/auth/login")) == "/"
    assert location_path(client.get("/auth/register")) == "/"


def test_oversized_login_fields_are_rejected_cleanly(client, user):
    resp = client.post("/auth/login", data={"email": "a" * 300 + "@x.com", "password": "p" * 500})
    assert resp.status_code == 422


def test_healthz_is_public(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_favicon_is_served_and_linked(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200
    assert resp.mimetype == "image/vnd.microsoft.icon"
    assert resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert client.get("/static/favicon.svg").status_code == 200


def test_lost_session_returns_to_the_page_not_the_fragment(client, staff):
    """The queue polls /staff/counts; when the session is gone the user must log in and come
    back to the queue they were looking at, not to a bare counts fragment."""
    resp = client.get(
        "/staff/counts",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/staff/?status=open"},
    )
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"] == "/auth/login?next=/staff/?status%3Dopen"
    login = client.post(
        resp.headers["HX-Redirect"], data={"email": staff.email, "password": PASSWORD}
    )
    assert login.headers["Location"] == "/staff/?status=open"


def test_lost_session_on_a_form_post_does_not_return_to_the_post(client, ticket):
    resp = client.post(f"/tickets/{ticket.id}/close/")
    assert resp.headers["Location"] == "/auth/login"
    resp = client.post(
        f"/tickets/{ticket.id}/close/",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example/x"},
    )
    assert resp.headers["HX-Redirect"] == "/auth/login"


@pytest.mark.parametrize(
    "password, message",
    [
        ("password", "most common"),
        ("Password2024!", "most common"),
        ("12345678", "most common"),
        ("qwertyuiop", "most common"),
        ("iloveyou", "most common"),
        ("abcdefgh", "most common"),
        ("zzzzzzz9", "simple pattern"),
        ("ada.lovelace", "name or e-mail"),
    ],
)
def test_register_refuses_common_passwords_beside_the_field(client, password, message):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    resp = client.post(
        "/auth/register",
        data={
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.com",
            "password": password,
            "confirm": password,
        },
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page
    # The message sits beside the password field, tied to it for screen readers.
    error = re.search(r'<p class="error" id="password-error">([^<]*)</p>', page)
    assert error and message in error.group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_password_policy_is_one_function_for_every_form():
    from portal.services.password_policy import password_problem

    assert password_problem("short") == "Use at least 8 characters."
    assert "most common" in password_problem("Letmein123!")
    assert password_problem("Kestrel-5521-plum") is None
    assert password_problem("ada.lovelace1", email="ada.lovelace@example.com") is not None
