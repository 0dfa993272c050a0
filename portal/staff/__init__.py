from flask import Blueprint

from portal.security import require_staff

bp = Blueprint("staff", __name__)
bp.before_request(require_staff)

from portal.staff import ai_routes, canned_routes, merge_routes, routes  # noqa: E402,F401
