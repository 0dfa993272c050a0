"""The notification list, mark read / all read, and the header badge fragment."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import EmptyForm
from portal.htmx import hx_redirect, hx_trigger, render_page_or_partial, toast, wants_partial
from portal.notifications import bp
from portal.services import notifications as service
from portal.services import queue as queue_service

PER_PAGE = 20


def _page() -> int:
    return queue_service.page_number(request.args.get("page", 1, type=int))


def _list_response(status: int = 200):
    unread_only = request.args.get("show") == "unread"
    pagination = db.paginate(
        service.notifications_query(current_user, unread_only=unread_only),
        page=_page(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_page_or_partial(
        "notifications/list.html",
        "notifications/partials/_list.html",
        status=status,
        pagination=pagination,
        show="unread" if unread_only else "all",
        unread=service.unread_count(current_user),
        action_form=EmptyForm(),
        back_args=_back_args(),
    )


def _back_args() -> dict:
    args = {}
    if request.args.get("show") == "unread":
        args["show"] = "unread"
    if _page() > 1:
        args["page"] = _page()
    return args


def _get(notification_id: int):
    try:
        return service.get_notification_for(current_user, notification_id)
    except service.NotificationNotFound:
        abort(404)


def _check_form() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


@bp.get("/")
def notification_list():
    return _list_response()


@bp.get("/badge")
def notification_badge():
    """The header link with the unread count; htmx refreshes it."""
    return render_page_or_partial(
        "notifications/partials/_badge.html",
        "notifications/partials/_badge.html",
    )


@bp.post("/<int:notification_id>/read")
def notification_read(notification_id: int):
    _get(notification_id)
    _check_form()
    service.mark_read(current_user, notification_id)
    if wants_partial():
        return hx_trigger(_list_response(), "notifications-changed")
    return redirect(url_for("notifications.notification_list", **_back_args()), 303)


@bp.post("/read-all")
def notification_read_all():
    _check_form()
    n = service.mark_all_read(current_user)
    message = f"Marked {n} notification{'s' if n != 1 else ''} as read."
    if wants_partial():
        return toast(hx_trigger(_list_response(), "notifications-changed"), message)
    flash(message, "success")
    return redirect(url_for("notifications.notification_list", **_back_args()), 303)


@bp.post("/<int:notification_id>/open")
def notification_open(notification_id: int):
    """Mark read and go to the ticket it is about."""
    note = _get(notification_id)
    _check_form()
    service.mark_read(current_user, notification_id)
    if note.ticket_id is None:
        url = url_for("notifications.notification_list")
    elif current_user.is_staff:
        url = url_for("staff.ticket_detail", ticket_id=note.ticket_id)
    else:
        url = url_for("tickets.ticket_detail", ticket_id=note.ticket_id)
    return hx_redirect(url) if wants_partial() else redirect(url, 303)
