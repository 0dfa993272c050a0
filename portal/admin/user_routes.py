"""Admins create users from the UI, with a password or by invitation, and resend invitations.

An invitation is a set-password link (services.password_tokens, 72 hours, single use). With
SMTP configured it is mailed; without, the admin sees it once on screen.
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import tasks
from portal.admin import bp
from portal.admin.user_forms import UserCreateForm
from portal.forms import EmptyForm
from portal.models import User
from portal.services import accounts, notifications, password_tokens
from portal.services import queue as queue_service
from portal.services.errors import TicketError

log = logging.getLogger(__name__)


def _form_page(form: UserCreateForm, status: int = 200):
    page = render_template(
        "admin/user_new.html", form=form, mail_on=notifications.mail_configured()
    )
    return page, status


def _invitation_sent(user: User):
    """Mail the link, or show it once when mail is not configured."""
    hours = password_tokens.lifetime_hours(password_tokens.INVITE)
    queued = False
    if notifications.mail_configured():
        try:
            tasks.send_password_mail(user.id, password_tokens.INVITE)
            queued = True
        except Exception:  # the queue is down: show the link instead of losing it
            log.exception("could not queue the invitation mail for user %s", user.id)
    if queued:
        flash(
            f"Invitation e-mailed to {user.email}. The link works once, for {hours} hours.",
            "success",
        )
        return redirect(url_for("admin.user_list"), 303)
    link = accounts.password_link(user, password_tokens.INVITE)
    return render_template(
        "admin/user_invited.html",
        person=user,
        link=link,
        hours=hours,
        mail_on=notifications.mail_configured(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        invite = form.setup.data != "password"
        try:
            user = accounts.create_user(
                current_user,
                name=form.name.data,
                email=form.email.data,
                role=form.role.data,
                password=None if invite else form.password.data,
            )
        except TicketError as e:
            field = e.field if e.field in ("name", "email", "role", "password") else "email"
            form[field].errors.append(e.message)
            return _form_page(form, 422)
        if invite:
            return _invitation_sent(user)
        flash(f"Account created for {user.email} ({user.role}).", "success")
        return redirect(url_for("admin.user_list"), 303)
    if form.errors:
        return _form_page(form, 422)
    return _form_page(form)


@bp.post("/users/<int:user_id>/invite")
def user_invite(user_id: int):
    user = queue_service.get_or_404(User, user_id)
    if user.is_bot:
        abort(404)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.user_list"), 303)
    try:
        accounts.renew_invitation(current_user, user)
    except TicketError as e:
        flash(e.message, "error")
        return redirect(url_for("admin.user_list"), 303)
    return _invitation_sent(user)
