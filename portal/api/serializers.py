"""Plain dicts for the API. Internal notes reach staff only."""

from __future__ import annotations

from flask import url_for

from portal.models import Ticket, TicketResponse, User
from portal.services import kb as kb_service
from portal.services import sla


def _iso(value):
    return value.isoformat() + "Z" if value else None


def user_brief(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name}


def sources_for(sources: list | None, viewer: User | None) -> list:
    """A help-article source as kind, id, title and url (title and url None when the viewer
    may not read it); a ticket source names another user's ticket, so only staff get its id."""
    sources = [s for s in sources or [] if isinstance(s, dict)]
    titles = kb_service.article_titles(
        viewer, [s.get("id") for s in sources if s.get("kind") == "kb"]
    )
    staff = viewer is not None and viewer.is_staff
    out = []
    for s in sources:
        if s.get("kind") == "kb":
            ident = s.get("id")
            readable = ident in titles
            out.append(
                {
                    "kind": "kb",
                    "id": ident,
                    "title": titles.get(ident),
                    "url": url_for("kb.article_detail", article_id=ident, _external=True)
                    if readable
                    else None,
                }
            )
        else:
            out.append(dict(s) if staff else {"kind": s.get("kind")})
    return out


def response_dict(r: TicketResponse, viewer: User | None = None) -> dict:
    return {
        "id": r.id,
        "ticket": r.ticket_id,
        "user": user_brief(r.user)
        if r.response_type != "ai"
        else {"id": None, "name": "AI assistant"},
        "response_type": r.response_type,
        "content": r.content,
        "is_ai_generated": r.is_ai_generated,
        "ai_confidence": r.ai_confidence,
        "is_internal": r.is_internal,
        "sources": sources_for(r.sources, viewer),
        # Another requester's ticket number is theirs: staff and the message's author only.
        "merged_from": r.merged_from_id
        if viewer is not None and (viewer.is_staff or viewer.id == r.user_id)
        else None,
        "created_at": _iso(r.created_at),
        "edited_at": _iso(r.edited_at),
    }


def ticket_dict(t: Ticket, viewer: User, *, with_responses: bool = False) -> dict:
    data = {
        "id": t.id,
        "user": user_brief(t.user),
        "title": t.title,
        "description": t.description,
        "category": t.category,
        "priority": t.priority,
        "status": t.status,
        "assigned_to": user_brief(t.assigned_to),
        "created_at": _iso(t.created_at),
        # An internal note moves updated_at; the requester must not learn that one was written.
        "updated_at": _iso(t.updated_at if viewer.is_staff else t.last_activity_at),
        "resolved_at": _iso(t.resolved_at),
        "last_activity_at": _iso(t.last_activity_at),
        "version": t.version,
        "needs_human": t.needs_human,
        "merged_into": t.merged_into_id,
        "sla": {
            "first_response_due": _iso(t.first_response_due),
            "resolution_due": _iso(t.resolution_due),
            "first_response_at": _iso(t.first_response_at),
            "breached": sla.is_breached(t),
        },
    }
    if with_responses:
        data["responses"] = [
            response_dict(r, viewer) for r in t.responses if viewer.is_staff or not r.is_internal
        ]
    return data


def page_dict(pagination, items: list[dict]) -> dict:
    return {
        "items": items,
        "page": pagination.page,
        "pages": pagination.pages,
        "per_page": pagination.per_page,
        "total": pagination.total,
    }
