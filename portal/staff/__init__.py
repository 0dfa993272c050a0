from flask import Blueprint

from portal.security import require_staff

bp = Blueprint("staff", __name__)
bp.before_request(require_staff)

from portal.staff import (  # noqa: E402,F401
    ai_routes,
    canned_routes,
    merge_routes,
    queue_routes,
    report_routes,
    routes,
)
