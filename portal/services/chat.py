"""Conversations with the assistant: start, talk, end with feedback, turn into a ticket.

The only writer of AIConversation.context, whose one shape is::

    {
      "messages": [{"role": "user" | "assistant", "text": str, "at": ISO time,
                    "provider": "local" | "gemini"  (assistant turns),
                    "sources": [{"kind": "kb", "id": n, "title": str}]  (assistant turns),
                    "rejected": true  (an assistant turn the user rated down)}],
      "rejected_articles": [article id, ...],   (articles the user said did not help)
      "ended_at": ISO time,                                     (once ended)
      "feedback": {"rating": 1-5, "comment": str, "at": ISO time},  (once rated)
      "ticket_created": ticket id,                              (once turned into a ticket)
      "handed_over": true,                                      (once handed to staff)
    }

Tickets are created and flagged only through services.tickets and services.handover.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from portal.ai import chat as ai_chat
from portal.ai.errors import AIUnavailable
from portal.ai.inputs import ChatTurn
from portal.ai.results import ChatResult
from portal.extensions import db
from portal.models import AIConversation, Ticket, User
from portal.models.base import utcnow
from portal.services import handover, settings
from portal.services import tickets as ticket_service
from portal.services.errors import NotFound, TicketError

MESSAGE_MAX = 4000
_SURROGATES = re.compile("[\ud800-\udfff]")
COMMENT_MAX = 1000
TRANSCRIPT_HEADER = "--- Conversation with the AI assistant ---"


def conversations_query(user: User) -> sa.Select:
    return (
        sa.select(AIConversation)
        .where(AIConversation.user_id == user.id)
        .order_by(AIConversation.updated_at.desc(), AIConversation.id.desc())
    )


def get_conversation_for(user: User, conversation_id: str) -> AIConversation:
    """The user's own conversation, or 404: someone else's does not exist for them."""
    if not conversation_id or "\x00" in conversation_id:  # PostgreSQL refuses NUL in a query
        raise NotFound(conversation_id)
    conv = db.session.scalar(
        sa.select(AIConversation).where(AIConversation.conversation_id == conversation_id)
    )
    if conv is None or conv.user_id != user.id:
        raise NotFound(conversation_id)
    return conv


def own_tickets(user: User) -> list[Ticket]:
    stmt = (
        sa.select(Ticket)
        .where(Ticket.user_id == user.id, Ticket.status != "closed")
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc())
        .limit(50)
    )
    return list(db.session.scalars(stmt))


def own_open_ticket(user: User, ticket_id: int) -> Ticket | None:
    """One of the user's tickets a chat may be about (not closed), however old."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.user_id != user.id or ticket.status == "closed":
        return None
    return ticket


def start_conversation(user: User, ticket: Ticket | None = None) -> AIConversation:
    if ticket is not None and ticket.user_id != user.id:
        raise TicketError("Choose one of your tickets.", field="ticket")
    conv = AIConversation(
        user_id=user.id,
        ticket_id=ticket.id if ticket else None,
        conversation_id=uuid.uuid4().hex,
        context={},
        is_active=True,
    )
    db.session.add(conv)
    db.session.commit()
    return conv


def clean_message(text: str | None) -> str:
    # NUL (PostgreSQL refuses it) and lone surrogates (no encoding can store them) go.
    message = _SURROGATES.sub("", (text or "").replace("\x00", "")).strip()
    if not message:
        raise TicketError("Write a message first.", field="message")
    if len(message) > MESSAGE_MAX:
        raise TicketError(f"Keep a message under {MESSAGE_MAX:,} characters.", field="message")
    return message


def send_message(conv: AIConversation, text: str) -> ChatResult:
    """One turn: the assistant answers and both turns are saved. Raises AIUnavailable."""
    if not conv.is_active:
        raise TicketError("This conversation has ended. Start a new one.", field="message")
    message = clean_message(text)
    if not settings.get_setting("AI_RESPONSE_ENABLED"):
        raise AIUnavailable("AI responses are switched off.")
    history = messages(conv)
    rejected = rejected_articles(conv)
    if history and ai_chat.rejects(message):
        # "That didn't help": the articles of the last answer are not offered again.
        last = next((m for m in reversed(history) if m["role"] == "assistant"), None)
        rejected = _with_rejected(rejected, last)
    result = ai_chat.reply(
        [ChatTurn(m["role"], m["text"]) for m in history],
        message,
        options=settings.ai_options(),
        ticket_id=conv.ticket_id,
        rejected=rejected,
    )
    now = utcnow().isoformat(timespec="seconds")
    turns = [
        *history,
        {"role": "user", "text": message, "at": now},
        {
            "role": "assistant",
            "text": result.reply,
            "at": now,
            "provider": result.provider,
            "sources": result.sources,
        },
    ]
    _set_context(conv, messages=turns, rejected_articles=rejected)
    conv.updated_at = utcnow()
    db.session.commit()
    return result


REJECTION = "That did not help."  # what a "Didn't help" click says, in the transcript


def reject_answer(conv: AIConversation, index: int) -> ChatResult | None:
    """A thumbs-down on assistant turn `index`: its articles are never offered again. On the
    latest answer it counts as saying "that did not help", and the assistant tries again (the
    next article, or plainly nothing). Returns that new answer, None for an older turn.
    Raises NotFound for a turn that is not an assistant's, AIUnavailable."""
    turns = messages(conv)
    if not 0 <= index < len(turns) or turns[index]["role"] != "assistant":
        raise NotFound(str(index))
    if not conv.is_active:
        raise TicketError("This conversation has ended. Start a new one.", field="message")
    turns[index] = {**turns[index], "rejected": True}
    _set_context(
        conv,
        messages=turns,
        rejected_articles=_with_rejected(rejected_articles(conv), turns[index]),
    )
    db.session.commit()  # before the model is asked anything (its usage log has its own)
    return send_message(conv, REJECTION) if index == len(turns) - 1 else None


