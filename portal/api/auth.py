"""Bearer tokens or the session (with CSRF) for the JSON API."""

from __future__ import annotations

import secrets

import click
import sqlalchemy as sa
from flask import Flask, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from portal.api import bp
from portal.extensions import csrf, db
from portal.models import ApiToken, User
from portal.models.api_token import hash_token
from portal.models.base import utcnow

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _user_from_bearer(header: str) -> User | None:
    token = header.removeprefix("Bearer ").strip()
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


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = _user_from_bearer(header)
        if user is None:
            return jsonify(error="invalid or revoked token", status=401), 401
        g.api_user = user
        return None
    if not current_user.is_authenticated:
        return jsonify(error="login required", status=401), 401
    if request.method not in SAFE_METHODS:
        try:
            csrf.protect()
        except CSRFError:
            return jsonify(error="missing or invalid CSRF token", status=400), 400
    g.api_user = current_user._get_current_object()
    return None


def api_user() -> User:
    return g.api_user


def create_token(user: User, name: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:100], token_hash=hash_token(token)))
    db.session.commit()
    return token


def register_cli(app: Flask) -> None:
    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", default="cli", show_default=True)
    def create_token_command(email: str, name: str) -> None:
        """Create an API token for a user; it is printed once and only its hash is kept."""
        from portal.services.users import find_by_email

        user = find_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user {email}.")
        click.echo(create_token(user, name))
