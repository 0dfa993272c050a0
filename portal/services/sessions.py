"""Which sessions are still good: the one place that checks a session id's stamp.

Flask-Login keeps ``User.get_id()`` ("<id>:<stamp>") in the session and in the "remember me"
cookie. ``user_for_session_id`` (the login manager's user loader) accepts it only while the
stamp matches the account's current one, so ``end_other_sessions`` (a new stamp) ends every
session and remember cookie of the account at once. The caller logs the current browser in
again with the new id when it should stay signed in.
"""

from __future__ import annotations

import hmac
import secrets

from portal.extensions import db
from portal.models import User
from portal.models.base import parse_id


def user_for_session_id(value: str) -> User | None:
    """The account a session id names, or None when the id is malformed or revoked."""
    id_part, _, stamp = (value or "").partition(":")
    user_id = parse_id(id_part)
    if user_id is None or not stamp.isascii():  # stamps are hex
        return None
    user = db.session.get(User, user_id)
    if user is None:
        return None
    # An account that never had a stamp still accepts the plain "<id>" of older sessions.
    if not hmac.compare_digest((user.session_stamp or "").encode(), stamp.encode()):
        return None
    return user


def new_stamp(user: User) -> None:
    """Give the account a new stamp (not committed): every existing session id dies."""
    user.session_stamp = secrets.token_hex(16)


def end_other_sessions(user: User) -> None:
    """Revoke every session and remember cookie of ``user``, and commit."""
    new_stamp(user)
    db.session.commit()
