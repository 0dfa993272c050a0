"""The staff AI panel: loaded lazily by htmx so the ticket page never waits for a model.

A suggested reply (confidence, sources, insert, regenerate, shorter / friendlier / more
formal), a summary of long threads, thumbs up or down with a comment, and the AI's triage
guess as a one-click "apply" when it was not applied automatically. When the AI is
unavailable every fragment says so with a 200; it never becomes an error page.
"""

from __future__ import annotations

import logging

from flask import abort, make_response, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.ai.errors import AIUnavailable
from portal.forms import select_choices
from portal.htmx import add_vary, toast
from portal.models import CATEGORY_CHOICES, PRIORITY_CHOICES, Ticket
from portal.services import ai_assist, ai_suggestions
from portal.services import tickets as ticket_service
from portal.services.errors import TicketError
from portal.services.settings import get_setting, threshold_for
from portal.staff import bp
from portal.staff.routes import _failed, _get_ticket, _updated

log = logging.getLogger(__name__)

STYLES = {"shorter": "Shorter", "friendlier": "Friendlier", "formal": "More formal"}
LONG_THREAD_REPLIES = 4
LONG_THREAD_CHARS = 2500
COMMENT_MAX = 1000
AI_DOWN = "AI unavailable right now. You can still reply yourself; try again in a moment."


class SuggestionForm(FlaskForm):
    """Regenerate, or rewrite the shown text in a style."""

    style = SelectField(choices=select_choices(STYLES.items()), validators=[Optional()])
    text = TextAreaField(validators=[Optional(), Length(max=ticket_service.REPLY_MAX)])
    suggestion_id = HiddenField()


class FeedbackForm(FlaskForm):
    rating = RadioField(
        "Was this suggestion useful?",
        choices=select_choices([("up", "Thumbs up"), ("down", "Thumbs down")]),
        validators=[InputRequired("Choose thumbs up or down.")],
    )
    comment = TextAreaField("Comment (optional)", validators=[Optional(), Length(max=COMMENT_MAX)])
    suggestion_id = HiddenField()


class TriageApplyForm(FlaskForm):
    category = SelectField(
        choices=select_choices([("", "—")] + CATEGORY_CHOICES), validators=[Optional()]
    )
    priority = SelectField(
        choices=select_choices([("", "—")] + PRIORITY_CHOICES), validators=[Optional()]
    )
    suggestion_id = HiddenField()
    version = HiddenField()


def _fragment(template: str, status: int = 200, **ctx):
    resp = make_response(render_template(template, **ctx), status)
    return add_vary(resp)


def _assistance_on() -> bool:
    return bool(get_setting("RESPONSE_AI_ASSISTANCE"))


def _ticket_or_off(ticket_id: int) -> Ticket:
    ticket = _get_ticket(ticket_id)
    if not _assistance_on():
        abort(404)
    return ticket


def _unavailable(ticket: Ticket, what: str = "panel"):
    return _fragment(
        "staff/partials/_ai_unavailable.html", ticket=ticket, message=AI_DOWN, what=what
    )


def _public_thread(ticket: Ticket) -> list:
    return [r for r in ticket.responses if not r.is_internal]


def is_long_thread(ticket: Ticket) -> bool:
    thread = _public_thread(ticket)
    chars = len(ticket.description) + sum(len(r.content) for r in thread)
    return len(thread) >= LONG_THREAD_REPLIES or chars >= LONG_THREAD_CHARS


def _triage_offer(ticket: Ticket, triage: ai_assist.PanelTriage | None) -> dict | None:
    """The AI's guesses that were not applied automatically and differ from the ticket."""
    if triage is None:
        return None
    offer = {}
    if (
        triage.category
        and "category" not in triage.applied_fields
        and triage.category != ticket.category
    ):
        offer["category"] = triage.category
    if (
        triage.priority
        and "priority" not in triage.applied_fields
        and triage.priority != ticket.priority
    ):
        offer["priority"] = triage.priority
    return offer or None


def _suggestion_ctx(ticket: Ticket, draft, *, style: str | None = None) -> dict:
    return {
        "ticket": ticket,
        "draft": draft,
        "sources": ai_suggestions.clean_sources(draft.sources),
        "style": style,
        "styles": STYLES,
        "suggestion_form": SuggestionForm(formdata=None),
        "feedback_form": FeedbackForm(formdata=None),
        "feedback_on": bool(get_setting("RESPONSE_FEEDBACK")),
        "threshold": _threshold(ticket),
    }


def _threshold(ticket: Ticket) -> float | None:
    try:
        return threshold_for(ticket.category)
    except Exception:  # a display detail; never worth failing the panel
        log.warning("threshold_for failed", exc_info=True)
        return None


