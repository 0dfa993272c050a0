"""Staff: canned replies — the team's list, create, edit, delete, preview, and the reply box's
type-ahead picker."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.forms import EmptyForm
from portal.htmx import hx_redirect, render_page_or_partial, toast, wants_partial
from portal.models import Ticket
from portal.services import canned_replies as canned_service
from portal.services import queue as queue_service
from portal.services.errors import TicketError
from portal.staff import bp
from portal.staff.forms import CannedReplyForm

_FIELDS = ("title", "body", "set_status", "set_priority", "set_category", "assign_to_me")


def _go(url: str):
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


def _fields(form: CannedReplyForm) -> canned_service.Fields:
    return canned_service.Fields(**{name: getattr(form, name).data for name in _FIELDS})


def _form_page(form: CannedReplyForm, *, canned=None, error: TicketError | None = None):
    status = 200
    if error is not None:
        status = 422
        target = getattr(form, error.field, None) if error.field else None
        if target is not None:
            target.errors = [*target.errors, error.message]
    elif form.errors:
        status = 422
    resp = render_page_or_partial(
        "staff/canned_reply_form.html",
        "staff/partials/_canned_form.html",
        status=status,
        form=form,
        canned=canned,
        error=error.message if error is not None and not error.field else None,
    )
    if status == 422:
        return toast(resp, "Check the highlighted fields.", "error")
    return resp


@bp.get("/canned-replies/")
def canned_reply_list():
    return render_page_or_partial(
        "staff/canned_replies.html",
        "staff/partials/_canned_list.html",
        replies=canned_service.list_replies(),
        describe=canned_service.describe_changes,
    )


@bp.route("/canned-replies/new", methods=["GET", "POST"])
def canned_reply_new():
    form = CannedReplyForm()
    if request.method == "GET":
        return _form_page(CannedReplyForm(formdata=None))
    if not form.validate_on_submit():
        return _form_page(form)
    try:
        canned = canned_service.create_reply(current_user, _fields(form))
    except TicketError as e:
        return _form_page(form, error=e)
    flash(f"Canned reply “{canned.title}” saved.", "success")
    return _go(url_for("staff.canned_reply_list"))


@bp.route("/canned-replies/<int:reply_id>/edit", methods=["GET", "POST"])
def canned_reply_edit(reply_id: int):
    canned = canned_service.get_reply(reply_id)
    if request.method == "GET":
        return _form_page(CannedReplyForm(formdata=None, obj=canned), canned=canned)
    form = CannedReplyForm()
    if not form.validate_on_submit():
        return _form_page(form, canned=canned)
    try:
        canned_service.update_reply(canned, current_user, _fields(form))
    except TicketError as e:
        return _form_page(form, canned=canned, error=e)
    flash(f"Canned reply “{canned.title}” saved.", "success")
    return _go(url_for("staff.canned_reply_list"))


@bp.route("/canned-replies/<int:reply_id>/delete", methods=["GET", "POST"])
def canned_reply_delete(reply_id: int):
    """GET asks first; POST (with the CSRF token) deletes."""
    canned = canned_service.get_reply(reply_id)
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        title = canned.title
        canned_service.delete_reply(canned, current_user)
        flash(f"Canned reply “{title}” deleted.", "success")
        return _go(url_for("staff.canned_reply_list"))
    return render_page_or_partial(
        "staff/canned_reply_delete.html", "staff/partials/_canned_delete.html", canned=canned
    )


@bp.post("/canned-replies/preview")
def canned_reply_preview():
    """The text as it would read on a sample ticket, or what is wrong with it (422)."""
    body = request.form.get("body", "")
    try:
        text = canned_service.preview(body, current_user)
    except TicketError as e:
        return render_page_or_partial(
            "staff/partials/_canned_preview.html",
            "staff/partials/_canned_preview.html",
            status=422,
            error=e.message,
        )
    return render_page_or_partial(
        "staff/partials/_canned_preview.html",
        "staff/partials/_canned_preview.html",
        text=text,
        sample=canned_service.SAMPLE,
    )


@bp.get("/tickets/<int:ticket_id>/canned-replies")
def canned_reply_search(ticket_id: int):
    """The reply box's type-ahead: matching replies, already filled in for this ticket."""
    ticket = queue_service.get_or_404(Ticket, ticket_id)
    q = request.args.get("q", "")
    results = []
    for canned in canned_service.search(q):
        try:
            text = canned_service.render(canned, ticket, current_user)
        except TicketError:
            continue  # saved before a rule changed: not offered rather than a 500
        results.append(
            {
                "id": canned.id,
                "title": canned.title,
                "text": text,
                "changes": canned_service.describe_changes(canned),
            }
        )
    return render_page_or_partial(
        "staff/partials/_canned_results.html",
        "staff/partials/_canned_results.html",
        results=results,
        q=canned_service.query_text(q),
        ticket=ticket,
    )


@bp.app_template_global("canned_pending")
def canned_pending(reply_form):
    """The canned reply a re-shown reply form (422/409) still carries, to show it again."""
    value = getattr(getattr(reply_form, "canned_reply_id", None), "data", None)
    if not value:
        return None
    try:
        canned = canned_service.get_reply(value)
    except LookupError:
        return None
    return {"title": canned.title, "changes": canned_service.describe_changes(canned)}
