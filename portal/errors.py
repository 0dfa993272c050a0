"""Errors answered as a page, an htmx fragment or JSON, by the kind of request."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import ratelimit
from portal.extensions import db
from portal.htmx import add_vary, toast, wants_partial
from portal.services.errors import NotFound

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in.",
    403: "You do not have access to this page.",
    404: "Nothing here. The page or ticket does not exist, or is not yours.",
    405: "That action is not allowed here.",
    409: "Someone changed this ticket meanwhile. Reload and try again.",
    413: "That upload is too large.",
    422: "Some fields need fixing.",
    429: "Too many requests. Wait a moment and try again.",
    500: "Something went wrong on our side. Your data is safe; try again in a moment.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def render_error(status: int, message: str | None = None):
    message = message or MESSAGES.get(status, "Error")
    if _wants_json():
        return jsonify(error=message, status=status), status
    if wants_partial():
        resp = make_response(
            render_template("errors/_error.html", status=status, message=message), status
        )
        return toast(add_vary(resp), message, "error")
    resp = make_response(
        render_template("errors/error.html", status=status, message=message), status
    )
    return add_vary(resp)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_error(
            400, "Your form expired or was sent from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(e: RateLimitExceeded):
        wait = ratelimit.retry_after()
        message = e.description if "{wait}" in (e.description or "") else MESSAGES[429]
        message = message.format(wait=ratelimit.wait_words(wait))
        resp = make_response(render_error(429, message))
        resp.headers["Retry-After"] = str(wait)
        if request.headers.get("HX-Request") == "true" and "HX-Trigger" not in resp.headers:
            # A boosted form (the login page) gets the full page, which htmx does not swap on
            # a 429: the toast carries the message instead of a generic "went wrong".
            toast(resp, message, "error")
        return resp

    @app.errorhandler(NotFound)
    def not_found(e: NotFound):
        return render_error(404)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        return render_error(e.code or 500, MESSAGES.get(e.code or 500) or e.description)

    @app.errorhandler(Exception)
    def unexpected(e: Exception):
        log.exception("unhandled error")
        db.session.rollback()
        return render_error(500)
