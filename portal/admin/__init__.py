from flask import Blueprint

from portal.security import require_admin

bp = Blueprint("admin", __name__)
bp.before_request(require_admin)

from portal.admin import (  # noqa: E402,F401
    ai_routes,
    category_routes,
    mail_routes,
    routes,
    sla_routes,
    user_routes,
)
