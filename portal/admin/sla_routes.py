"""Admin: SLA targets (first response and resolution, in business hours) per priority, and
per-category overrides. The business calendar itself is in Settings ("Service levels")."""

from __future__ import annotations

from flask import flash, redirect, request, url_for

from portal.admin import bp
from portal.admin.forms import SLATargetsForm
from portal.htmx import render_page_or_partial
from portal.models import CATEGORY_CHOICES, PRIORITY_CHOICES
from portal.services import sla
from portal.services.business_time import current_calendar

PARTIAL = "admin/partials/_sla_targets.html"
KINDS = (("fr", "First response"), ("res", "Resolution"))


def field_name(kind: str, priority: str, category: str | None) -> str:
    return f"{kind}-{priority}-{category or 'default'}"


def _fmt(hours: float | None) -> str:
    return "" if hours is None else f"{hours:g}"


def _stored_values() -> dict[str, str]:
    table = sla.policy_table()
    values = {}
    for key, targets in table.items():
        values[field_name("fr", *key)] = _fmt(targets.first_response_hours)
        values[field_name("res", *key)] = _fmt(targets.resolution_hours)
    return values


def _page(values: dict[str, str], errors: dict[str, str], status: int = 200):
    return render_page_or_partial(
        "admin/sla.html",
        PARTIAL,
        status=status,
        form=SLATargetsForm(),
        values=values,
        errors=errors,
        priorities=PRIORITY_CHOICES,
        categories=CATEGORY_CHOICES,
        field_name=field_name,
        calendar=current_calendar(),
    )


@bp.route("/sla", methods=["GET", "POST"])
def sla_edit():
    if request.method == "GET":
        return _page(_stored_values(), {})
    form = SLATargetsForm()
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    parsed: dict[tuple[str, str | None], tuple[float | None, float | None]] = {}
    for priority, p_label in PRIORITY_CHOICES:
        for category, c_label in [(None, "")] + list(CATEGORY_CHOICES):
            pair: list[float | None] = []
            for kind, k_label in KINDS:
                name = field_name(kind, priority, category)
                raw = (request.form.get(name) or "")[:50]
                values[name] = raw
                where = f"{k_label}, {p_label}" + (f", {c_label}" if category else "")
                try:
                    pair.append(sla.parse_hours(raw, label=where))
                except sla.SLAError as e:
                    errors[name] = str(e)
                    pair.append(None)
            parsed[(priority, category)] = (pair[0], pair[1])
    if not form.validate_on_submit():
        errors["_form"] = "The form expired: reload the page and try again."
    if errors:
        return _page(values, errors, 422)
    changed = sla.save_policies(parsed)
    flash(
        f"SLA targets saved ({changed} changed). New due times apply to new tickets "
        "and to tickets whose priority or category changes.",
        "success",
    )
    return redirect(url_for("admin.sla_edit"), 303)
