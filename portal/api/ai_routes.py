"""The spec's AI endpoints as JSON, under /api/ai/.

Staff: generate-response, categorize, suggestions, feedback. Everyone signed in: their own
conversations and chat (someone else's conversation is a 404). The AI services do the work
(drafts, triage, suggestions, chat), and changes to a ticket go through the ticket service as
the staff member. When the AI cannot answer the reply is a 503 JSON body
{"error": "AI unavailable", ...}, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from portal.ai.errors import AIUnavailable
from portal.api import bp
from portal.api.auth import api_user
from portal.api.routes import _body, _error, _paginate
from portal.api.serializers import _iso, page_dict, sources_for, ticket_dict
from portal.extensions import db
from portal.models import AIConversation, AISuggestion, Ticket
from portal.models.base import parse_id
from portal.services import ai_assist, ai_suggestions
from portal.services import chat as chat_service
from portal.services import queue as queue_service
from portal.services.errors import PermissionDenied, TicketError
from portal.services.settings import get_setting

COMMENT_MAX = 1000
RATINGS = {1: 1, -1: -1, "up": 1, "down": -1}
SUGGESTION_KINDS = ("triage", "reply")


# ---------------------------------------------------------------- helpers


def _unavailable(detail: str):
    resp = jsonify(error="AI unavailable", detail=detail, status=503)
    resp.status_code = 503
    resp.headers["Retry-After"] = "30"
    return resp


def _require_staff() -> None:
    if not api_user().is_staff:
        abort(403)


def _int_field(data: dict, key: str, *, required: bool = True) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TicketError(f"{key} must be a number.", field=key)
    return value


def _ticket_from(data: dict, *, required: bool = True) -> Ticket | None:
    ticket_id = _int_field(data, "ticket", required=required)
    if ticket_id is None:
        return None
    return queue_service.get_ticket_for(api_user(), ticket_id)


def suggestion_dict(s: AISuggestion) -> dict:
    data: dict[str, Any] = {
        "id": s.id,
        "ticket": s.ticket_id,
        "kind": s.kind,
        "provider": s.provider,
        "status": s.status,
        "created_at": _iso(s.created_at),
    }
    if s.kind == "triage":
        data.update(
            category=s.category,
            priority=s.priority,
            category_confidence=s.category_confidence,
            priority_confidence=s.priority_confidence,
            rationale=s.rationale,
            applied_fields=list(s.applied_fields or []),
        )
    else:
        data.update(
            text=s.text,
            confidence=s.confidence,
            sources=sources_for(s.sources, api_user()),
            edit_similarity=s.edit_similarity,
        )
    return data


def conversation_dict(conv: AIConversation, *, with_messages: bool = False) -> dict:
    messages = chat_service.messages(conv)
    data: dict[str, Any] = {
        "id": conv.conversation_id,
        "ticket": conv.ticket_id,
        "is_active": conv.is_active,
        "created_at": _iso(conv.created_at),
        "updated_at": _iso(conv.updated_at),
        "message_count": len(messages),
    }
    if with_messages:
        viewer = api_user()
        data["messages"] = [
            {
                "role": m["role"],
                "text": m["text"],
                "at": m["at"],
                **(
                    {"sources": sources_for(m.get("sources"), viewer)}
                    if m["role"] == "assistant"
                    else {}
                ),
            }
            for m in messages
        ]
    return data


# ---------------------------------------------------------------- staff: drafts and triage


@bp.post("/ai/generate-response/")
def ai_generate_response():
    """A suggested reply for staff (stored as the ticket's current suggestion)."""
    _require_staff()
    data = _body()
    try:
        fresh = data.get("fresh", False)
        if not isinstance(fresh, bool):
            raise TicketError("fresh must be true or false.", field="fresh")
        ticket = _ticket_from(data)
    except TicketError as e:
        return _error(e)
    if not get_setting("RESPONSE_AI_ASSISTANCE"):
        return _unavailable("AI suggestions for staff are switched off.")
    try:
        draft = ai_assist.draft_reply(ticket, fresh=fresh)
    except AIUnavailable as e:
        return _unavailable(str(e))
    return jsonify(
        {
            "suggestion_id": draft.suggestion_id,
            "ticket": ticket.id,
            "text": draft.text,
            "confidence": draft.confidence,
            "sources": sources_for(draft.sources, api_user()),
            "provider": draft.provider,
        }
    ), 201


@bp.post("/ai/categorize/")
def ai_categorize():
    """The AI's category and priority for a ticket, stored as a suggestion. With
    {"apply": true} staff apply it at once, through the ticket service as themselves."""
    _require_staff()
    data = _body()
    try:
        apply = data.get("apply", False)
        if not isinstance(apply, bool):
            raise TicketError("apply must be true or false.", field="apply")
        version = _int_field(data, "version", required=False)
        ticket = _ticket_from(data)
    except TicketError as e:
        return _error(e)
    if not get_setting("AI_CATEGORIZATION_ENABLED"):
        return _unavailable("AI categorisation is switched off.")
    try:
        result = ai_assist.triage(ticket)
    except AIUnavailable as e:
        return _unavailable(str(e))
    suggestion = ai_suggestions.store_triage(ticket, result, applied=[])
    applied: dict[str, Any] = {}
    if apply:
        try:
            changed = ai_suggestions.accept_triage(
                ticket, api_user(), suggestion=suggestion, expected_version=version
            )
        except (TicketError, PermissionDenied) as e:
            return _error(e)
        applied = {f: {"old": old, "new": new} for f, (old, new) in changed.items()}
        db.session.refresh(suggestion)
    return jsonify(
        {
            "suggestion": suggestion_dict(suggestion),
            "applied": applied,
            "ticket": ticket_dict(ticket, api_user()),
        }
    )


@bp.get("/ai/suggestions/")
def ai_suggestion_list():
    """Stored AI suggestions, newest first; ?ticket=<id> and ?kind=triage|reply filter."""
    _require_staff()
    ticket_id = None
    raw_ticket = request.args.get("ticket")
    if raw_ticket not in (None, ""):
        number = parse_id(raw_ticket)
        if number is None:
            return _error(TicketError("ticket must be a ticket id.", field="ticket"))
        ticket_id = queue_service.get_ticket_for(api_user(), number).id
    kind = request.args.get("kind") or None
    if kind is not None and kind not in SUGGESTION_KINDS:
        return _error(TicketError("kind is triage or reply.", field="kind"))
    pagination = _paginate(ai_suggestions.suggestions_query(ticket_id=ticket_id, kind=kind))
    return jsonify(page_dict(pagination, [suggestion_dict(s) for s in pagination.items]))


@bp.post("/ai/feedback/")
def ai_feedback_create():
    """Thumbs up (1 / "up") or down (-1 / "down") on a suggestion, with an optional comment."""
    _require_staff()
    data = _body()
    try:
        suggestion = ai_suggestions.get_suggestion(_int_field(data, "suggestion_id"))
        if suggestion is None:
            raise TicketError("No such suggestion.", field="suggestion_id")
        raw_rating = data.get("rating")
        if raw_rating is not None and (
            isinstance(raw_rating, bool)
            or not isinstance(raw_rating, int | str)
            or raw_rating not in RATINGS
        ):
            raise TicketError('rating is 1, -1, "up" or "down".', field="rating")
        comment = data.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise TicketError("comment must be text.", field="comment")
        comment = (comment or "").replace("\x00", "").strip()
        if len(comment) > COMMENT_MAX:
            raise TicketError(
                f"Keep the comment under {COMMENT_MAX:,} characters.", field="comment"
            )
        if raw_rating is None and not comment:
            raise TicketError("Give a rating or a comment.", field="rating")
    except TicketError as e:
        return _error(e)
    if not get_setting("RESPONSE_FEEDBACK"):
        return jsonify(error="Feedback on AI answers is switched off.", status=404), 404
    row = ai_suggestions.record_feedback(
        user=api_user(),
        ticket=queue_service.get_ticket_for(api_user(), suggestion.ticket_id),
        suggestion_id=suggestion.id,
        rating=RATINGS[raw_rating] if raw_rating is not None else None,
        comment=comment or None,
    )
    if row is None:  # switched off between the check and the write
        return jsonify(error="Feedback on AI answers is switched off.", status=404), 404
    return jsonify(
        {
            "id": row.id,
            "suggestion_id": row.suggestion_id,
            "ticket": row.ticket_id,
            "rating": row.rating,
            "comment": row.comment,
            "created_at": _iso(row.created_at),
        }
    ), 201


# ---------------------------------------------------------------- everyone: own conversations


@bp.get("/ai/conversations/")
def ai_conversation_list():
    """The caller's own conversations (staff too: a conversation is private to its user)."""
    pagination = _paginate(chat_service.conversations_query(api_user()))
    return jsonify(page_dict(pagination, [conversation_dict(c) for c in pagination.items]))


@bp.post("/ai/conversations/")
def ai_conversation_create():
    """Start a conversation, about one of the caller's own tickets or none."""
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        data = {}  # an empty body starts a conversation about nothing yet
    if not isinstance(data, dict):
        abort(400)
    try:
        ticket = _ticket_from(data, required=False)
        conv = chat_service.start_conversation(api_user(), ticket)
    except TicketError as e:
        return _error(e)
    return jsonify(conversation_dict(conv, with_messages=True)), 201


@bp.get("/ai/conversations/<conversation_id>/")
def ai_conversation_detail(conversation_id: str):
    conv = chat_service.get_conversation_for(api_user(), conversation_id)
    return jsonify(conversation_dict(conv, with_messages=True))


@bp.post("/ai/chat/")
def ai_chat():
    """One turn with the assistant in the caller's own conversation."""
    data = _body()
    conversation_id = data.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        return _error(TicketError("conversation_id is required.", field="conversation_id"))
    conv = chat_service.get_conversation_for(api_user(), conversation_id)
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        return _error(TicketError("message must be text.", field="message"))
    try:
        result = chat_service.send_message(conv, message or "")
    except TicketError as e:
        return _error(e)
    except AIUnavailable as e:
        return _unavailable(str(e))
    return jsonify(
        {
            "reply": result.reply,
            "provider": result.provider,
            "sources": sources_for(result.sources, api_user()),
            "conversation": conversation_dict(conv, with_messages=True),
        }
    )
