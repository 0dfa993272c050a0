"""Chat pages and actions. Every view is for logged-in users, on their own conversations only."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user

from portal.ai.errors import AIUnavailable
from portal.chat import bp
from portal.chat.forms import ChatTicketForm, FeedbackForm, MessageForm, NewConversationForm
from portal.extensions import db
from portal.forms import EmptyForm, select_choices
from portal.htmx import hx_redirect, hx_trigger, render_page_or_partial, toast, wants_partial
from portal.models import AIConversation
from portal.models.base import parse_id
from portal.services import chat as chat_service
from portal.services import handover as handover_service
from portal.services import queue as queue_service
from portal.services.errors import PermissionDenied, TicketError

AI_DOWN = (
    "The assistant is unavailable right now. Your message was not sent; try again in a moment."
)


def _ticket_choices(posted: str | None = None) -> list:
    tickets = chat_service.own_tickets(current_user)
    # The ticket page's chat button posts its ticket, which may be older than the list shows.
    wanted = parse_id(posted)
    if wanted is not None and all(t.id != wanted for t in tickets):
        extra = chat_service.own_open_ticket(current_user, wanted)
        tickets = tickets + ([extra] if extra else [])
    return select_choices(
        [("", "Something new (no ticket yet)")]
        + [(str(t.id), f"#{t.id} {t.title}") for t in tickets]
    )


def _new_form(*, submitted: bool) -> NewConversationForm:
    form = NewConversationForm() if submitted else NewConversationForm(formdata=None)
    form.ticket.choices = _ticket_choices(form.ticket.data if submitted else None)
    return form


def _list_page(form: NewConversationForm, status: int = 200):
    page = 1
    pagination = db.paginate(
        chat_service.conversations_query(current_user),
        page=page,
        per_page=current_app.config["LIST_PER_PAGE"],
        error_out=False,
    )
    return render_page_or_partial(
        "chat/conversations.html",
        "chat/partials/_new_conversation.html",
        status=status,
        pagination=pagination,
        form=form,
    )


@bp.get("/conversations/")
def conversation_list():
    return _list_page(_new_form(submitted=False))


@bp.post("/conversations/")
def conversation_create():
    form = _new_form(submitted=True)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _list_page(form, 422)
    ticket = None
    if form.ticket.data:
        ticket = queue_service.get_ticket_for(current_user, int(form.ticket.data))
    try:
        conv = chat_service.start_conversation(current_user, ticket)
    except TicketError as e:
        form.ticket.errors.append(e.message)
        return _list_page(form, 422)
    url = url_for("chat.conversation_detail", conversation_id=conv.conversation_id)
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


def _chat_context(conv: AIConversation, **overrides) -> dict:
    ctx = {
        "conv": conv,
        "messages": chat_service.messages(conv),
        "feedback": chat_service.feedback(conv),
        "message_form": MessageForm(formdata=None, conversation_id=conv.conversation_id),
        "ticket_form": ChatTicketForm(formdata=None, title=chat_service.default_title(conv)),
        "feedback_form": FeedbackForm(formdata=None),
        "action_form": EmptyForm(formdata=None),
    }
    ctx.update(overrides)
    return ctx


def _chat(conv: AIConversation, status: int = 200, **overrides):
    return render_page_or_partial(
        "chat/conversation.html",
        "chat/partials/_chat.html",
        status=status,
        **_chat_context(conv, **overrides),
    )


@bp.get("/conversations/<conversation_id>/")
def conversation_detail(conversation_id: str):
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    return _chat(conv)


@bp.post("/chat/")
def message_create():
    form = MessageForm()
    conv = chat_service.get_conversation_for(current_user, form.conversation_id.data or "")
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _chat(conv, 422, message_form=form)
    try:
        chat_service.send_message(conv, form.message.data)
    except TicketError as e:
        form.message.errors.append(e.message)
        return _chat(conv, 422, message_form=form)
    except AIUnavailable:
        db.session.rollback()
        return _chat(conv, message_form=form, ai_error=AI_DOWN)
    if not wants_partial():
        return redirect(
            url_for("chat.conversation_detail", conversation_id=conv.conversation_id)
            + "#chat-form",
            303,
        )
    return _chat(conv)


def _checked_action_form() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


@bp.post("/conversations/<conversation_id>/answers/<int:index>/reject")
def answer_reject(conversation_id: str, index: int):
    """👎 on an answer: its article is not offered again; on the latest, the assistant retries."""
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    _checked_action_form()
    try:
        chat_service.reject_answer(conv, index)
    except TicketError as e:
        db.session.rollback()
        if not wants_partial():
            flash(e.message, "error")
            return redirect(
                url_for("chat.conversation_detail", conversation_id=conversation_id), 303
            )
        return _chat(conv, 422, action_error=e.message)
    except AIUnavailable:
        db.session.rollback()
        return _chat(conv, ai_error=AI_DOWN)
    if not wants_partial():
        return redirect(
            url_for("chat.conversation_detail", conversation_id=conversation_id) + "#chat-form",
            303,
        )
    return _chat(conv)


@bp.post("/conversations/<conversation_id>/end")
def conversation_end(conversation_id: str):
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    _checked_action_form()
    chat_service.end_conversation(conv)
    if not wants_partial():
        flash("Conversation ended. It is saved here.", "success")
        return redirect(url_for("chat.conversation_detail", conversation_id=conversation_id), 303)
    return toast(_chat(conv), "Conversation ended")


@bp.post("/conversations/<conversation_id>/feedback")
def feedback_create(conversation_id: str):
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _chat(conv, 422, feedback_form=form)
    try:
        chat_service.record_feedback(conv, int(form.rating.data), form.comment.data)
    except TicketError as e:
        getattr(form, e.field or "rating").errors.append(e.message)
        return _chat(conv, 422, feedback_form=form)
    if not wants_partial():
        flash("Thank you for the feedback.", "success")
        return redirect(url_for("chat.conversation_detail", conversation_id=conversation_id), 303)
    return toast(_chat(conv), "Thank you for the feedback")


@bp.post("/conversations/<conversation_id>/ticket")
def ticket_create(conversation_id: str):
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    form = ChatTicketForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _chat(conv, 422, ticket_form=form)
    try:
        ticket = chat_service.create_ticket_from_chat(
            conv, current_user, title=form.title.data, details=form.details.data
        )
    except TicketError as e:
        field = e.field if e.field in ("title", "details") else "title"
        getattr(form, field).errors.append(e.message)
        return _chat(conv, 422, ticket_form=form)
    flash("Ticket created from your chat. We will reply there.", "success")
    url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


@bp.post("/conversations/<conversation_id>/handover")
def handover(conversation_id: str):
    conv = chat_service.get_conversation_for(current_user, conversation_id)
    _checked_action_form()
    try:
        ticket = chat_service.hand_over(conv, current_user)
    except TicketError as e:
        db.session.rollback()
        if not wants_partial():
            flash(e.message, "error")
            return redirect(
                url_for("chat.conversation_detail", conversation_id=conversation_id), 303
            )
        return toast(_chat(conv, 422, action_error=e.message), e.message, "error")
    flash("A member of staff will pick this up. You will get the answer on the ticket.", "success")
    url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
    return hx_redirect(url) if wants_partial() else redirect(url, 303)


@bp.post("/tickets/<int:ticket_id>/human")
def ticket_human(ticket_id: int):
    """The "Talk to a person" button on the user's ticket page: flags the ticket for staff."""
    ticket = queue_service.get_ticket_for(current_user, ticket_id)
    if ticket.user_id != current_user.id:
        abort(403)
    _checked_action_form()
    message = "A member of staff will pick this up."
    level = "success"
    try:
        if not handover_service.request_human(ticket, current_user):
            message = "Staff already know you want a person."
    except (TicketError, PermissionDenied) as e:
        db.session.rollback()
        message, level = getattr(e, "message", str(e)), "error"
    url = url_for("tickets.ticket_detail", ticket_id=ticket.id)
    if not wants_partial():
        flash(message, level)
        return redirect(url, 303)
    db.session.refresh(ticket)
    resp = render_page_or_partial(
        "tickets/detail.html",
        "tickets/partials/_thread.html",
        ticket=ticket,
        thread=[r for r in ticket.responses if not r.is_internal],
    )
    return toast(hx_trigger(resp, "ticket-updated", {"id": ticket.id}), message, level)
