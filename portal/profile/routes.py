"""GET shows the staff member's categories and open load; POST saves the categories."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from portal.htmx import hx_redirect, render_page_or_partial, wants_partial
from portal.profile import bp
from portal.profile.forms import CategoriesForm
from portal.services import assignment
from portal.services.errors import TicketError


def _page(form: CategoriesForm, status: int = 200):
    return render_page_or_partial(
        "profile/edit.html",
        "profile/partials/_categories_form.html",
        status=status,
        form=form,
        load=assignment.open_load([current_user.id])[current_user.id],
        coverage=assignment.coverage(),
    )


@bp.route("/", methods=["GET", "POST"])
def profile_edit():
    form = CategoriesForm()
    if form.validate_on_submit():
        try:
            chosen = assignment.set_categories(current_user, form.categories.data or [])
        except TicketError as e:
            form.categories.errors.append(e.message)
        else:
            flash(
                f"Saved: you handle {len(chosen)} categor{'y' if len(chosen) == 1 else 'ies'}.",
                "success",
            )
            url = url_for("profile.profile_edit")
            return hx_redirect(url) if wants_partial() else redirect(url, 303)
        return _page(form, 422)
    if form.errors:
        return _page(form, 422)
    form.categories.data = list(current_user.categories or [])
    return _page(form)
