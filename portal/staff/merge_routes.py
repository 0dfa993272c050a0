"""Staff: merge a ticket into another, and merge a surge's tickets into one."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from portal.htmx import hx_redirect, render_page_or_partial, toast, wants_partial
from portal.models import Ticket
from portal.models.base import parse_id
from portal.services import merge as merge_service
from portal.services import queue as queue_service
from portal.services import surges as surge_service
from portal.services.errors import NotFound, StaleTicket, TicketError
from portal.staff import bp
from portal.staff.forms import BulkMergeForm, MergeForm


def _go(url: str):
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


def _merge_page(ticket: Ticket, form: MergeForm, *, into: str = "", error=None, status=200):
    preview = None
    if error is None and into and ticket.merged_into_id is None:
        try:
            target = merge_service.find_target(current_user, into)
            preview = merge_service.preview(ticket, target, current_user)
        except TicketError as e:
            error = e
    if error is not None:
        status = 409 if isinstance(error, StaleTicket) else 422
        form.into.errors = [error.message]
    if preview is not None:
        form.into.data = ""  # the picker below offers another ticket; the confirmation has this one
        form.version.data = ticket.version
    resp = render_page_or_partial(
        "staff/merge.html",
        "staff/partials/_merge.html",
        status=status,
        ticket=ticket,
        form=form,
        into=into,
        preview=preview,
        suggestions=surge_service.similar_tickets(ticket) if ticket.merged_into_id is None else [],
    )
    return toast(resp, error.message, "error") if error is not None else resp


@bp.get("/tickets/<int:ticket_id>/merge")
def merge_confirm(ticket_id: int):
    """Pick the ticket to merge into (by number or from similar ones), then confirm."""
    ticket = queue_service.get_or_404(Ticket, ticket_id)
    into = (request.args.get("into") or "").strip()[:20]
    return _merge_page(ticket, MergeForm(formdata=None, into=into), into=into)


@bp.post("/tickets/<int:ticket_id>/merge")
def merge_create(ticket_id: int):
    ticket = queue_service.get_or_404(Ticket, ticket_id)
    form = MergeForm()
    if not form.validate_on_submit():
        return _merge_page(ticket, form, error=TicketError(next(iter(form.errors.values()))[0]))
    try:
        target = merge_service.find_target(current_user, form.into.data)
        merge_service.merge_tickets(
            ticket, target, actor=current_user, expected_version=form.version.data
        )
    except TicketError as e:
        return _merge_page(ticket, form, into=form.into.data, error=e)
    flash(f"Ticket #{ticket.id} was merged into #{target.id}.", "success")
    return _go(url_for("staff.ticket_detail", ticket_id=target.id))


def _surge_or_404(leader_id: int) -> surge_service.Surge:
    surge = surge_service.surge_for(leader_id)
    if surge is None:
        raise NotFound(leader_id)
    return surge


def _surge_page(surge, into: int | None, *, form: BulkMergeForm | None = None, status=200):
    """The group's tickets, the one to keep, and what merging each of the others will do."""
    tickets = queue_service.tickets_by_id(surge.ids)
    target = tickets.get(into) or tickets.get(surge.oldest_id)
    rows = []
    for t in tickets.values():
        if target is None or t.id == target.id:
            continue
        try:
            rows.append((t, merge_service.preview(t, target, current_user), None))
        except TicketError as e:
            rows.append((t, None, e.message))
    form = form or BulkMergeForm(formdata=None)
    form.into.data = target.id if target else None
    form.surge.data = surge.leader_id
    return render_page_or_partial(
        "staff/surge_merge.html",
        "staff/partials/_surge_merge.html",
        status=status,
        surge=surge,
        tickets=list(tickets.values()),
        target=target,
        rows=rows,
        strangers=sum(1 for _, p, _ in rows if p and p.requesters_differ),
        form=form,
    )


@bp.get("/surges/<int:leader_id>/merge")
def surge_merge_confirm(leader_id: int):
    surge = _surge_or_404(leader_id)
    return _surge_page(surge, request.args.get("into", type=int))


@bp.post("/surges/merge")
def surge_merge_create():
    form = BulkMergeForm()
    sources = _parse_sources(request.form.getlist("source"))
    if not form.validate_on_submit() or not sources:
        errors = [e for errs in form.errors.values() for e in errs]
        message = errors[0] if errors else "Choose at least one ticket to merge."
        surge = surge_service.surge_for(form.surge.data) if form.surge.data else None
        if surge is None:
            flash(message, "error")
            return _go(url_for("staff.queue"))
        form.into.errors = [message]
        return _surge_page(surge, form.into.data, form=form, status=422)
    try:
        target = merge_service.find_target(current_user, form.into.data)
    except TicketError as e:
        flash(e.message, "error")
        return _go(url_for("staff.queue"))
    result = merge_service.merge_many(target, sources, actor=current_user)
    if result.merged:
        listed = ", ".join(f"#{i}" for i in result.merged)
        n = len(result.merged)
        noun = "ticket" if n == 1 else "tickets"
        flash(f"Merged {n} {noun} into #{target.id}: {listed}.", "success")
    for ticket_id, reason in result.failed:
        flash(f"Not merged: #{ticket_id}: {reason}", "error")
    left = len(request.form.getlist("source")) - merge_service.MAX_BULK
    if left > 0:  # a surge can be larger than one bulk merge takes on
        flash(
            f"Not merged: {left} more checked {'ticket' if left == 1 else 'tickets'}: "
            f"{merge_service.MAX_BULK} go at a time. Merge the rest from the surge again.",
            "error",
        )
    return _go(url_for("staff.ticket_detail", ticket_id=target.id))


def _parse_sources(values: list[str]) -> list[tuple[int, int]]:
    """ "id:version" pairs from the checkboxes; anything else is dropped."""
    out = []
    for value in values[: merge_service.MAX_BULK]:
        ident, _, version = value.partition(":")
        ticket_id = parse_id(ident)
        if ticket_id is None:
            continue
        out.append((ticket_id, parse_id(version) or 0))  # no version seen: refused as stale
    return out
