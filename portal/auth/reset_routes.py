"""Password reset by mail, set-password links (invitations and resets), password change.

Kept apart from auth/routes.py (login, logout, registration). Links come from
services.password_tokens; using one, or changing the password, ends the account's other
sessions (services.sessions).
"""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal import tasks
from portal.auth import bp
from portal.auth.password_forms import ChangePasswordForm, ResetRequestForm, SetPasswordForm
from portal.services import accounts, password_tokens
from portal.services.errors import TicketError

log = logging.getLogger(__name__)

PURPOSES = (password_tokens.INVITE, password_tokens.RESET)


def _queue_mail(user_id: int, purpose: str) -> None:
    # The queue being down must not tell an unknown address from a known one, nor fail a page.
    try:
        tasks.send_password_mail(user_id, purpose)
    except Exception:
        log.exception("could not queue the %s mail for user %s", purpose, user_id)


@bp.route("/reset", methods=["GET", "POST"])
def password_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = accounts.account_for_reset(form.email.data)
        if user is not None:
            _queue_mail(user.id, password_tokens.RESET)
        # The same answer whether or not the address has an account.
        return render_template(
            "auth/reset.html",
            form=form,
            sent_to=form.email.data,
            hours=password_tokens.lifetime_hours(password_tokens.RESET),
        )
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, sent_to=None), status


def _link_problem(error: password_tokens.TokenError, purpose: str):
    return (
        render_template(
            "auth/link_problem.html", message=error.message, expired=error.expired, purpose=purpose
        ),
        410 if error.expired else 400,
    )


@bp.route("/password/<purpose>/<token>", methods=["GET", "POST"])
def password_set(purpose: str, token: str):
    if purpose not in PURPOSES:
        abort(404)
    try:
        user = password_tokens.read_token(token, purpose)
    except password_tokens.TokenError as e:
        return _link_problem(e, purpose)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password_with_token(token, purpose, form.password.data)
        except password_tokens.TokenError as e:  # used meanwhile in another tab
            return _link_problem(e, purpose)
        except TicketError as e:
            getattr(form, e.field or "password").errors.append(e.message)
        else:
            if current_user.is_authenticated:
                logout_user()  # whoever was signed in here, the person logs in afresh
            flash("Your password is set. Log in with it now.", "success")
            return redirect(url_for("auth.login"), 303)
    status = 422 if form.errors else 200
    return render_template(
        "auth/password_set.html", form=form, person=user, purpose=purpose
    ), status


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password_change():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_user._get_current_object(), form.current.data, form.password.data
            )
        except TicketError as e:
            getattr(form, e.field or "password").errors.append(e.message)
        else:
            # This browser stays signed in under the new session stamp; others are logged out.
            remember = bool(
                request.cookies.get(
                    current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
                )
            )
            login_user(user, remember=remember)
            flash(
                "Password changed. Every other browser signed in to your account is logged out.",
                "success",
            )
            return redirect(url_for("auth.password_change"), 303)
    status = 422 if form.errors else 200
    return render_template("auth/password_change.html", form=form), status
