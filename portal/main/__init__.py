from flask import Blueprint, redirect, url_for
from flask_login import current_user

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_staff:
        return redirect(url_for("staff.queue"))
    return redirect(url_for("tickets.ticket_list"))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
