"""The JSON API at /api: the spec's ticket, response and AI endpoints.

Authentication: `Authorization: Bearer <token>` (tokens from `flask create-token`), or the
browser session — then writes need the CSRF token in an X-CSRFToken header, like htmx sends.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.api import ai_routes, auth, body, report_routes, routes  # noqa: E402,F401
