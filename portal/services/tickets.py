"""The one mutation path for tickets and replies: pages, the API, tasks and the CLI call these;
each audits, commits, clears caches, keeps the SLA clock and queues follow-up work."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from portal import events
from portal.extensions import db
from portal.models import (
    CATEGORIES,
    PRIORITIES,
    STATUSES,
    Ticket,
    TicketEvent,
    TicketResponse,
    User,
)
from portal.models.base import MAX_ID, utcnow
from portal.services import sla
from portal.services.cache import clear_queue_counts
from portal.services.errors import PermissionDenied, StaleTicket, TicketError
from portal.services.merge_links import detach_merges

log = logging.getLogger(__name__)

TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
REPLY_MAX = 20_000
TOKEN_MAX = 64  # the client_token columns' size
EDITABLE_FIELDS = ("status", "priority", "category", "assigned_to_id", "needs_human")
BOT_EMAIL = "assistant@portal.invalid"


def _clean_text(value: str | None, *, field: str, label: str, maximum: int) -> str:
    text = (value or "").replace("\x00", "").strip()
    if not text:
        raise TicketError(f"{label} is required.", field=field)
    if len(text) > maximum:
        raise TicketError(f"{label} must be at most {maximum:,} characters.", field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800" in JSON): no database stores it
        raise TicketError(f"{label} holds a character that is not text.", field=field) from None
    return text


def _usable_token(token: str | None) -> str | None:
    """A form's double-submit token, or None when it was tampered with (too long for the
    column: PostgreSQL would refuse the row, SQLite would silently store it; or holding a NUL,
    which PostgreSQL refuses in any query; or anything but ASCII, such as a lone surrogate)."""
    token = (token or "").strip()
    ok = 0 < len(token) <= TOKEN_MAX and "\x00" not in token and token.isascii()
    return token if ok else None


def _by_token(model, token: str):
    return db.session.scalar(sa.select(model).where(model.client_token == token))


def get_bot_user() -> User:
    """The account AI and system replies are written under. It cannot log in."""
    bot = db.session.scalar(sa.select(User).where(User.email == BOT_EMAIL))
    if bot is None:
        bot = User(email=BOT_EMAIL, name="AI Assistant", role="user", is_bot=True, active=False)
        bot.password_hash = ""
        db.session.add(bot)
        db.session.flush()
    return bot


def _event(
    ticket: Ticket,
    actor: User | None,
    field: str,
    old: Any,
    new: Any,
    *,
    actor_kind: str = "user",
    detail: str | None = None,
) -> None:
    def text(v: Any) -> str | None:
        if v is None:
            return None
        return str(v)[:255]

    db.session.add(
        TicketEvent(
            ticket=ticket,
            actor_id=actor.id if actor else None,
            actor_kind=actor_kind,
            field=field,
            old_value=text(old),
            new_value=text(new),
            detail=detail[:255] if detail else None,
        )
    )


def _after_commit(event: str, **payload: Any) -> None:
    clear_queue_counts()
    try:
        events.dispatch(event, **payload)
    except Exception:  # the queue being down must never cost a user their ticket
        log.exception("could not dispatch %s", event)


def create_ticket(
    author: User,
    *,
    title: str,
    description: str,
    category: str | None = None,
    priority: str | None = None,
    client_token: str | None = None,
) -> Ticket:
    client_token = _usable_token(client_token)
    if client_token:
        existing = _by_token(Ticket, client_token)
        if existing is not None and existing.user_id == author.id:
            return existing  # a double submit: the first one already made the ticket
        if existing is not None:
            client_token = None
    title = _clean_text(title, field="title", label="Title", maximum=TITLE_MAX)
    description = _clean_text(
        description, field="description", label="Description", maximum=DESCRIPTION_MAX
    )
    if category in ("", None):
        category = None
    elif category not in CATEGORIES:
        raise TicketError("Choose a category from the list.", field="category")
    if priority is not None and priority not in PRIORITIES:
        raise TicketError("Choose a priority from the list.", field="priority")
    now = utcnow()
    ticket = Ticket(
        user_id=author.id,
        title=title,
        description=description,
        category=category,
        priority=priority or "medium",
        status="open",
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        client_token=client_token,
    )
    db.session.add(ticket)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # Two submits of one form raced past the lookup above and the other one won.
        db.session.rollback()
        existing = _by_token(Ticket, client_token) if client_token else None
        if existing is not None and existing.user_id == author.id:
            return existing
        raise
    _event(ticket, author, "created", None, ticket.title)
    sla.on_created(ticket)
    db.session.commit()
    _after_commit(events.TICKET_CREATED, ticket_id=ticket.id)
    return ticket


def add_reply(
    ticket: Ticket,
    author: User,
    body: str,
    *,
    internal: bool = False,
    client_token: str | None = None,
    ai_confidence: float | None = None,
    sources: list | None = None,
    actor_kind: str = "user",
    resolve: bool = False,
    expected_version: int | None = None,
) -> TicketResponse:
    """A public reply or an internal note. AI answers pass actor_kind="ai".

    resolve=True (staff's "Send and resolve"): the public reply and the status change are one
    commit, refused for a note, a non-staff author or a stale `expected_version`.
    """
    if resolve:
        _check_resolve(ticket, author, internal=internal, expected_version=expected_version)
    client_token = _usable_token(client_token)
    if client_token:
        existing = _by_token(TicketResponse, client_token)
        if (
            existing is not None
            and existing.ticket_id == ticket.id
            and existing.user_id == author.id
        ):
            return existing
        if existing is not None:
            client_token = None
    body = _clean_text(body, field="content", label="Reply", maximum=REPLY_MAX)
    if actor_kind == "ai":
        response_type = "ai"
    elif actor_kind == "system":
        response_type = "system"
    elif author.is_staff and author.id != ticket.user_id:
        response_type = "staff"
    else:
        response_type = "user"
    if internal and actor_kind == "user" and not author.is_staff:
        # Staff may note on their own tickets too (their replies there count as "user").
        raise PermissionDenied("Only staff can write internal notes.")
    if ticket.merged_into_id is not None and actor_kind == "user" and not internal:
        # Its thread moved: a reply here would reach nobody who follows the conversation.
        raise TicketError(
            f"This ticket was merged into #{ticket.merged_into_id}: reply there.", field="content"
        )
    if ticket.status == "closed" and response_type == "user":
        raise TicketError("This ticket is closed. Reopen it to reply.", field="content")

    now = utcnow()
    reply = TicketResponse(
        ticket=ticket,
        user_id=author.id,
        response_type=response_type,
        content=body,
        is_internal=internal,
        is_ai_generated=actor_kind == "ai",
        ai_confidence=ai_confidence,
        sources=sources or [],
        client_token=client_token,
        created_at=now,
    )
    db.session.add(reply)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # A double submit that raced past the lookup above: the first reply stands.
        db.session.rollback()
        existing = _by_token(TicketResponse, client_token) if client_token else None
        if (
            existing is not None
            and existing.ticket_id == ticket.id
            and existing.user_id == author.id
        ):
            return existing
        raise
    _event(
        ticket,
        None if actor_kind != "user" else author,
        "note" if internal else "reply",
        None,
        None,
        actor_kind=actor_kind,
        detail=f"{len(body)} characters",
    )
    if not internal:
        # The conversation moves the status on, as every helpdesk does.
        if response_type == "user" and ticket.status == "resolved":
            _set_status(ticket, author, "open", actor_kind=actor_kind, detail="user replied")
        elif response_type == "staff" and ticket.status == "open":
            _set_status(
                ticket, author, "in_progress", actor_kind=actor_kind, detail="staff replied"
            )
        ticket.last_activity_at = now
        sla.on_reply(ticket, response_type, internal=internal, now=now)
    resolved = resolve and ticket.status != "resolved"
    if resolved:
        _set_status(ticket, author, "resolved", actor_kind=actor_kind, detail="sent with a reply")
    ticket.updated_at = now
    db.session.commit()
    _after_commit(events.REPLY_ADDED, ticket_id=ticket.id, response_id=reply.id, internal=internal)
    if resolved:
        _after_commit(
            events.TICKET_UPDATED, ticket_id=ticket.id, fields=["status"], actor_id=author.id
        )
    return reply


def _check_resolve(
    ticket: Ticket, author: User, *, internal: bool, expected_version: int | None
) -> None:
    if not author.is_staff:
        raise PermissionDenied("Only staff can resolve a ticket with a reply.")
    if internal:
        raise TicketError("An internal note cannot resolve the ticket: send a reply.")
    if expected_version is not None:
        db.session.refresh(ticket, with_for_update=True)
        if expected_version != ticket.version:
            raise StaleTicket("Someone changed this ticket after you opened it: nothing was sent.")
    if ticket.status == "closed":
        raise TicketError("This ticket is closed: send the reply without resolving.")


def _set_status(
    ticket: Ticket, actor: User | None, status: str, *, actor_kind: str, detail: str | None = None
) -> None:
    old = ticket.status
    if old == status:
        return
    ticket.status = status
    if status == "resolved":
        ticket.resolved_at = utcnow()
    elif status in ("open", "in_progress"):
        ticket.resolved_at = None
    _event(ticket, actor, "status", old, status, actor_kind=actor_kind, detail=detail)
    sla.on_status(ticket, old, status, utcnow())
    ticket.version += 1


def update_ticket(
    ticket: Ticket,
    actor: User | None,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    actor_kind: str = "user",
    detail: str | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Change status, priority, category, assignee or the needs-human flag.

    Returns {field: (old, new)} for what actually changed. A stale `expected_version`
    raises StaleTicket so a form loaded before someone else's change cannot undo it.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TicketError(f"Cannot change {', '.join(sorted(unknown))}.")
    if expected_version is not None:
        # Lock the row and re-read its version (PostgreSQL), so two people saving the same form
        # at the same moment cannot both pass the check: the second waits, then sees the change.
        db.session.refresh(ticket, with_for_update=True)
    if expected_version is not None and expected_version != ticket.version:
        raise StaleTicket(
            "Someone changed this ticket after you opened it. Review the latest version and try again."
        )
    _check_values(changes)
    if ticket.merged_into_id is not None and changes.get("status", "closed") != "closed":
        raise TicketError(
            f"This ticket was merged into #{ticket.merged_into_id}: continue there.",
            field="status",
        )
    if actor is not None and actor_kind == "user" and not actor.is_staff:
        # Requesters may close or reopen their ticket, and ask for a person (never un-ask).
        if actor.id != ticket.user_id or set(changes) - {"status", "needs_human"}:
            raise PermissionDenied("Only staff can change that.")
        if "needs_human" in changes and changes["needs_human"] is not True:
            raise PermissionDenied("Only staff can clear the request for a person.")
        if "status" in changes:
            if changes["status"] not in ("closed", "open"):
                raise PermissionDenied("You can close or reopen your own ticket.")
            if changes["status"] == "open" and ticket.status == "in_progress":
                raise TicketError("Our team is already working on this ticket.", field="status")

    changed: dict[str, tuple[Any, Any]] = {}
    for field, new in changes.items():
        old = getattr(ticket, field)
        if old == new:
            continue
        changed[field] = (old, new)
        if field == "status":
            _set_status(ticket, actor, new, actor_kind=actor_kind, detail=detail)
            continue
        setattr(ticket, field, new)
        if field == "assigned_to_id":
            _event(
                ticket,
                actor,
                "assignee",
                _user_label(old),
                _user_label(new),
                actor_kind=actor_kind,
                detail=detail,
            )
        else:
            _event(ticket, actor, field, old, new, actor_kind=actor_kind, detail=detail)
        ticket.version += 1
    if not changed:
        return changed
    sla.on_fields_changed(ticket, set(changed))
    now = utcnow()
    ticket.updated_at = now
    ticket.last_activity_at = now
    db.session.commit()
    _after_commit(
        events.TICKET_UPDATED,
        ticket_id=ticket.id,
        fields=sorted(changed),
        actor_kind=actor_kind,
        actor_id=actor.id if actor else None,
    )
    return changed


def _user_label(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.name if user else f"user {user_id}"


def _check_values(changes: dict[str, Any]) -> None:
    if "status" in changes and changes["status"] not in STATUSES:
        raise TicketError("Choose a status from the list.", field="status")
    if "priority" in changes and changes["priority"] not in PRIORITIES:
        raise TicketError("Choose a priority from the list.", field="priority")
    if "category" in changes and changes["category"] not in CATEGORIES:
        raise TicketError("Choose a category from the list.", field="category")
    if "needs_human" in changes and not isinstance(changes["needs_human"], bool):
        raise TicketError("needs_human is true or false.", field="needs_human")
    if "assigned_to_id" in changes and changes["assigned_to_id"] is not None:
        value = changes["assigned_to_id"]
        # An API client can send any JSON: only an id a row can have reaches the database.
        valid_id = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
        assignee = db.session.get(User, value) if valid_id else None
        if assignee is None or not assignee.is_staff or not assignee.is_active:
            raise TicketError("Assign to an active staff member.", field="assigned_to_id")


def close_ticket(ticket: Ticket, actor: User, **kw: Any) -> dict:
    return update_ticket(ticket, actor, {"status": "closed"}, **kw)


def reopen_ticket(ticket: Ticket, actor: User, **kw: Any) -> dict:
    return update_ticket(ticket, actor, {"status": "open"}, **kw)


def resolve_ticket(ticket: Ticket, actor: User, **kw: Any) -> dict:
    return update_ticket(ticket, actor, {"status": "resolved"}, **kw)


def assign_ticket(ticket: Ticket, actor: User | None, assignee: User | None, **kw: Any) -> dict:
    return update_ticket(ticket, actor, {"assigned_to_id": assignee.id if assignee else None}, **kw)


def delete_ticket(ticket: Ticket, actor: User) -> None:
    """Admins only: the ticket and its history go; the log keeps who did it."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can delete tickets.")
    log.warning("ticket %s deleted by user %s", ticket.id, actor.id)
    detach_merges(ticket, bot=get_bot_user())
    db.session.delete(ticket)
    db.session.commit()
    _after_commit(events.TICKET_DELETED, ticket_id=ticket.id)


def record_event(
    ticket: Ticket,
    field: str,
    *,
    actor: User | None = None,
    actor_kind: str = "system",
    old: Any = None,
    new: Any = None,
    detail: str | None = None,
) -> None:
    """An audit entry for something that changed no field (e.g. auto-assign found nobody)."""
    _event(ticket, actor, field, old, new, actor_kind=actor_kind, detail=detail)
    db.session.commit()
