"""Role guards for blueprints' before_request, and the login manager's hooks."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, request, url_for
from flask_login import current_user

from portal.extensions import login_manager
from portal.models import User
from portal.services import sessions


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # The session stamp check (revoked sessions and remember cookies) lives in one place.
    return sessions.user_for_session_id(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    login_url = url_for("auth.login", next=safe_next(_return_to()))
    if request.headers.get("HX-Request") == "true":
        resp = jsonify(error="login required")
        resp.status_code = 401
        resp.headers["HX-Redirect"] = login_url
        return resp
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error="login required"), 401
    return redirect(login_url)


def _return_to() -> str | None:
    """Where to go after logging in: the page the user was on, not a fragment or a POST."""
    if request.headers.get("HX-Request") == "true":
        # An htmx call (a poll, a fragment) would land the user on a bare fragment.
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        if not current.path or (current.netloc and current.netloc != request.host):
            return None
        return current.path + (f"?{current.query}" if current.query else "")
    # Only a GET can be repeated; a form post would come back as a 405.
    return request.full_path.rstrip("?") if request.method == "GET" else None


NEXT_MAX = 2000


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect, never a header it could split.

    Refused: schemes and hosts (`https://evil`, `//evil`, `/\\evil` — browsers read a backslash
    as a slash), control characters (`/%0D%0ALocation: …` would end the Location header; tabs
    and newlines are also dropped by browsers and urlsplit, turning `/\t/evil` into `//evil`),
    and anything absurdly long.
    """
    if not target or len(target) > NEXT_MAX:
        return None
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def require_login() -> None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    return None


def require_admin():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None
