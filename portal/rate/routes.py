"""GET shows the rating the link carries, preselected; POST records it (with a comment)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.errors import render_error
from portal.rate import bp
from portal.services import satisfaction as satisfaction_service
from portal.services.errors import NotFound, TicketError
from portal.tickets.forms import SatisfactionForm


def _target(token: str) -> satisfaction_service.LinkTarget:
    try:
        target = satisfaction_service.read_link_token(token)
    except satisfaction_service.BadLink as e:
        abort(render_error(410 if e.expired else 400, e.message))
    except NotFound:
        abort(404)
    if current_user.is_authenticated and current_user.id != target.requester.id:
        abort(404)  # someone else's link, opened while signed in as another person
    return target


def _page(target, token: str, form: SatisfactionForm, status: int = 200, *, error=None):
    rating = satisfaction_service.rating_for(target.ticket, target.resolution)
    return (
        render_template(
            "rate/rate.html",
            ticket=target.ticket,
            target=target,
            token=token,
            form=form,
            rating=rating,
            current=target.resolution == satisfaction_service.resolution_number(target.ticket)
            and satisfaction_service.can_rate(target.ticket, target.requester),
            error=error,
        ),
        status,
    )


@bp.get("/<token>")
def rating_link(token: str):
    target = _target(token)
    rating = satisfaction_service.rating_for(target.ticket, target.resolution)
    form = SatisfactionForm(
        formdata=None,
        rating=str(rating.rating if rating and request.args.get("sent") else target.rating),
        comment=rating.comment if rating else "",
    )
    return _page(target, token, form)


@bp.post("/<token>")
def rating_submit(token: str):
    target = _target(token)
    form = SatisfactionForm()
    if not form.validate_on_submit():
        return _page(target, token, form, 422)
    try:
        satisfaction_service.rate(
            target.ticket,
            target.requester,
            form.rating.data,
            form.comment.data,
            resolution=target.resolution,
        )
    except satisfaction_service.NotRateable as e:
        return _page(target, token, form, 409, error=e.message)
    except TicketError as e:
        getattr(form, e.field or "rating").errors = [e.message]
        return _page(target, token, form, 422)
    flash("Thank you for your rating.", "success")
    return redirect(url_for("rate.rating_link", token=token, sent=1), 303)
