from flask import Blueprint

from portal.security import require_login

bp = Blueprint("tickets", __name__)
bp.before_request(require_login)

from portal.tickets import routes  # noqa: E402,F401
