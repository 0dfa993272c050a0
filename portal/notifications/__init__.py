"""In-app notifications: the list page, mark read, the unread count in the header."""

from flask import Blueprint, Flask

from portal.security import require_login

bp = Blueprint("notifications", __name__)
bp.before_request(require_login)

from portal.notifications import routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    from flask_login import current_user

    from portal.extensions import db
    from portal.notifications import tasks  # noqa: F401  (registers the email task)
    from portal.services import notifications as service

    service.register_handlers()
    app.register_blueprint(bp, url_prefix="/notifications")

    @app.context_processor
    def unread_notifications() -> dict:
        def count() -> int:
            if not current_user.is_authenticated:
                return 0
            try:
                return service.unread_count(current_user)
            except Exception:  # a header badge must never take a page down
                db.session.rollback()  # PostgreSQL: leave no aborted transaction behind
                return 0

        return {"unread_notifications": count}
