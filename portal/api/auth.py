"""Bearer tokens or the session (with CSRF) for the JSON API."""

from __future__ import annotations

import click
from flask import Flask, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from portal.api import bp
from portal.extensions import csrf
from portal.models import User
from portal.services import api_tokens
from portal.services.users import find_by_email

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _user_from_bearer(header: str) -> User | None:
    return api_tokens.user_for_token(header.removeprefix("Bearer ").strip())


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


create_token = api_tokens.create_token  # tests and the CLI create tokens here


def register_cli(app: Flask) -> None:
    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", default="cli", show_default=True)
    def create_token_command(email: str, name: str) -> None:
        """Create an API token for a user; it is printed once and only its hash is kept."""
        user = find_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user {email}.")
        click.echo(create_token(user, name))
