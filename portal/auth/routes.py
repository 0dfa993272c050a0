from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, RegisterForm
from portal.security import safe_next
from portal.services import users
from portal.services.errors import TicketError


def start_session() -> None:
    """A fresh session at login: nothing from before (session fixation), a new CSRF token."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request copy of the old token


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is None:
            # One message for unknown email, wrong password and deactivated account alike.
            form.password.errors.append("Email or password is incorrect.")
        else:
            start_session()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("main.index"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.register_user(
                email=form.email.data, name=form.name.data, password=form.password.data
            )
        except TicketError as e:
            getattr(form, e.field or "email").errors.append(e.message)
        else:
            start_session()
            login_user(user)
            flash("Welcome! Your account is ready.", "success")
            return redirect(url_for("tickets.ticket_list"))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    logout_user()
    users.end_sessions(user)  # a copied session or remember cookie stops working too
    session.clear()
    session["_remember"] = "clear"  # Flask-Login deletes the remember cookie on the response
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
