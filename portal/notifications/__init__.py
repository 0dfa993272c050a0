"""In-app notifications: the list page, mark read, the unread count in the header."""

from flask import Blueprint

from portal.security import require_login

bp = Blueprint("notifications", __name__)
bp.before_request(require_login)

from portal.notifications import routes  # noqa: E402,F401
