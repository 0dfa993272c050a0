"""End users' pages: their tickets, a new ticket, one ticket's conversation."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from portal.extensions import db
from portal.forms import EmptyForm, ReplyForm
from portal.htmx import hx_redirect, hx_trigger, render_page_or_partial, toast, wants_partial
from portal.services import queue as queue_service
from portal.services import satisfaction as satisfaction_service
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, TicketError
from portal.tickets import bp
from portal.tickets.forms import SatisfactionForm, TicketForm


def _public_thread(ticket):
    return [r for r in ticket.responses if not r.is_internal]


def _satisfaction(ticket, form: SatisfactionForm | None = None, *, saved: bool = False) -> dict:
    """What the requester's rating panel needs; nothing for anyone else (a follower never
    sees the requester's rating)."""
    if not satisfaction_service.can_rate(ticket, current_user):
        return {"can_rate": False}
    rating = satisfaction_service.rating_for(ticket)
    if form is None:
        form = SatisfactionForm(
            formdata=None,
            rating=str(rating.rating) if rating else None,
            comment=rating.comment if rating else "",
        )
    return {"can_rate": True, "rating": rating, "satisfaction_form": form, "saved": saved}


@bp.get("/")
def ticket_list():
    page = queue_service.page_number(request.args.get("page", 1, type=int))
    pagination = db.paginate(
        queue_service.user_tickets_query(current_user),
        page=page,
        per_page=current_app.config["MY_TICKETS_PER_PAGE"],
        error_out=False,
    )
    return render_page_or_partial(
        "tickets/list.html", "tickets/partials/_ticket_rows.html", pagination=pagination
    )


@bp.route("/new", methods=["GET", "POST"])
@bp.post("/", endpoint="ticket_create")
def ticket_new():
    form = TicketForm()
    if form.validate_on_submit():
        try:
            ticket = ticket_service.create_ticket(
                current_user,
                title=form.title.data,
                description=form.description.data,
                category=form.category.data or None,
                client_token=form.client_token.data or None,
            )
        except TicketError as e:
            getattr(form, e.field or "title").errors.append(e.message)
        else:
            url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
            flash("Ticket submitted. We will reply here.", "success")
            if wants_partial():
                return hx_redirect(url)
            return redirect(url, 303)
    status = 422 if form.errors else 200
    return render_page_or_partial(
        "tickets/new.html",
        "tickets/partials/_ticket_form.html",
        status=status,
        form=form,
        kb_suggest_url=url_for("kb.article_suggest") if "kb" in current_app.blueprints else None,
    )


@bp.get("/<int:ticket_id>/")
@bp.get("/<int:ticket_id>/responses/", endpoint="response_list")
def ticket_detail(ticket_id: int):
    """The ticket page; htmx (the page's live update) gets the ticket without the layout."""
    ticket = queue_service.get_ticket_for(current_user, ticket_id)
    return render_page_or_partial(
        "tickets/detail.html",
        "tickets/partials/_ticket.html",
        ticket=ticket,
        thread=_public_thread(ticket),
        form=ReplyForm(),
        action_form=EmptyForm(),
        csat=_satisfaction(ticket),
    )


@bp.post("/<int:ticket_id>/satisfaction/")
def satisfaction_create(ticket_id: int):
    """The requester rates the resolution (or changes the rating); htmx gets the panel."""
    ticket = queue_service.get_ticket_for(current_user, ticket_id)
    if ticket.user_id != current_user.id:
        abort(404)  # a follower of a merged ticket: the rating is the requester's
    form = SatisfactionForm()
    status = 200
    if form.validate_on_submit():
        try:
            satisfaction_service.rate(ticket, current_user, form.rating.data, form.comment.data)
        except satisfaction_service.NotRateable as e:
            form.rating.errors = [e.message]
            status = 409
        except TicketError as e:
            getattr(form, e.field or "rating").errors = [e.message]
            status = 422
        else:
            if not wants_partial():
                flash("Thank you for your rating.", "success")
                return redirect(url_for("tickets.ticket_detail", ticket_id=ticket.id), 303)
            resp = render_page_or_partial(
                "tickets/detail.html",
                "tickets/partials/_satisfaction.html",
                ticket=ticket,
                csat=_satisfaction(ticket, saved=True),
            )
            return toast(resp, "Thank you for your rating")
    else:
        status = 422
    if status == 409 and not satisfaction_service.can_rate(ticket, current_user):
        flash(form.rating.errors[0], "error")
        url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
        return hx_redirect(url, 200) if wants_partial() else redirect(url, 303)
    return render_page_or_partial(
        "tickets/detail.html",
        "tickets/partials/_satisfaction.html",
        status=status,
        ticket=ticket,
        thread=_public_thread(ticket),
        form=ReplyForm(formdata=None),
        action_form=EmptyForm(),
        csat=_satisfaction(ticket, form),
    )


@bp.post("/<int:ticket_id>/responses/")
def reply_create(ticket_id: int):
    ticket = queue_service.get_ticket_for(current_user, ticket_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            ticket_service.add_reply(
                ticket, current_user, form.content.data, client_token=form.client_token.data or None
            )
        except TicketError as e:
            form.content.errors.append(e.message)
        else:
            if not wants_partial():
                return redirect(
                    url_for("tickets.ticket_detail", ticket_id=ticket.id) + "#reply", 303
                )
            resp = render_page_or_partial(
                "tickets/detail.html",
                "tickets/partials/_conversation.html",
                ticket=ticket,
                thread=_public_thread(ticket),
                form=ReplyForm(formdata=None),
                action_form=EmptyForm(),
            )
            return toast(hx_trigger(resp, "ticket-updated", {"id": ticket.id}), "Reply sent")
    return render_page_or_partial(
        "tickets/detail.html",
        "tickets/partials/_conversation.html",
        status=422,
        ticket=ticket,
        thread=_public_thread(ticket),
        form=form,
        action_form=EmptyForm(),
    )


def _status_action(ticket_id: int, status: str, message: str):
    ticket = queue_service.get_ticket_for(current_user, ticket_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ticket_service.update_ticket(
            ticket, current_user, {"status": status}, expected_version=form.version.data
        )
    except PermissionDenied:
        abort(403)
    except TicketError as e:
        # A stale form: show the ticket as it is now, with the reason.
        flash(e.message, "error")
        url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
        return hx_redirect(url, 200) if wants_partial() else redirect(url, 303)
    flash(message, "success")
    url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


@bp.post("/<int:ticket_id>/close/")
def ticket_close(ticket_id: int):
    return _status_action(ticket_id, "closed", "Ticket closed.")


@bp.post("/<int:ticket_id>/reopen/")
def ticket_reopen(ticket_id: int):
    return _status_action(ticket_id, "open", "Ticket reopened.")
