"""Set-password links: signed, expiring, single-use. One service for invitations and resets.

A token is an itsdangerous timed signature (SECRET_KEY, a salt per purpose so an invitation
cannot be used as a reset or the reverse) over the user's id and a fingerprint of their current
password hash and session stamp. Setting a password changes both, so a used link stops
working, as does every other link issued before; a new invitation rotates the stamp, which
retires the earlier one. ``now`` (seconds since the epoch) injects the clock in tests.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import User
from portal.models.base import parse_id

INVITE = "invite"
RESET = "reset"
LIFETIMES = {INVITE: timedelta(hours=72), RESET: timedelta(hours=1)}
MAX_TOKEN_LENGTH = 400  # ours are about 100 characters


class TokenError(ValueError):
    """A link that cannot set a password; ``message`` is what the person reads."""

    expired = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenExpired(TokenError):
    expired = True


INVALID = "This link is not valid. It may have been used already or replaced by a newer one."
EXPIRED = "This link has expired."


def _serializer(purpose: str, now: float | None) -> URLSafeTimedSerializer:
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown purpose {purpose!r}")

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() if now is None else now)

    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"portal.password.{purpose}", signer=_Signer
    )


def fingerprint(user: User) -> str:
    """Changes whenever the password or the session stamp does."""
    material = f"{user.id}:{user.password_hash}:{user.session_stamp or ''}"
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def make_token(user: User, purpose: str, *, now: float | None = None) -> str:
    return _serializer(purpose, now).dumps({"u": user.id, "f": fingerprint(user)})


def lifetime_hours(purpose: str) -> int:
    return int(LIFETIMES[purpose].total_seconds() // 3600)


def read_token(token: str, purpose: str, *, now: float | None = None) -> User:
    """The active account a valid, unexpired, unused link is for. Raises TokenError."""
    if not isinstance(token, str) or not token.isascii() or len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(INVALID)
    max_age = int(LIFETIMES[purpose].total_seconds())
    try:
        data = _serializer(purpose, now).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenExpired(EXPIRED) from None
    except (BadData, UnicodeError, ValueError):
        raise TokenError(INVALID) from None
    if not isinstance(data, dict):
        raise TokenError(INVALID)
    user_id = parse_id(data.get("u"))
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active or data.get("f") != fingerprint(user):
        raise TokenError(INVALID)
    return user
