"""Live pages: one cheap poll per open tab (versions and presence), see portal/live/routes.py."""

from flask import Blueprint

from portal.security import require_login

bp = Blueprint("live", __name__)
bp.before_request(require_login)

from portal.live import routes  # noqa: E402,F401
