"""The staff AI panel: loaded lazily by htmx so the ticket page never waits for a model.

A suggested reply (confidence, sources, insert, regenerate, shorter / friendlier / more
formal), a summary of long threads, thumbs up or down with a comment, and the AI's triage
guess as a one-click "apply" when it was not applied automatically. When the AI is
unavailable every fragment says so with a 200; it never becomes an error page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.extensions import db
from portal.forms import select_choices
from portal.htmx import add_vary, toast
from portal.models import CATEGORY_CHOICES, PRIORITY_CHOICES, Ticket
from portal.models.ai import AISuggestion
from portal.services import ai_workflow
from portal.services import tickets as ticket_service
from portal.services.errors import TicketError
from portal.services.settings import get_setting
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
    from flask import make_response

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


@dataclass
class TriageView:
    """The AI's triage guess as the panel shows it: from the stored suggestion when the
    triage task ran, else asked live."""

    category: str | None
    priority: str | None
    category_confidence: float | None
    priority_confidence: float | None
    rationale: str | None
    provider: str | None
    suggestion_id: int | None = None
    applied_fields: list = field(default_factory=list)
    status: str = "pending"
    calibrated: bool = True


def _triage_view(ticket: Ticket, service) -> TriageView | None:
    stored = service.latest_triage_suggestion(ticket.id)
    if stored is not None:
        return TriageView(
            stored.category,
            stored.priority,
            stored.category_confidence,
            stored.priority_confidence,
            stored.rationale,
            stored.provider,
            stored.id,
            list(stored.applied_fields or []),
            stored.status,
            # Local triage is calibrated in training; a Gemini answer says whether it was.
            stored.provider != "gemini" or bool(stored.calibrated),
        )
    try:
        live = service.triage(ticket)
    except service.AIUnavailable:
        return None
    return TriageView(
        live.category,
        live.priority,
        live.category_confidence,
        live.priority_confidence,
        live.rationale,
        live.provider,
        calibrated=live.calibrated,
    )


def _triage_offer(ticket: Ticket, triage: TriageView | None) -> dict | None:
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


def _stored_draft(ticket: Ticket, service):
    """The newest reply suggestion still waiting (e.g. the first answer that was not
    confident enough to post), if nothing public happened on the ticket since."""
    stmt = (
        sa.select(AISuggestion)
        .where(
            AISuggestion.ticket_id == ticket.id,
            AISuggestion.kind == "reply",
            AISuggestion.status == "pending",
        )
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )
    row = db.session.scalar(stmt)
    if row is None or not row.text:
        return None
    last_public = max((r.created_at for r in ticket.responses if not r.is_internal), default=None)
    if last_public is not None and row.created_at < last_public:
        return None
    return service.DraftResult(
        text=row.text,
        confidence=row.confidence if row.confidence is not None else 0.0,
        sources=list(row.sources or []),
        provider=row.provider,
        suggestion_id=row.id,
        raw_score=row.raw_score,
        calibrated=row.calibrated,
    )


def _suggestion_ctx(ticket: Ticket, draft, *, style: str | None = None) -> dict:
    return {
        "ticket": ticket,
        "draft": draft,
        "sources": ai_workflow.clean_sources(getattr(draft, "sources", None)),
        "style": style,
        "styles": STYLES,
        "suggestion_form": SuggestionForm(formdata=None),
        "feedback_form": FeedbackForm(formdata=None),
        "feedback_on": bool(get_setting("RESPONSE_FEEDBACK")),
        "threshold": _threshold(ticket),
    }


def _threshold(ticket: Ticket) -> float | None:
    try:
        return float(ai_workflow.facade().threshold_for(ticket.category))
    except Exception:  # a display detail; never worth failing the panel
        log.warning("threshold_for failed", exc_info=True)
        return None


@bp.get("/tickets/<int:ticket_id>/ai")
def ai_panel(ticket_id: int):
    ticket = _get_ticket(ticket_id)
    if not _assistance_on():
        return _fragment("staff/partials/_ai_off.html", ticket=ticket)
    service = ai_workflow.facade()
    try:
        draft = _stored_draft(ticket, service) or service.draft_reply(ticket)
    except service.AIUnavailable:
        draft = None
    triage = _triage_view(ticket, service)
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
    service = ai_workflow.facade()
    try:
        draft = service.draft_reply(ticket, fresh=True)
    except service.AIUnavailable:
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
    service = ai_workflow.facade()
    try:
        draft = service.rewrite_reply(
            ticket,
            form.text.data,
            form.style.data,
            suggestion_id=_suggestion_id_for(ticket, form.suggestion_id.data),
        )
    except service.AIUnavailable:
        return _unavailable(ticket, "suggestion")
    return _fragment(
        "staff/partials/_ai_suggestion.html",
        **_suggestion_ctx(ticket, draft, style=form.style.data),
    )


@bp.get("/tickets/<int:ticket_id>/ai/summary")
def ai_summary(ticket_id: int):
    ticket = _ticket_or_off(ticket_id)
    service = ai_workflow.facade()
    try:
        summary = service.summarize(ticket)
    except service.AIUnavailable:
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
    suggestion_id = _suggestion_id_for(ticket, form.suggestion_id.data)
    service = ai_workflow.facade()
    try:
        service.record_feedback(
            ticket=ticket,
            user=current_user,
            suggestion_id=suggestion_id,
            rating=1 if form.rating.data == "up" else -1,
            comment=(form.comment.data or "").strip() or None,
        )
    except ValueError as e:
        db.session.rollback()
        form.comment.errors.append(str(e))
        return _fragment("staff/partials/_ai_feedback.html", 422, ticket=ticket, feedback_form=form)
    resp = _fragment("staff/partials/_ai_feedback.html", ticket=ticket, thanks=True)
    return toast(resp, "Thanks, feedback recorded")


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _suggestion_id_for(ticket: Ticket, value) -> int | None:
    """A suggestion id from a form, kept only when it names one of this ticket's suggestions
    (a stale or forged id would break the foreign key or overflow the database's integer)."""
    sid = _int_or_none(value)
    if sid is None or not 0 < sid <= 2**31 - 1:
        return None
    suggestion = db.session.get(AISuggestion, sid)
    return sid if suggestion is not None and suggestion.ticket_id == ticket.id else None


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
        changed = ticket_service.update_ticket(
            ticket,
            current_user,
            changes,
            expected_version=_int_or_none(form.version.data),
            detail="applied the AI's suggestion",
        )
    except TicketError as e:
        return _failed(ticket, e)
    return _updated(ticket, "AI suggestion applied" if changed else "Nothing changed")
