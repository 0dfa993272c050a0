"""The set-password token service: expiry (on an injected clock), single use, tampering,
purpose, and the session stamp that ends other sessions."""

from __future__ import annotations

import time

import pytest

from portal.extensions import db
from portal.services import accounts, password_tokens, sessions
from portal.services.errors import TicketError
from portal.services.password_tokens import INVITE, RESET, TokenError, TokenExpired

NOW = 1_800_000_000.0


def test_a_reset_link_works_for_an_hour_and_not_a_second_more(user):
    token = password_tokens.make_token(user, RESET, now=NOW)
    assert password_tokens.read_token(token, RESET, now=NOW + 3599).id == user.id
    with pytest.raises(TokenExpired):
        password_tokens.read_token(token, RESET, now=NOW + 3601)


def test_an_invitation_lasts_72_hours(user):
    token = password_tokens.make_token(user, INVITE, now=NOW)
    assert password_tokens.read_token(token, INVITE, now=NOW + 71 * 3600).id == user.id
    with pytest.raises(TokenExpired):
        password_tokens.read_token(token, INVITE, now=NOW + 73 * 3600)


def test_a_link_works_once(user):
    token = password_tokens.make_token(user, RESET)
    accounts.set_password_with_token(token, RESET, "a-new-password-1")
    with pytest.raises(TokenError) as e:
        accounts.set_password_with_token(token, RESET, "a-new-password-2")
    assert not e.value.expired
    db.session.refresh(user)
    assert user.check_password("a-new-password-1")


def test_a_new_password_retires_every_earlier_link(user):
    first = password_tokens.make_token(user, RESET)
    second = password_tokens.make_token(user, RESET)
    accounts.set_password_with_token(second, RESET, "a-new-password-1")
    with pytest.raises(TokenError):
        password_tokens.read_token(first, RESET)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t: "x" + t[1:],  # payload
        lambda t: "",
        lambda t: "not-a-token",
        lambda t: t + "\ud800",
        lambda t: "a" * 5000,
    ],
)
def test_a_tampered_link_is_refused(user, mangle):
    token = password_tokens.make_token(user, RESET)
    with pytest.raises(TokenError):
        password_tokens.read_token(mangle(token), RESET)


def test_an_invitation_is_not_a_reset_link(user):
    token = password_tokens.make_token(user, INVITE)
    with pytest.raises(TokenError):
        password_tokens.read_token(token, RESET)


def test_another_secret_key_refuses_the_link(app, user):
    token = password_tokens.make_token(user, RESET)
    app.config["SECRET_KEY"] = "another-key"
    with pytest.raises(TokenError):
        password_tokens.read_token(token, RESET)


def test_a_deactivated_account_cannot_use_its_link(user):
    token = password_tokens.make_token(user, RESET)
    user.active = False
    db.session.commit()
    with pytest.raises(TokenError):
        password_tokens.read_token(token, RESET)


def test_the_password_rules_apply(user):
    token = password_tokens.make_token(user, RESET)
    with pytest.raises(TicketError, match="at least 8"):
        accounts.set_password_with_token(token, RESET, "short")
    # A refused password does not use up the link.
    assert password_tokens.read_token(token, RESET).id == user.id


def test_a_new_stamp_revokes_old_session_ids(user):
    old_id = user.get_id()
    assert sessions.user_for_session_id(old_id).id == user.id
    sessions.end_other_sessions(user)
    assert sessions.user_for_session_id(old_id) is None
    assert sessions.user_for_session_id(user.get_id()).id == user.id


@pytest.mark.parametrize("value", ["", ":", "abc", "1:", "99999999999:x", "1:\ud800", "²"])
def test_strange_session_ids_name_nobody(user, value):
    sessions.end_other_sessions(user)  # the account has a stamp: "<id>" alone is not enough
    assert sessions.user_for_session_id(value) is None


def test_the_clock_is_real_by_default(user):
    token = password_tokens.make_token(user, RESET)
    assert password_tokens.read_token(token, RESET, now=time.time() + 60).id == user.id
