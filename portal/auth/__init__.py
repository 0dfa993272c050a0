from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import reset_routes, routes  # noqa: E402,F401
