"""Knowledge base: browse and search for everyone logged in; write and edit for staff."""

from flask import Blueprint

from portal.security import require_login

bp = Blueprint("kb", __name__)
bp.before_request(require_login)

from portal.kb import routes  # noqa: E402,F401
