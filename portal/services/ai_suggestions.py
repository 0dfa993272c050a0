"""What the AI suggested for a ticket, and what staff did with it.

The only writer of AISuggestion and AIFeedback rows. Accepting a triage suggestion, from the
staff page or the API, is one function, and it marks the suggestion in the same transaction
as the ticket change: a stale form leaves both untouched.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

import sqlalchemy as sa

from portal.ai.providers.local import ticket_text as training_text
from portal.ai.results import DraftResult, TriageResult
from portal.extensions import db
from portal.models import (
    CATEGORIES,
    PRIORITIES,
    AIFeedback,
    AISuggestion,
    Ticket,
    TicketResponse,
    User,
)
from portal.models.base import MAX_ID, utcnow
from portal.services import tickets as ticket_service
from portal.services.errors import TicketError
from portal.services.settings import get_setting

log = logging.getLogger(__name__)

SOURCE_KINDS = ("kb", "ticket")
COMMENT_MAX = 1000


def clean_sources(sources: Any) -> list[dict]:
    """Only well-formed {"kind": "kb"|"ticket", "id": n} entries, each once."""
    cleaned: list[dict] = []
    for item in sources or []:
        if not isinstance(item, dict) or item.get("kind") not in SOURCE_KINDS:
            continue
        try:
            ident = int(item.get("id"))
        except (TypeError, ValueError):
            continue
        entry = {"kind": item["kind"], "id": ident}
        if ident > 0 and entry not in cleaned:
            cleaned.append(entry)
    return cleaned


# ---------------------------------------------------------------- reading


def latest_triage_suggestion(ticket_id: int) -> AISuggestion | None:
    return db.session.scalar(
        sa.select(AISuggestion)
        .where(AISuggestion.ticket_id == ticket_id, AISuggestion.kind == "triage")
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )


def get_suggestion(suggestion_id: Any) -> AISuggestion | None:
    """A suggestion by an id from a request; None for anything no row can have."""
    valid = isinstance(suggestion_id, int) and not isinstance(suggestion_id, bool)
    if not valid or not 0 < suggestion_id <= MAX_ID:
        return None
    return db.session.get(AISuggestion, suggestion_id)


def suggestions_query(*, ticket_id: int | None = None, kind: str | None = None) -> sa.Select:
    """Stored suggestions, newest first, optionally of one ticket and one kind."""
    stmt = sa.select(AISuggestion).order_by(AISuggestion.id.desc())
    if ticket_id is not None:
        stmt = stmt.where(AISuggestion.ticket_id == ticket_id)
    if kind is not None:
        stmt = stmt.where(AISuggestion.kind == kind)
    return stmt


def suggestion_for(ticket: Ticket, value: Any, *, kind: str | None = None) -> AISuggestion | None:
    """The suggestion a form or JSON body names, only when it is one of this ticket's (and
    of `kind`, when given): a stale or forged id would break the foreign key or overflow the
    database's integer."""
    try:
        sid = int(value) if value not in (None, "") and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
    if sid is None or not 0 < sid <= MAX_ID:
        return None
    suggestion = db.session.get(AISuggestion, sid)
    if suggestion is None or suggestion.ticket_id != ticket.id:
        return None
    return suggestion if kind is None or suggestion.kind == kind else None


def last_quoted(ticket_id: int) -> tuple[str, int] | None:
    """The source the ticket's latest reply suggestion quoted (its first), if any."""
    sources = db.session.scalar(
        sa.select(AISuggestion.sources)
        .where(AISuggestion.ticket_id == ticket_id, AISuggestion.kind == "reply")
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )
    if not sources:
        return None
    return sources[0]["kind"], int(sources[0]["id"])


def pending_draft(ticket: Ticket) -> DraftResult | None:
    """The newest reply suggestion still waiting (e.g. the first answer that was not
    confident enough to post), if nothing public happened on the ticket since."""
    row = db.session.scalar(
        sa.select(AISuggestion)
        .where(
            AISuggestion.ticket_id == ticket.id,
            AISuggestion.kind == "reply",
            AISuggestion.status == "pending",
        )
        .order_by(AISuggestion.id.desc())
        .limit(1)
    )
    if row is None or not row.text:
        return None
    last_public = max((r.created_at for r in ticket.responses if not r.is_internal), default=None)
    if last_public is not None and row.created_at < last_public:
        return None
    return DraftResult(
        text=row.text,
        confidence=row.confidence if row.confidence is not None else 0.0,
        sources=list(row.sources or []),
        provider=row.provider,
        suggestion_id=row.id,
        raw_score=row.raw_score,
        calibrated=row.calibrated,
    )


# ---------------------------------------------------------------- storing


def store_triage(ticket: Ticket, result: TriageResult, *, applied: list[str]) -> AISuggestion:
    fields = [f for f in ("category", "priority") if f not in applied]
    suggestion = AISuggestion(
        ticket_id=ticket.id,
        kind="triage",
        provider=result.provider,
        category=result.category,
        priority=result.priority,
        category_confidence=result.category_confidence,
        priority_confidence=result.priority_confidence,
        rationale=result.rationale[:500],
        raw_score=result.raw_score,
        calibrated=result.calibrated,
        status="applied" if applied and not fields else "pending",
        applied_fields=applied,
    )
    db.session.add(suggestion)
    db.session.commit()
    result.suggestion_id = suggestion.id
    return suggestion


