"""Admin: category coverage. For each of the spec's fixed categories, its open and unassigned
tickets, its AI threshold and who handles it; a matrix sets every staff member's categories at
once (the same categories staff choose on /staff/profile/, used by auto-assignment)."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for

from portal.admin import bp
from portal.admin.forms import CategoryMatrixForm
from portal.htmx import render_page_or_partial, toast, wants_partial
from portal.models import CATEGORY_CHOICES
from portal.services import assignment, settings
from portal.services import users as user_service
from portal.services.errors import TicketError

PARTIAL = "admin/partials/_categories.html"
FIELD_PREFIX = "categories-"
SEEN_PREFIX = "seen-"
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
ID = re.compile(r"[0-9]{1,12}")


def parse_seen(formdata, matrix: dict[int, list[str]]) -> dict[int, list[str]]:
    """{user id: [category, …]} as the form showed each row (its hidden "seen-<id>" field)."""
    seen: dict[int, list[str]] = {}
    for uid in matrix:
        raw = formdata.get(f"{SEEN_PREFIX}{uid}")
        if raw is not None:
            seen[uid] = [c for c in raw.split(",") if c]
    return seen


def parse_matrix(formdata) -> dict[int, list[str]]:
    """{user id: [category, …]} from the posted matrix; TicketError for a malformed one."""
    matrix: dict[int, list[str]] = {}
    for raw in formdata.getlist("person"):
        if not ID.fullmatch(raw):
            raise TicketError("The form was changed: reload the page and try again.")
        matrix[int(raw)] = []
    for key in formdata:
        if not key.startswith(FIELD_PREFIX):
            continue
        raw = key.removeprefix(FIELD_PREFIX)
        if not ID.fullmatch(raw) or int(raw) not in matrix:
            raise TicketError("The form was changed: reload the page and try again.")
        matrix[int(raw)] = formdata.getlist(key)
    return matrix


def _coverage(people, counts) -> list[dict]:
    thresholds = settings.thresholds()
    rows = []
    for value, label in CATEGORY_CHOICES:
        open_, unassigned = counts.get(value, (0, 0))
        rows.append(
            {
                "value": value,
                "label": label,
                "open": open_,
                "unassigned": unassigned,
                "threshold": thresholds.for_category(value),
                "override": value in thresholds.per_category,
                "handlers": [p for p in people if value in (p.categories or [])],
            }
        )
    return rows


def _page(form, status: int = 200, *, submitted: dict[int, list[str]] | None = None, error=None):
    people = user_service.staff_members()
    counts = assignment.open_by_category()
    chosen = {p.id: set(p.categories or []) for p in people}
    if submitted is not None:  # a refused form shows what was sent, so nothing is lost
        chosen.update({uid: set(cats) for uid, cats in submitted.items() if uid in chosen})
    return render_page_or_partial(
        "admin/categories.html",
        PARTIAL,
        status=status,
        form=form,
        people=people,
        load=assignment.open_load([p.id for p in people]),
        chosen=chosen,
        rows=_coverage(people, counts),
        categories=CATEGORY_CHOICES,
        uncategorised=counts.get(None, (0, 0)),
        auto_assign=settings.get_setting("TICKET_AUTO_ASSIGN"),
        error=error,
    )


@bp.route("/categories", methods=["GET", "POST"])
def categories_edit():
    form = CategoryMatrixForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        abort(400)
    matrix: dict[int, list[str]] | None = None
    try:
        matrix = parse_matrix(request.form)
        changed = assignment.set_category_matrix(matrix, parse_seen(request.form, matrix))
    except TicketError as e:
        resp = _page(form, 422, submitted=matrix, error=e.message)
        return toast(resp, e.message, "error") if wants_partial() else resp
    n = len(changed)
    message = f"Categories saved ({n} {'person' if n == 1 else 'people'} changed)."
    if wants_partial():
        return toast(_page(CategoryMatrixForm(formdata=None)), message)
    flash(message, "success")
    return redirect(url_for("admin.categories_edit"), 303)
