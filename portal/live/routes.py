"""The live poll: "has anything this page shows changed?" in one small request per tab.

An open page lists its live parts (scopes) with the version token each was rendered at,
`GET /live/?s=queue:<token>&s=notifications:<token>`; the answer is 204 No Content when every
token is still current, else JSON naming the scopes that changed, and the page then fetches
those parts' fragments from their usual endpoints (static/js/live.js). A staff ticket page
also sends a presence heartbeat (`p=<ticket id>`, `pv=<token>`, `typing=reply|note`), and the
answer carries who else has the ticket open when that changed.

Tokens come from services/live.py (a few indexed aggregates); nothing here renders a template
when nothing changed. Without JavaScript nothing polls, and a reload shows current data.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, make_response, request
from flask_login import current_user

from portal.forms import EmptyForm
from portal.live import bp
from portal.models.base import parse_id
from portal.services import live as live_service
from portal.services import presence as presence_service

MAX_SCOPES = 6


def _interval() -> float:
    return float(current_app.config.get("LIVE_POLL_SECONDS") or 5)


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _scopes() -> list[tuple[str, str]]:
    """(scope, token the page has) pairs; a malformed list is a 404 like a foreign scope."""
    raw = request.args.getlist("s")
    if len(raw) > MAX_SCOPES:
        abort(400)
    pairs = []
    for item in raw:
        scope, _, token = item.partition(":")
        pairs.append((scope, live_service.clean_token(token)))
    return pairs


@bp.get("/")
def poll():
    changed: dict[str, str] = {}
    for scope, seen in _scopes():
        try:
            current = live_service.token_for(current_user, scope)
        except live_service.ScopeNotFound:
            abort(404)
        if current != seen:
            changed[scope] = current
    body: dict = {}
    if changed:
        body["changed"] = changed
    if "p" in request.args:
        presence = _presence(request.args.get("p"))
        if presence["token"] != live_service.clean_token(request.args.get("pv")):
            body["presence"] = presence
    if not body:
        return _no_store(make_response("", 204))
    return _no_store(jsonify(body))


def _presence(raw_id: str | None) -> dict:
    """Record the viewer's heartbeat on a ticket and say who else is there (staff only)."""
    ticket_id = parse_id(raw_id)
    if ticket_id is None or not current_user.is_staff:
        abort(404)
    if live_service.staff_ticket_token(ticket_id) is None:
        abort(404)
    presence_service.heartbeat(
        ticket_id,
        current_user,
        typing=request.args.get("typing") or None,
        interval=_interval(),
        hidden=request.args.get("hidden") == "1",
    )
    people = presence_service.others(ticket_id, current_user)
    return {"token": presence_service.token(people), "lines": presence_service.describe(people)}


@bp.post("/tickets/<int:ticket_id>/leave")
def presence_leave(ticket_id: int):
    """The page closed (a beacon) or moved on: drop the viewer's presence at once."""
    if not current_user.is_staff:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    presence_service.leave(ticket_id, current_user)
    return _no_store(make_response("", 204))


@bp.app_context_processor
def live_helpers() -> dict:
    def version(scope: str) -> str:
        """The token a page renders a live part at ("" when the viewer may not poll it)."""
        if not current_user.is_authenticated:
            return ""
        try:
            return live_service.token_for(current_user, scope)
        except live_service.ScopeNotFound:
            return ""
        except Exception:  # a live token must never take a page down
            current_app.logger.warning("live token failed", exc_info=True)
            return ""

    def presence_for(ticket_id: int) -> dict:
        """Who else has this ticket open; rendering the page counts as the viewer's heartbeat."""
        if not (current_user.is_authenticated and current_user.is_staff):
            return {"token": "", "lines": []}
        presence_service.heartbeat(ticket_id, current_user, interval=_interval())
        people = presence_service.others(ticket_id, current_user)
        return {"token": presence_service.token(people), "lines": presence_service.describe(people)}

    return {"live_version": version, "live_presence": presence_for}
