"""Knowledge base: browse and search for everyone logged in; write and edit for staff."""

from flask import Blueprint, Flask

from portal.security import require_login

bp = Blueprint("kb", __name__)
bp.before_request(require_login)

from portal.kb import routes  # noqa: E402,F401
from portal.kb.seed import seed_articles  # noqa: E402

__all__ = ["bp", "init_app", "seed_articles"]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/kb")
