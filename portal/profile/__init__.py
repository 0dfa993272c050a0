"""A staff member's profile: the categories they handle (used by auto-assignment)."""

from flask import Blueprint

from portal.security import require_staff

bp = Blueprint("profile", __name__)
bp.before_request(require_staff)

from portal.profile import routes  # noqa: E402,F401