def _with_rejected(rejected: list[int], turn: dict | None) -> list[int]:
    ids = [s.get("id") for s in (turn or {}).get("sources") or [] if isinstance(s, dict)]
    return rejected + [i for i in ids if isinstance(i, int) and i not in rejected]


def rejected_articles(conv: AIConversation) -> list[int]:
    ids = (conv.context or {}).get("rejected_articles") or []
    return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]


def rejected_articles_for_ticket(ticket: Ticket) -> set[int]:
    """Articles the requester rejected in a chat about this ticket, or in the chat the ticket
    was made from (found by its token too: the first answer may run before the link is
    saved)."""
    clauses = [AIConversation.ticket_id == ticket.id]
    token = ticket.client_token or ""
    if token.startswith("chat-"):
        clauses.append(AIConversation.conversation_id == token.removeprefix("chat-"))
    convs = db.session.scalars(
        sa.select(AIConversation).where(AIConversation.user_id == ticket.user_id, sa.or_(*clauses))
    )
    return {i for conv in convs for i in rejected_articles(conv)}


def messages(conv: AIConversation) -> list[dict]:
    """The stored turns, [{"role": "user"|"assistant", "text", "at", "provider"?}]."""
    turns = (conv.context or {}).get("messages") or []
    return [
        {**t, "text": str(t["text"]), "at": t.get("at")}
        for t in turns
        if isinstance(t, dict) and t.get("role") in ("user", "assistant") and t.get("text")
    ]


def _set_context(conv: AIConversation, **values: Any) -> None:
    context = dict(conv.context or {})
    context.update(values)
    conv.context = context  # a new dict, so SQLAlchemy sees the JSON change


def end_conversation(conv: AIConversation) -> bool:
    """Ends it; the context (the whole exchange) stays saved. False if already ended."""
    if not conv.is_active:
        return False
    conv.is_active = False
    _set_context(conv, ended_at=utcnow().isoformat() + "Z")
    db.session.commit()
    return True


def feedback(conv: AIConversation) -> dict | None:
    value = (conv.context or {}).get("feedback")
    return value if isinstance(value, dict) else None


def record_feedback(conv: AIConversation, rating: int, comment: str | None = None) -> None:
    if conv.is_active:
        raise TicketError("End the conversation before rating it.", field="rating")
    if rating not in (1, 2, 3, 4, 5):
        raise TicketError("Choose a rating from 1 to 5.", field="rating")
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise TicketError(f"Keep the comment under {COMMENT_MAX:,} characters.", field="comment")
    _set_context(
        conv, feedback={"rating": rating, "comment": comment, "at": utcnow().isoformat() + "Z"}
    )
    db.session.commit()


def transcript(conv: AIConversation) -> str:
    lines = [TRANSCRIPT_HEADER]
    for m in messages(conv):
        who = "Me" if m["role"] == "user" else "Assistant"
        lines.append(f"{who}: {m['text']}")
    return "\n\n".join(lines)


def default_title(conv: AIConversation) -> str:
    """The first question an article matched (not "asdf", not "that didn't help"), else the
    first message."""
    turns = messages(conv)
    asked = [
        turns[i]["text"]
        for i in range(len(turns) - 1)
        if turns[i]["role"] == "user" and turns[i + 1].get("sources")
    ]
    first = next(iter(asked), None) or next((m["text"] for m in turns if m["role"] == "user"), "")
    title = " ".join(first.split())
    if len(title) > 80:
        title = title[:77].rstrip() + "…"
    return title


def create_ticket_from_chat(
    conv: AIConversation, user: User, *, title: str, details: str | None = None
) -> Ticket:
    """A ticket whose description carries the chat, with the conversation linked to it."""
    if conv.ticket_id is not None:
        raise TicketError("This conversation already belongs to a ticket.", field="title")
    if not messages(conv):
        raise TicketError("Say something to the assistant first.", field="title")
    intro = (details or "").strip()
    body = transcript(conv)
    description = f"{intro}\n\n{body}" if intro else body
    limit = ticket_service.DESCRIPTION_MAX
    if len(description) > limit:
        description = description[: limit - 1] + "…"
    # The token makes a double click (two requests racing past the check above) return the
    # ticket the first one made rather than open a second.
    ticket = ticket_service.create_ticket(
        user, title=title, description=description, client_token=f"chat-{conv.conversation_id}"
    )
    conv.ticket_id = ticket.id
    _set_context(conv, ticket_created=ticket.id)
    db.session.commit()
    return ticket


def hand_over(conv: AIConversation, user: User, *, title: str | None = None) -> Ticket:
    """Hand the conversation to staff: its ticket (created if needed) is flagged for a person."""
    ticket = conv.ticket
    existing = ticket is not None
    if ticket is None:
        ticket = create_ticket_from_chat(
            conv, user, title=title or default_title(conv) or "Help from a person"
        )
    if ticket.status == "closed":
        ticket_service.reopen_ticket(ticket, user)
    if existing and messages(conv) and not (conv.context or {}).get("handed_over"):
        # A chat about an existing ticket: staff see what was said on the ticket itself.
        body = transcript(conv)
        limit = ticket_service.REPLY_MAX
        ticket_service.add_reply(
            ticket, user, body[: limit - 1] + "…" if len(body) > limit else body
        )
    handover.request_human(ticket, user, via="AI chat")
    _set_context(conv, handed_over=True)
    if conv.is_active:
        end_conversation(conv)
    else:
        db.session.commit()
    return ticket
