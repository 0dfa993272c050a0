"""Admin pages: settings, users."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ActiveForm, RoleForm, settings_form_class
from portal.extensions import db
from portal.htmx import render_page_or_partial
from portal.models import User
from portal.services import queue as queue_service
from portal.services import settings as settings_service
from portal.services import settings_help
from portal.services import users as user_service
from portal.services.errors import TicketError


def _settings_page(form, status: int = 200):
    return render_page_or_partial(
        "admin/settings.html",
        "admin/partials/_settings_form.html",
        status=status,
        form=form,
        groups=settings_service.GROUPS,
        specs=settings_service.SPECS,
        gemini_configured=bool(current_app.config.get("GEMINI_API_KEY")),
        behaviours=settings_help.effective_behaviour(settings_service.all_settings()),
    )


@bp.get("/")
def index():
    return redirect(url_for("admin.settings_edit"))


@bp.route("/settings", methods=["GET", "POST"])
def settings_edit():
    form_class = settings_form_class()
    if request.method == "GET":
        return _settings_page(form_class(data=settings_service.all_settings()))
    form = form_class()
    if form.validate_on_submit():
        values = {}
        for spec in settings_service.SPECS:
            data = getattr(form, spec.key).data
            values[spec.key] = float(data) if spec.kind is float else data
        try:
            changed = settings_service.update_settings(values)
        except settings_service.SettingError as e:
            if e.key is not None and e.key in form:
                form[e.key].errors = [*form[e.key].errors, str(e)]  # beside the field
            else:
                flash(str(e), "error")
            return _settings_page(form, 422)
        flash(f"Settings saved ({len(changed)} changed).", "success")
        return redirect(url_for("admin.settings_edit"), 303)
    return _settings_page(form, 422)


@bp.get("/users")
def user_list():
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:100]
    pagination = db.paginate(
        user_service.users_query(q),
        page=queue_service.page_number(request.args.get("page", 1, type=int)),
        per_page=current_app.config["LIST_PER_PAGE"],
        error_out=False,
    )
    return render_page_or_partial(
        "admin/users.html",
        "admin/partials/_user_rows.html",
        pagination=pagination,
        q=q,
        role_form=RoleForm(formdata=None),
        active_form=ActiveForm(formdata=None),
    )


def _get_user(user_id: int) -> User:
    user = queue_service.get_or_404(User, user_id)
    if user.is_bot:
        abort(404)
    return user


@bp.post("/users/<int:user_id>/role")
def user_role(user_id: int):
    user = _get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role from the list.", "error")
        return redirect(url_for("admin.user_list"), 303)
    try:
        user_service.set_role(current_user, user, form.role.data)
    except TicketError as e:
        flash(e.message, "error")
    else:
        flash(f"{user.name} is now {form.role.data}.", "success")
    return redirect(url_for("admin.user_list"), 303)


@bp.post("/users/<int:user_id>/active")
def user_active(user_id: int):
    user = _get_user(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        user_service.set_active(current_user, user, bool(form.active.data))
    except TicketError as e:
        flash(e.message, "error")
    else:
        flash(f"{user.name} {'reactivated' if form.active.data else 'deactivated'}.", "success")
    return redirect(url_for("admin.user_list"), 303)
