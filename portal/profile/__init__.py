"""A staff member's profile: the categories they handle (used by auto-assignment)."""

from flask import Blueprint, Flask

from portal.security import require_staff

bp = Blueprint("profile", __name__)
bp.before_request(require_staff)

from portal.profile import routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from portal.services import assignment

    assignment.register_handlers()
    app.register_blueprint(bp, url_prefix="/staff/profile")
