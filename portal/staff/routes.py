"""Staff pages: the queue, and a ticket with replies, notes, fields, assignment and audit."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import EmptyForm
from portal.htmx import hx_trigger, render_page_or_partial, toast, wants_partial
from portal.models import Ticket
from portal.models.base import parse_id
from portal.services import ai_suggestions
from portal.services import canned_replies as canned_service
from portal.services import live as live_service
from portal.services import merge as merge_service
from portal.services import queue as queue_service
from portal.services import satisfaction as satisfaction_service
from portal.services import surges as surge_service
from portal.services import tickets as ticket_service
from portal.services import users as user_service
from portal.services.errors import StaleTicket, TicketError
from portal.services.settings import get_setting
from portal.staff import bp, queue_tools
from portal.staff.forms import AssignForm, StaffReplyForm, TicketFieldsForm


def _assign_choices() -> list[tuple[str, str]]:
    return [("", "Unassigned")] + [(str(u.id), u.name) for u in user_service.staff_members()]


@bp.get("/")
def queue():
    filters = queue_service.QueueFilters.from_args(request.args)
    page = queue_service.page_number(request.args.get("page", 1, type=int))
    return render_queue(filters, page)


def render_queue(filters, page: int, *, status: int = 200, **extra):
    """The queue page (or its results fragment) for these filters; `extra` goes to the template
    (the saved-view form, a bulk action's summary or error)."""
    counts = queue_service.safe_status_counts()
    view_counts = queue_service.safe_view_counts(current_user)
    total = queue_service.known_total(filters, counts, view_counts)
    surges = surge_service.current_surges()
    surge = None
    if filters.surge:
        surge = next((s for s in surges if s.leader_id == int(filters.surge)), None)
    pagination = db.paginate(
        queue_service.queue_query(
            filters, current_user, only_ids=(surge.ids if surge else []) if filters.surge else None
        ),
        page=page,
        per_page=current_app.config["TICKETS_PER_PAGE"],
        error_out=False,
        count=total is None,
    )
    if total is not None:
        pagination.total = total
    return render_page_or_partial(
        "staff/queue.html",
        "staff/partials/_queue_results.html",
        pagination=pagination,
        filters=filters,
        sorts=queue_service.SORTS,
        staff=user_service.staff_members(),
        counts=counts,
        view_counts=view_counts,
        views=queue_service.VIEWS,
        surges=[surge] if surge else ([] if filters.surge else surges),
        surge=surge,
        status=status,
        **queue_tools.queue_extras(filters, page, **extra),
    )


@bp.get("/counts")
def queue_counts():
    filters = queue_service.QueueFilters.from_args(request.args)
    resp = render_page_or_partial(
        "staff/partials/_queue_counts.html",
        "staff/partials/_queue_counts.html",
        counts=queue_service.safe_status_counts(),
        view_counts=queue_service.safe_view_counts(current_user),
        views=queue_service.VIEWS,
        filters=filters,
        saved_tabs=queue_tools.saved_tabs(filters),
    )
    return resp


def _ticket_context(ticket: Ticket, **overrides) -> dict:
    fields_form = TicketFieldsForm(
        formdata=None,
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category or "",
        version=ticket.version,
    )
    assign_form = AssignForm(
        formdata=None, assignee=str(ticket.assigned_to_id or ""), version=ticket.version
    )
    assign_form.assignee.choices = _assign_choices()
    ctx = {
        "ticket": ticket,
        "thread": ticket.responses,
        "reply_form": StaffReplyForm(formdata=None, version=ticket.version),
        "fields_form": fields_form,
        "assign_form": assign_form,
        "events": ticket.events,
        "merged_here": merge_service.merged_here(ticket),
        "csat_ratings": satisfaction_service.ratings_for(ticket),
    }
    # The AI panel only when assistance is on, and not on a ticket merged into another.
    if get_setting("RESPONSE_AI_ASSISTANCE") and ticket.merged_into_id is None:
        ctx["ai_panel_url"] = url_for("staff.ai_panel", ticket_id=ticket.id)
    ctx.update(overrides)
    return ctx


def _get_ticket(ticket_id: int) -> Ticket:
    return queue_service.get_or_404(Ticket, ticket_id)


@bp.get("/tickets/<int:ticket_id>/")
def ticket_detail(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    return render_page_or_partial(
        "staff/ticket.html", "staff/partials/_ticket_main.html", **_ticket_context(ticket)
    )


@bp.get("/tickets/<int:ticket_id>/events")
def event_list(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    return render_page_or_partial(
        "staff/ticket.html", "staff/partials/_timeline.html", **_ticket_context(ticket)
    )


def _updated(ticket: Ticket, message: str, partial: str = "staff/partials/_ticket_main.html"):
    if not wants_partial():
        flash(message, "success")
        return redirect(url_for("staff.ticket_detail", ticket_id=ticket.id), 303)
    db.session.refresh(ticket)
    resp = render_page_or_partial("staff/ticket.html", partial, **_ticket_context(ticket))
    return toast(hx_trigger(resp, "ticket-updated", {"id": ticket.id}), message)


def _failed(ticket: Ticket, error: TicketError, **form_overrides):
    status = 409 if isinstance(error, StaleTicket) else 422
    if not wants_partial():
        flash(error.message, "error")
        if status == 409:
            return redirect(url_for("staff.ticket_detail", ticket_id=ticket.id), 303)
        return (
            render_template("staff/ticket.html", **_ticket_context(ticket, **form_overrides)),
            status,
        )
    db.session.rollback()
    db.session.refresh(ticket)
    resp = render_page_or_partial(
        "staff/ticket.html",
        "staff/partials/_ticket_main.html",
        status=status,
        **_ticket_context(ticket, **form_overrides),
        error=error.message,
    )
    return toast(resp, error.message, "error")


@bp.post("/tickets/<int:ticket_id>/responses/")
def reply_create(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    form = StaffReplyForm()
    if not form.validate_on_submit():
        return _failed(
            ticket,
            TicketError(next(iter(form.errors.values()))[0], field="content"),
            reply_form=form,
        )
    confirm = request.form.get("confirm_stale")
    resolve = bool(form.resolve.data) or confirm == "resolve"
    if not form.internal.data and not confirm:
        newer = live_service.newer_public_replies(
            ticket, _seen_public_id(request.form.get("seen_public_id")), current_user
        )
        if newer:
            return _stale_reply(ticket, form, newer, resolve=resolve)
    try:
        reply = ticket_service.add_reply(
            ticket,
            current_user,
            form.content.data,
            internal=form.internal.data,
            client_token=form.client_token.data or None,
            resolve=resolve,
            expected_version=form.version.data if resolve else None,
        )
    except TicketError as e:
        form.content.errors.append(e.message)
        if isinstance(e, StaleTicket):  # what they typed stays; the next try sees the change
            db.session.rollback()
            form.version.data = db.session.get(Ticket, ticket.id).version
        return _failed(ticket, e, reply_form=form)
    _record_suggestion_use(form, reply)
    canned = _record_canned_use(form, reply)
    if form.internal.data:
        return _updated(ticket, "Note added" + canned)
    return _updated(
        ticket, ("Reply sent and ticket resolved" if resolve else "Reply sent") + canned
    )


def _record_canned_use(form: StaffReplyForm, reply) -> str:
    """A reply that used a canned reply: counted once, its kept field changes applied (through
    the ticket service, audited); the words added to the toast."""
    if not form.canned_reply_id.data:
        return ""
    use = canned_service.record_use(
        form.canned_reply_id.data,
        reply,
        current_user,
        apply_changes=form.canned_apply.data == "1",
        keep_status=bool(form.resolve.data),
    )
    if use is None:
        return ""
    if use.error:
        return f"; the canned reply's changes were not applied: {use.error}"
    if use.changed:
        return "; also set " + ", ".join(canned_service.describe_changed(use.changed))
    return ""


def _seen_public_id(raw: str | None) -> int | None:
    """The newest public message the form's page showed; None (no check) when absent."""
    if raw is None:
        return None
    return parse_id(raw) or 0  # "0" (nothing public yet), or a tampered value: ask


def _stale_reply(ticket: Ticket, form: StaffReplyForm, newer: list, *, resolve: bool):
    """A public reply written before newer messages arrived: nothing sent, the agent's text
    kept, the new messages shown, "Send anyway" (the same send or send-and-resolve) offered."""
    message = "A new message arrived while you were writing: nothing was sent yet."
    ctx = _ticket_context(ticket, reply_form=form, newer_replies=newer, stale_resolve=resolve)
    if not wants_partial():
        return render_template("staff/ticket.html", **ctx), 409
    resp = render_page_or_partial(
        "staff/ticket.html", "staff/partials/_ticket_main.html", 409, **ctx
    )
    return toast(resp, message, "info")


def _record_suggestion_use(form: StaffReplyForm, reply) -> None:
    """When a reply started from an AI suggestion, how much of it staff kept is measured."""
    if form.suggestion_id.data:
        ai_suggestions.record_suggestion_use(form.suggestion_id.data, reply)


@bp.post("/tickets/<int:ticket_id>/fields")
def ticket_update(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    form = TicketFieldsForm()
    if not form.validate_on_submit():
        return _failed(ticket, TicketError("Choose values from the lists."), fields_form=form)
    changes = {"status": form.status.data, "priority": form.priority.data}
    if form.category.data:
        changes["category"] = form.category.data
    try:
        changed = ticket_service.update_ticket(
            ticket, current_user, changes, expected_version=form.version.data
        )
    except TicketError as e:
        return _failed(ticket, e, fields_form=form)
    return _updated(ticket, "Ticket updated" if changed else "Nothing changed")


def _quick_status(ticket_id: int, status: str, message: str):
    ticket = _get_ticket(ticket_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ticket_service.update_ticket(
            ticket, current_user, {"status": status}, expected_version=form.version.data
        )
    except TicketError as e:
        return _failed(ticket, e)
    return _updated(ticket, message)


@bp.post("/tickets/<int:ticket_id>/resolve")
def ticket_resolve(ticket_id: int):
    return _quick_status(ticket_id, "resolved", "Ticket resolved")


@bp.post("/tickets/<int:ticket_id>/close")
def ticket_close(ticket_id: int):
    return _quick_status(ticket_id, "closed", "Ticket closed")


@bp.post("/tickets/<int:ticket_id>/reopen")
def ticket_reopen(ticket_id: int):
    return _quick_status(ticket_id, "open", "Ticket reopened")


@bp.post("/tickets/<int:ticket_id>/assign")
def ticket_assign(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    form = AssignForm()
    form.assignee.choices = _assign_choices() + [("me", "Me")]
    if not form.validate_on_submit():
        return _failed(
            ticket, TicketError("Choose a staff member from the list."), assign_form=form
        )
    # "Assign to me" is a button named like the select; the select's value comes first.
    value = "me" if "me" in request.form.getlist("assignee") else form.assignee.data
    assignee_id = current_user.id if value == "me" else (int(value) if value else None)
    try:
        changed = ticket_service.update_ticket(
            ticket,
            current_user,
            {"assigned_to_id": assignee_id},
            expected_version=form.version.data,
        )
    except TicketError as e:
        return _failed(ticket, e, assign_form=form)
    if not changed:
        return _updated(ticket, "Nothing changed")
    return _updated(ticket, "Assigned" if assignee_id else "Unassigned")