def store_draft(ticket: Ticket, result: DraftResult) -> DraftResult:
    """Store a draft as the ticket's current reply suggestion (older pending ones retire)."""
    db.session.execute(
        sa.update(AISuggestion)
        .where(
            AISuggestion.ticket_id == ticket.id,
            AISuggestion.kind == "reply",
            AISuggestion.status == "pending",
        )
        .values(status="superseded")
    )
    suggestion = AISuggestion(
        ticket_id=ticket.id,
        kind="reply",
        provider=result.provider,
        text=result.text,
        confidence=result.confidence,
        raw_score=result.raw_score,
        calibrated=result.calibrated,
        sources=result.sources,
        category=ticket.category,
    )
    db.session.add(suggestion)
    db.session.commit()
    result.suggestion_id = suggestion.id
    return result


# ---------------------------------------------------------------- staff decisions


def accept_suggestion(
    suggestion_id: int, actor: User, *, expected_version: int | None = None
) -> dict:
    """Apply a stored triage guess's category and priority, as the staff member."""
    suggestion = get_suggestion(suggestion_id)
    if suggestion is None or suggestion.kind != "triage":
        raise TicketError("No such suggestion.", field="suggestion_id")
    ticket = db.session.get(Ticket, suggestion.ticket_id)
    return accept_triage(ticket, actor, suggestion=suggestion, expected_version=expected_version)


def accept_triage(
    ticket: Ticket,
    actor: User,
    *,
    suggestion: AISuggestion | None = None,
    changes: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> dict:
    """The one path by which staff accept the AI's triage, from the page or the API.

    `changes` are the values staff chose to apply (by default the suggestion's category and
    priority); `suggestion`, when the guess was stored, is marked accepted in the same
    transaction as the ticket change, so a stale `expected_version` (StaleTicket) or an
    invalid value (TicketError) leaves both as they were. Returns {field: (old, new)}.
    """
    if suggestion is not None and (
        suggestion.kind != "triage" or suggestion.ticket_id != ticket.id
    ):
        raise TicketError("No such suggestion.", field="suggestion_id")
    if changes is None:
        changes = {}
        if suggestion is not None and suggestion.category in CATEGORIES:
            changes["category"] = suggestion.category
        if suggestion is not None and suggestion.priority in PRIORITIES:
            changes["priority"] = suggestion.priority
    if suggestion is not None:
        suggestion.status = "accepted"
        suggestion.used_at = utcnow()
    try:
        changed = ticket_service.update_ticket(
            ticket,
            actor,
            changes,
            expected_version=expected_version,
            detail="applied the AI's suggestion",
        )
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()  # nothing changed on the ticket: the acceptance still counts
    return changed


def record_feedback(
    *,
    user: User | None = None,
    ticket: Ticket | None = None,
    suggestion_id: int | None = None,
    rating: int | None = None,
    comment: str | None = None,
    field: str | None = None,
    value: str | None = None,
    ai_value: str | None = None,
) -> AIFeedback | None:
    """Store a staff correction (field + value, for learning) or a rating (+1/-1, comment).

    Returns None when the matching setting (AI_LEARNING_ENABLED for corrections,
    RESPONSE_FEEDBACK for ratings) is off. Raises ValueError on invalid input.
    """
    if field is not None:
        if field not in ("category", "priority"):
            raise ValueError("Corrections are for category or priority.")
        allowed = CATEGORIES if field == "category" else PRIORITIES
        if value not in allowed or ticket is None:
            raise ValueError("A correction needs a ticket and a valid value.")
        if not get_setting("AI_LEARNING_ENABLED"):
            return None
        row = AIFeedback(
            kind="correction",
            ticket_id=ticket.id,
            suggestion_id=suggestion_id,
            user_id=user.id if user else None,
            field=field,
            ai_value=ai_value,
            value=value,
            text=training_text(ticket.title, ticket.description),
        )
    else:
        if rating not in (1, -1, None) or (rating is None and not comment):
            raise ValueError("A rating is +1 or -1, optionally with a comment.")
        if not get_setting("RESPONSE_FEEDBACK"):
            return None
        row = AIFeedback(
            kind="rating",
            ticket_id=ticket.id if ticket else None,
            suggestion_id=suggestion_id,
            user_id=user.id if user else None,
            rating=rating,
            comment=(comment or "").strip()[:COMMENT_MAX] or None,
        )
    db.session.add(row)
    db.session.commit()
    return row


def record_suggestion_use(
    suggestion_id: Any, reply: TicketResponse, *, measure: bool = True
) -> None:
    """Staff sent `reply` starting from a draft: store how similar it stayed (difflib ratio).

    measure=False (the AI posted it itself): marked used, but no staff outcome is recorded.
    """
    try:
        sid = int(suggestion_id)
    except (TypeError, ValueError):
        return
    if not 0 < sid <= MAX_ID:
        return
    try:
        suggestion = db.session.get(AISuggestion, sid)
        if (
            suggestion is None
            or suggestion.kind != "reply"
            or suggestion.ticket_id != reply.ticket_id
        ):
            return
        suggestion.status = "used"
        suggestion.response_id = reply.id
        suggestion.used_at = utcnow()
        if measure and get_setting("RESPONSE_LEARNING"):
            suggestion.edit_similarity = round(
                difflib.SequenceMatcher(None, suggestion.text or "", reply.content).ratio(), 4
            )
        db.session.commit()
    except Exception:  # measuring must never fail the reply that was already sent
        log.exception("could not record suggestion use")
        db.session.rollback()
