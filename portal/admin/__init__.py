from flask import Blueprint

from portal.security import require_admin

bp = Blueprint("admin", __name__)
bp.before_request(require_admin)

from portal.admin import ai_routes, category_routes, routes, user_routes  # noqa: E402,F401
