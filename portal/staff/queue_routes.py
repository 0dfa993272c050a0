"""Staff queue tools: saved views (save, list, rename, delete) and bulk actions."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.htmx import add_vary, hx_trigger, wants_partial
from portal.services import bulk_update as bulk_service
from portal.services import queue as queue_service
from portal.services import saved_views as saved_view_service
from portal.services.errors import TicketError
from portal.staff import bp, queue_tools
from portal.staff.forms import BulkUpdateForm, SavedViewForm
from portal.staff.routes import render_queue

# ------------------------------------------------------------------------------- saved views


def _views_page(status: int = 200, *, errors: dict | None = None, names: dict | None = None):
    views = saved_view_service.list_views(current_user)
    counts = saved_view_service.safe_view_counts(current_user)
    resp = render_template(
        "staff/saved_views.html",
        views=[(v, saved_view_service.view_args(v), counts.get(v.id)) for v in views],
        errors=errors or {},
        names=names or {},
        form=SavedViewForm(formdata=None),
        max_views=saved_view_service.MAX_PER_USER,
    )
    return add_vary(make_response(resp, status))


@bp.get("/views/")
def saved_view_list():
    return _views_page()


@bp.post("/views/")
def saved_view_create():
    """Save the queue's current filters (posted with the form) under the name given."""
    form = SavedViewForm()
    filters = queue_service.QueueFilters.from_args(request.form)
    error = None
    if not form.validate_on_submit():
        error = next(iter(form.errors.values()))[0]
    else:
        try:
            view = saved_view_service.create_view(current_user, form.name.data, filters)
        except TicketError as e:
            error = e.message
    if error is not None:
        form.name.errors = [error]
        return render_queue(filters, 1, status=422, save_form=form)
    flash(f"Saved the view “{view.name}”.", "success")
    return redirect(url_for("staff.queue", **saved_view_service.view_args(view)), 303)


@bp.post("/views/<int:view_id>/rename")
def saved_view_rename(view_id: int):
    view = saved_view_service.get_view_for(current_user, view_id)
    form = SavedViewForm()
    error = None
    if not form.validate_on_submit():
        error = next(iter(form.errors.values()))[0]
    else:
        try:
            old = view.name
            saved_view_service.rename_view(current_user, view, form.name.data)
        except TicketError as e:
            error = e.message
    if error is not None:
        names = {view.id: (request.form.get("name") or "")[:200]}
        return _views_page(422, errors={view.id: error}, names=names)
    flash(f"Renamed “{old}” to “{view.name}”.", "success")
    return redirect(url_for("staff.saved_view_list"), 303)


@bp.post("/views/<int:view_id>/delete")
def saved_view_delete(view_id: int):
    view = saved_view_service.get_view_for(current_user, view_id)
    form = SavedViewForm()
    form.name.validators = []  # a delete button posts no name
    if not form.validate_on_submit():
        return _views_page(400)
    name = view.name
    saved_view_service.delete_view(current_user, view)
    flash(f"Deleted the view “{name}”.", "success")
    return redirect(url_for("staff.saved_view_list"), 303)


# ------------------------------------------------------------------------------- bulk actions


@bp.post("/bulk")
def bulk_update():
    """Apply one change to the checked tickets; answer with what changed and what did not.

    Without JavaScript: back to the same queue URL with the summary as a flash. With htmx: the
    queue's results for that URL, with the summary above the rows.
    """
    form = BulkUpdateForm()
    filters, page = queue_tools.parse_back(form.back.data)
    action = (request.form.get("action") or "").strip()
    try:
        if not form.validate_on_submit():
            raise TicketError("Your form expired: reload the queue and try again.", field="action")
        ids = bulk_service.parse_ticket_ids(request.form.getlist("ticket_ids"))
        field = {"assign": "assignee"}.get(action, action)
        changes = bulk_service.build_changes(
            current_user,
            action,
            request.form.get(field) if action in bulk_service.ACTIONS else None,
        )
    except TicketError as e:
        return render_queue(filters, page, status=422, bulk_error=e.message, bulk_field=e.field)
    result = bulk_service.bulk_update(
        current_user, ids, changes, versions=bulk_service.parse_versions(form.versions.data)
    )
    level = "success" if not result.failed else ("error" if not result.updated else "info")
    if not wants_partial():
        flash(result.summary, level)
        args = filters.as_args(page=page if page > 1 else None)
        return redirect(url_for("staff.queue", **args), 303)
    resp = render_queue(filters, page, bulk_summary=(level, result.summary))
    return hx_trigger(resp, "ticket-updated", {"ids": result.updated})
