"""The JSON API at /api: the spec's ticket, response and AI endpoints.

Authentication: `Authorization: Bearer <token>` (tokens from `flask create-token`), or the
browser session — then writes need the CSRF token in an X-CSRFToken header, like htmx sends.
"""

from flask import Blueprint, Flask

bp = Blueprint("api", __name__)


def init_app(app: Flask) -> None:
    from portal.api import ai_routes, auth, routes  # noqa: F401
    from portal.extensions import csrf

    csrf.exempt(bp)  # CSRF is checked in api.auth for cookie sessions only
    app.register_blueprint(bp, url_prefix="/api")
    auth.register_cli(app)
