"""API bearer tokens: created once (only their hash is kept), checked on every API call."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.api_token import hash_token
from portal.models.base import utcnow


def create_token(user: User, name: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:100], token_hash=hash_token(token)))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to (its last use is recorded), else None."""
    if not token:
        return None
    row = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    if row is None or not row.user.is_active:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user
