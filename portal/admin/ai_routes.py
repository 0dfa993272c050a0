"""Admin AI dashboard: usage, cost, quality of suggestions and auto-apply, per-category thresholds.

The figures come from services/ai_metrics.py and are drawn by admin/charts.py; the thresholds
are stored through the settings service.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm

from portal.admin import bp
from portal.admin.charts import build_charts
from portal.admin.forms import ThresholdForm, parse_overrides
from portal.htmx import render_page_or_partial, toast, wants_partial
from portal.models import CATEGORY_CHOICES
from portal.services import ai_metrics, settings

RANGES = (7, 14, 30, 90)
DEFAULT_RANGE = 14
DASHBOARD_PARTIAL = "admin/partials/_ai_dashboard.html"
THRESHOLDS_PARTIAL = "admin/partials/_ai_thresholds.html"


def _range() -> int:
    value = request.args.get("days", DEFAULT_RANGE, type=int)
    return value if value in RANGES else DEFAULT_RANGE


def _dashboard(form: FlaskForm | None = None, status: int = 200, partial: str = DASHBOARD_PARTIAL):
    n = _range()
    days = ai_metrics.days_back(n)
    usage = ai_metrics.usage_stats(days)
    sugg = ai_metrics.suggestion_stats(days)
    auto = ai_metrics.auto_apply_stats(days)
    chats = ai_metrics.chat_rating_stats(days)
    calibration = ai_metrics.calibration_status()
    overrides = settings.threshold_overrides()
    if form is None:
        form = ThresholdForm(
            formdata=None,
            data={
                c: ("" if c not in overrides else f"{overrides[c]:g}") for c, _ in CATEGORY_CHOICES
            },
        )
    return render_page_or_partial(
        "admin/ai.html",
        partial,
        status=status,
        days=n,
        ranges=RANGES,
        charts=build_charts(days, usage, sugg, auto, chats),
        chats=chats,
        usage=usage,
        sugg=sugg,
        auto=auto,
        total_calls=sum(usage["total"]),
        total_hits=sum(usage["hits"]),
        total_errors=sum(usage["errors"]),
        total_tokens=sum(usage["tokens"]),
        total_cost=sum(usage["cost"]),
        form=form,
        overrides=overrides,
        global_threshold=settings.get_setting("AI_CONFIDENCE_THRESHOLD"),
        categories=CATEGORY_CHOICES,
        draft_calibration=calibration.draft,
        draft_calibration_needed=calibration.draft_needed,
        article_calibration=calibration.article,
        gemini_calibration=calibration.gemini,
        gemini_calibration_needed=calibration.gemini_needed,
    )


@bp.get("/ai")
def ai_dashboard():
    return _dashboard()


@bp.post("/ai/thresholds")
def ai_thresholds_update():
    form = ThresholdForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    values = parse_overrides(form)
    if any(form[c].errors for c, _ in CATEGORY_CHOICES):
        resp = _dashboard(form, 422, THRESHOLDS_PARTIAL)
        return toast(resp, "Some thresholds need fixing.", "error") if wants_partial() else resp
    # parse_overrides has already held the values to what set_thresholds accepts.
    changed = settings.set_thresholds(values)
    message = f"Thresholds saved ({changed} changed)."
    if wants_partial():
        return toast(_dashboard(None, 200, THRESHOLDS_PARTIAL), message)
    flash(message, "success")
    return redirect(url_for("admin.ai_dashboard"), 303)
