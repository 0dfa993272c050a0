"""Canned replies: named replies the whole team shares, with placeholders and field changes.

A body may hold only the named placeholders below (`{{ requester.first_name }}` …), nothing
else a template language offers: no tags (`{% for %}`), no filters, no expressions. That is
checked on the parsed template before anything is saved or rendered, and rendering runs in
Jinja's immutable sandbox with StrictUndefined and a context of plain strings built here
(never a model object), so a body can neither reach the application nor run for long. The
output is plain text: it goes into the reply box and is stored and escaped as any reply is.

Usage is counted once per sent reply that used one (never per preview or pick); its field
changes are applied through the ticket service, so they are audited like any other change.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from portal.extensions import db
from portal.models import (
    CATEGORIES,
    LABELS,
    PRIORITIES,
    STATUSES,
    CannedReply,
    Ticket,
    TicketEvent,
    TicketResponse,
    User,
)
from portal.models.base import parse_id, utcnow
from portal.services import tickets as ticket_service
from portal.services.errors import NotFound, PermissionDenied, TicketError

log = logging.getLogger(__name__)

TITLE_MAX = 100
BODY_MAX = 10_000
SEARCH_LIMIT = 10
USED_EVENT = "canned_reply"  # the audit entry a sent reply that used one leaves

# The only placeholders a body may hold: {{ object.attribute }}.
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "requester": ("first_name", "name"),
    "ticket": ("id", "title"),
    "agent": ("first_name", "name"),
}


def _shown(name: str) -> str:
    return "{{ " + name + " }}"


PLACEHOLDER_LIST = ", ".join(
    _shown(f"{obj}.{attr}") for obj, attrs in PLACEHOLDERS.items() for attr in attrs
)

# The preview's sample ticket.
SAMPLE = {
    "requester": {"first_name": "Alex", "name": "Alex Example"},
    "ticket": {"id": "123", "title": "Cannot open the course page"},
}


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, auto_reload=False, cache_size=0
    )
    # Nothing beyond the placeholders: no filters, tests or globals (range, dict, lipsum…).
    env.filters.clear()
    env.tests.clear()
    env.globals.clear()
    return env


_ENV = _environment()


# --- Checking and rendering a body ------------------------------------------------------------


def _where(node: nodes.Node) -> str:
    return f" on line {node.lineno}" if getattr(node, "lineno", None) else ""


def _check_expression(expr: nodes.Node) -> None:
    if isinstance(expr, nodes.TemplateData):
        return
    if (
        isinstance(expr, nodes.Getattr)
        and isinstance(expr.node, nodes.Name)
        and expr.attr in PLACEHOLDERS.get(expr.node.name, ())
    ):
        return
    if isinstance(expr, nodes.Getattr) and isinstance(expr.node, nodes.Name):
        shown = _shown(f"{expr.node.name}.{expr.attr}")
    elif isinstance(expr, nodes.Name):
        shown = _shown(expr.name)
    else:
        raise TicketError(
            f"Only plain placeholders work{_where(expr)} (no filters, sums or other "
            f"expressions). Use one of: {PLACEHOLDER_LIST}.",
            field="body",
        )
    raise TicketError(
        f"Unknown placeholder {shown}{_where(expr)}. Use one of: {PLACEHOLDER_LIST}.",
        field="body",
    )


_TAGS = {
    "Assign": "set",
    "AssignBlock": "set",
    "CallBlock": "call",
    "FilterBlock": "filter",
    "FromImport": "from",
    "Scope": "with",
    "ScopedEvalContextModifier": "autoescape",
}


@functools.lru_cache(maxsize=256)
def _compiled(body: str):
    """The checked, compiled template for a body; TicketError (field "body") if it is not one."""
    try:
        tree = _ENV.parse(body)
    except TemplateSyntaxError as e:
        raise TicketError(
            f"The placeholders cannot be read on line {e.lineno}: {e.message}. "
            f"Write them as {{{{ requester.first_name }}}}.",
            field="body",
        ) from None
    for node in tree.body:
        if isinstance(node, nodes.Output):
            for expr in node.nodes:
                _check_expression(expr)
            continue
        kind = type(node).__name__
        tag = _TAGS.get(kind, kind.lower())
        raise TicketError(
            f"Tags such as {{% {tag} %}}{_where(node)} are not allowed: "
            f"use only placeholders ({PLACEHOLDER_LIST}).",
            field="body",
        )
    return _ENV.from_string(tree)


def _first_name(name: str) -> str:
    words = (name or "").split()
    return words[0] if words else ""


def _person(user: User | None) -> dict[str, str]:
    name = (user.name if user is not None else "") or ""
    return {"first_name": _first_name(name), "name": name}


def context_for(ticket: Ticket, agent: User) -> dict[str, dict[str, str]]:
    """Plain strings only: the template can reach nothing else."""
    return {
        "requester": _person(ticket.user),
        "ticket": {"id": str(ticket.id), "title": ticket.title or ""},
        "agent": _person(agent),
    }


def sample_context(agent: User) -> dict[str, dict[str, str]]:
    return {**{k: dict(v) for k, v in SAMPLE.items()}, "agent": _person(agent)}


def render_body(body: str, context: dict[str, dict[str, str]]) -> str:
    """The body with its placeholders filled; TicketError (field "body") for a bad body."""
    template = _compiled(body)
    try:
        return template.render(context)
    except TemplateError as e:  # the sandbox or StrictUndefined: never expected after the check
        log.warning("canned reply refused at render: %s", e)
        raise TicketError("This reply cannot be filled in.", field="body") from None


def render(canned: CannedReply, ticket: Ticket, agent: User) -> str:
    return render_body(canned.body, context_for(ticket, agent))


def preview(body: str, agent: User) -> str:
    """The body as it would read on a sample ticket (for the edit form's preview)."""
    return render_body(
        _clean(body, field="body", label="Text", maximum=BODY_MAX), sample_context(agent)
    )


# --- Saving -----------------------------------------------------------------------------------


def _clean(value: str | None, *, field: str, label: str, maximum: int) -> str:
    text = (value or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(f"{label} is required.", field=field)
    if len(text) > maximum:
        raise TicketError(f"{label} must be at most {maximum:,} characters.", field=field)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no database stores it
        raise TicketError(f"{label} holds a character that is not text.", field=field) from None
    return text


def _choice(value: str | None, allowed: list[str], *, field: str, label: str) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise TicketError(f"Choose a {label} from the list.", field=field)
    return value


@dataclass
class Fields:
    """What an agent fills in on the form."""

    title: str
    body: str
    set_status: str | None = None
    set_priority: str | None = None
    set_category: str | None = None
    assign_to_me: bool = False


def _validated(fields: Fields, *, current: CannedReply | None = None) -> Fields:
    title = " ".join(_clean(fields.title, field="title", label="Title", maximum=TITLE_MAX).split())
    body = _clean(fields.body, field="body", label="Text", maximum=BODY_MAX)
    _compiled(body)  # refused at save time, with the problem named
    clash = db.session.scalar(
        sa.select(CannedReply.id).where(sa.func.lower(CannedReply.title) == title.lower())
    )
    if clash is not None and (current is None or clash != current.id):
        raise TicketError("Another canned reply already has this title.", field="title")
    return Fields(
        title=title,
        body=body,
        set_status=_choice(fields.set_status, STATUSES, field="set_status", label="status"),
        set_priority=_choice(
            fields.set_priority, PRIORITIES, field="set_priority", label="priority"
        ),
        set_category=_choice(
            fields.set_category, CATEGORIES, field="set_category", label="category"
        ),
        assign_to_me=bool(fields.assign_to_me),
    )


def _check_staff(actor: User) -> None:
    if not actor.is_staff:
        raise PermissionDenied("Only staff can manage canned replies.")


def _commit_title(title: str) -> None:
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # two saves of one title raced past the check above
        db.session.rollback()
        raise TicketError("Another canned reply already has this title.", field="title") from None


def create_reply(author: User, fields: Fields) -> CannedReply:
    _check_staff(author)
    clean = _validated(fields)
    now = utcnow()
    canned = CannedReply(
        title=clean.title,
        body=clean.body,
        set_status=clean.set_status,
        set_priority=clean.set_priority,
        set_category=clean.set_category,
        assign_to_me=clean.assign_to_me,
        created_by_id=author.id,
        usage_count=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(canned)
    _commit_title(clean.title)
    return canned


def update_reply(canned: CannedReply, actor: User, fields: Fields) -> CannedReply:
    _check_staff(actor)
    clean = _validated(fields, current=canned)
    for name in ("title", "body", "set_status", "set_priority", "set_category", "assign_to_me"):
        setattr(canned, name, getattr(clean, name))
    canned.updated_at = utcnow()
    _commit_title(clean.title)
    return canned


def delete_reply(canned: CannedReply, actor: User) -> None:
    _check_staff(actor)
    log.info("canned reply %s (%r) deleted by user %s", canned.id, canned.title, actor.id)
    db.session.delete(canned)
    db.session.commit()


# --- Finding ----------------------------------------------------------------------------------


def get_reply(reply_id: object) -> CannedReply:
    ident = parse_id(reply_id)
    canned = db.session.get(CannedReply, ident) if ident else None
    if canned is None:
        raise NotFound(reply_id)
    return canned


def list_replies() -> list[CannedReply]:
    return list(
        db.session.scalars(sa.select(CannedReply).order_by(sa.func.lower(CannedReply.title)))
    )


def query_text(q: str | None) -> str:
    text = (q or "").replace("\x00", "")[:TITLE_MAX]
    return text.encode("utf-8", "ignore").decode("utf-8").strip()  # drops lone surrogates


def search(q: str | None, *, limit: int = SEARCH_LIMIT) -> list[CannedReply]:
    """Type-ahead: titles containing the text first, then bodies; the most used first."""
    text = query_text(q)
    stmt = sa.select(CannedReply)
    if text:
        in_title = CannedReply.title.icontains(text, autoescape=True)
        stmt = stmt.where(in_title | CannedReply.body.icontains(text, autoescape=True))
        stmt = stmt.order_by(sa.case((in_title, 0), else_=1))
    stmt = stmt.order_by(CannedReply.usage_count.desc(), sa.func.lower(CannedReply.title))
    return list(db.session.scalars(stmt.limit(limit)))


# --- Using one --------------------------------------------------------------------------------


def field_changes(canned: CannedReply, agent: User) -> dict:
    changes: dict = {}
    if canned.set_status:
        changes["status"] = canned.set_status
    if canned.set_priority:
        changes["priority"] = canned.set_priority
    if canned.set_category:
        changes["category"] = canned.set_category
    if canned.assign_to_me:
        changes["assigned_to_id"] = agent.id
    return changes


def describe_changes(canned: CannedReply) -> list[str]:
    """["status Resolved", "assign to me"]: what a reply that uses it will also set."""
    out = []
    for label, value in (
        ("status", canned.set_status),
        ("priority", canned.set_priority),
        ("category", canned.set_category),
    ):
        if value:
            out.append(f"{label} {LABELS.get(value, value)}")
    if canned.assign_to_me:
        out.append("assign to me")
    return out


def describe_changed(changed: dict) -> list[str]:
    """update_ticket's {field: (old, new)} as words: ["status Resolved", "assigned to you"]."""
    out = []
    for field, (_old, new) in changed.items():
        if field == "assigned_to_id":
            out.append("assigned to you")
        else:
            out.append(f"{field} {LABELS.get(new, new)}")
    return out


@dataclass
class Use:
    canned: CannedReply
    changed: dict
    error: str | None = None


def record_use(
    canned_id: object,
    reply: TicketResponse,
    agent: User,
    *,
    apply_changes: bool,
    keep_status: bool = False,
) -> Use | None:
    """A sent reply used a canned reply: count it once (a replayed submit returns the same
    reply and counts nothing), note it in the ticket's history, and, when the agent kept them,
    apply its field changes through the ticket service (audited there).

    keep_status: the agent chose the status themselves ("Send and resolve"), which wins over
    the canned reply's. None when there is no such canned reply (deleted meanwhile, or a
    made-up id).
    """
    ident = parse_id(canned_id)
    canned = db.session.get(CannedReply, ident) if ident else None
    if canned is None or not agent.is_staff:
        return None
    ticket = reply.ticket
    marker = f"reply {reply.id}"
    already = db.session.scalar(
        sa.select(TicketEvent.id).where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.field == USED_EVENT,
            TicketEvent.detail == marker,
        )
    )
    if already is not None:
        return None
    db.session.execute(
        sa.update(CannedReply)
        .where(CannedReply.id == canned.id)
        .values(usage_count=CannedReply.usage_count + 1)
    )
    ticket_service.record_event(
        ticket, USED_EVENT, actor=agent, actor_kind="user", new=canned.title, detail=marker
    )  # commits the count with the history entry
    db.session.refresh(canned)
    changes = field_changes(canned, agent) if apply_changes else {}
    if keep_status:
        changes.pop("status", None)
    if not changes:
        return Use(canned, {})
    try:
        changed = ticket_service.update_ticket(
            ticket, agent, changes, detail=f"canned reply: {canned.title}"
        )
    except (TicketError, PermissionDenied) as e:
        db.session.rollback()
        message = getattr(e, "message", None) or str(e)
        return Use(canned, {}, error=message)
    return Use(canned, changed)


# --- Demo data --------------------------------------------------------------------------------

DEMO = [
    Fields(
        title="Password reset link",
        body="Hi {{ requester.first_name }},\n\n"
        "I have sent a fresh password reset link to the e-mail address on your account. It "
        "works for one hour; if it does not arrive within a few minutes, please check your spam "
        "folder.\n\nBest regards,\n{{ agent.name }}",
        set_status="resolved",
    ),
    Fields(
        title="Looking into it",
        body="Hi {{ requester.first_name }},\n\n"
        "thanks for reporting this. I am looking into ticket #{{ ticket.id }} "
        "(\u201c{{ ticket.title }}\u201d) now and will get back to you today.\n\n{{ agent.name }}",
        set_status="in_progress",
        assign_to_me=True,
    ),
    Fields(
        title="Closing: no reply",
        body="Hi {{ requester.first_name }},\n\n"
        "we have not heard back from you, so I am closing this ticket for now. Simply reply "
        "here if the problem comes back and we will pick it up again.\n\n{{ agent.name }}",
        set_status="closed",
    ),
]


def seed_demo_replies(author: User) -> int:
    """The demo's canned replies (those whose titles are not taken yet); how many were added."""
    added = 0
    for fields in DEMO:
        exists = db.session.scalar(
            sa.select(CannedReply.id).where(
                sa.func.lower(CannedReply.title) == fields.title.lower()
            )
        )
        if exists is None:
            create_reply(author, fields)
            added += 1
    return added