@bp.get("/tickets/<int:ticket_id>/ai")
def ai_panel(ticket_id: int):
    """Reading the panel changes nothing: the waiting suggestion, or a placeholder that asks
    for one by POST as soon as it is shown (htmx, on load)."""
    ticket = _get_ticket(ticket_id)
    if not _assistance_on():
        return _fragment("staff/partials/_ai_off.html", ticket=ticket)
    draft = ai_suggestions.pending_draft(ticket)
    if draft is None:
        return _fragment("staff/partials/_ai_loading.html", ticket=ticket)
    return _panel(ticket, draft)


@bp.post("/tickets/<int:ticket_id>/ai")
def ai_panel_open(ticket_id: int):
    """The panel with a suggestion: the waiting one, or a new one written and stored now."""
    ticket = _get_ticket(ticket_id)
    if not _assistance_on():
        return _fragment("staff/partials/_ai_off.html", ticket=ticket)
    return _panel(ticket, ai_assist.panel_draft(ticket))


def _panel(ticket: Ticket, draft):
    triage = ai_assist.panel_triage(ticket)
    if draft is None and triage is None:
        return _unavailable(ticket)
    ctx = _suggestion_ctx(ticket, draft) if draft is not None else {"ticket": ticket}
    return _fragment(
        "staff/partials/_ai_panel.html",
        **ctx,
        draft_unavailable=draft is None,
        triage=triage,
        triage_offer=_triage_offer(ticket, triage),
        long_thread=is_long_thread(ticket),
    )


@bp.post("/tickets/<int:ticket_id>/ai/regenerate")
def ai_suggestion_regenerate(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    form = SuggestionForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        draft = ai_assist.draft_reply(ticket, fresh=True)
    except AIUnavailable:
        return _unavailable(ticket, "suggestion")
    return _fragment("staff/partials/_ai_suggestion.html", **_suggestion_ctx(ticket, draft))


@bp.post("/tickets/<int:ticket_id>/ai/rewrite")
def ai_suggestion_rewrite(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    form = SuggestionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _fragment(
            "staff/partials/_ai_message.html",
            422,
            ticket=ticket,
            message="Choose a style from the list.",
        )
    if form.style.data not in STYLES or not (form.text.data or "").strip():
        return _fragment(
            "staff/partials/_ai_message.html",
            422,
            ticket=ticket,
            message="Choose a style, and have a suggestion to rewrite.",
        )
    try:
        draft = ai_assist.rewrite_reply(
            ticket, form.text.data, form.style.data, suggestion_id=form.suggestion_id.data
        )
    except AIUnavailable:
        return _unavailable(ticket, "suggestion")
    return _fragment(
        "staff/partials/_ai_suggestion.html",
        **_suggestion_ctx(ticket, draft, style=form.style.data),
    )


@bp.get("/tickets/<int:ticket_id>/ai/summary")
def ai_summary(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    try:
        summary = ai_assist.summarize(ticket)
    except AIUnavailable:
        return _unavailable(ticket, "summary")
    return _fragment("staff/partials/_ai_summary.html", ticket=ticket, summary=summary)


@bp.post("/tickets/<int:ticket_id>/ai/feedback")
def ai_feedback_create(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    if not get_setting("RESPONSE_FEEDBACK"):
        abort(404)
    form = FeedbackForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _fragment("staff/partials/_ai_feedback.html", 422, ticket=ticket, feedback_form=form)
    suggestion = ai_suggestions.suggestion_for(ticket, form.suggestion_id.data)
    try:
        ai_suggestions.record_feedback(
            ticket=ticket,
            user=current_user,
            suggestion_id=suggestion.id if suggestion else None,
            rating=1 if form.rating.data == "up" else -1,
            comment=(form.comment.data or "").strip() or None,
        )
    except ValueError as e:
        form.comment.errors.append(str(e))
        return _fragment("staff/partials/_ai_feedback.html", 422, ticket=ticket, feedback_form=form)
    resp = _fragment("staff/partials/_ai_feedback.html", ticket=ticket, thanks=True)
    return toast(resp, "Thanks, feedback recorded")


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@bp.post("/tickets/<int:ticket_id>/ai/triage")
def ai_triage_apply(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    form = TriageApplyForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _failed(ticket, TicketError("Choose values from the lists."))
    changes = {}
    if form.category.data:
        changes["category"] = form.category.data
    if form.priority.data:
        changes["priority"] = form.priority.data
    if not changes:
        return _failed(ticket, TicketError("Nothing to apply."))
    try:
        changed = ai_suggestions.accept_triage(
            ticket,
            current_user,
            suggestion=ai_suggestions.suggestion_for(
                ticket, form.suggestion_id.data, kind="triage"
            ),
            changes=changes,
            expected_version=_int_or_none(form.version.data),
        )
    except TicketError as e:
        return _failed(ticket, e)
    return _updated(ticket, "AI suggestion applied" if changed else "Nothing changed")
