"""The spec's ticket and response endpoints as JSON. Every change goes through services."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request

from portal.api import bp
from portal.api.auth import api_user
from portal.api.serializers import page_dict, response_dict, ticket_dict
from portal.extensions import db
from portal.models import Ticket, TicketResponse
from portal.services import merge as merge_service
from portal.services import queue as queue_service
from portal.services import reply_changes
from portal.services import tickets as ticket_service
from portal.services.errors import PermissionDenied, StaleTicket, TicketError

MAX_PER_PAGE = 100


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


def _error(e: Exception):
    if isinstance(e, PermissionDenied):
        return jsonify(error=str(e), status=403), 403
    if isinstance(e, StaleTicket):
        return jsonify(error=e.message, status=409), 409
    assert isinstance(e, TicketError)
    return jsonify(error=e.message, field=e.field, status=422), 422


def _is_int(value: Any) -> bool:
    """JSON integers only: true and false are bools, not ids."""
    return isinstance(value, int) and not isinstance(value, bool)


def _paginate(stmt):
    per_page = min(max(request.args.get("per_page", 25, type=int), 1), MAX_PER_PAGE)
    page = queue_service.page_number(request.args.get("page", 1, type=int))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _ticket(ticket_id: int) -> Ticket:
    return queue_service.get_ticket_for(api_user(), ticket_id)


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TicketError(f"{key} must be text.", field=key)
    return value


@bp.get("/tickets/")
def ticket_list():
    user = api_user()
    if user.is_staff:
        stmt = queue_service.queue_query(queue_service.QueueFilters.from_args(request.args), user)
    else:
        stmt = queue_service.user_tickets_query(user)
    pagination = _paginate(stmt)
    return jsonify(page_dict(pagination, [ticket_dict(t, user) for t in pagination.items]))


@bp.post("/tickets/")
def ticket_create():
    data = _body()
    try:
        ticket = ticket_service.create_ticket(
            api_user(),
            title=_text(data, "title") or "",
            description=_text(data, "description") or "",
            category=_text(data, "category"),
            client_token=_text(data, "client_token"),
        )
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(ticket_dict(ticket, api_user(), with_responses=True)), 201


@bp.get("/tickets/<int:ticket_id>/")
def ticket_detail(ticket_id: int):
    return jsonify(ticket_dict(_ticket(ticket_id), api_user(), with_responses=True))


@bp.route("/tickets/<int:ticket_id>/", methods=["PUT", "PATCH"])
def ticket_update(ticket_id: int):
    ticket = _ticket(ticket_id)
    data = _body()
    changes = {k: data[k] for k in ("status", "priority", "category", "needs_human") if k in data}
    if "assigned_to" in data:
        changes["assigned_to_id"] = data["assigned_to"]
    version = data.get("version")
    try:
        if version is not None and not _is_int(version):
            raise TicketError("version must be a number.", field="version")
        ticket_service.update_ticket(ticket, api_user(), changes, expected_version=version)
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(ticket_dict(ticket, api_user(), with_responses=True))


@bp.delete("/tickets/<int:ticket_id>/")
def ticket_delete(ticket_id: int):
    ticket = _ticket(ticket_id)
    try:
        ticket_service.delete_ticket(ticket, api_user())
    except PermissionDenied as e:
        return _error(e)
    return "", 204


@bp.post("/tickets/<int:ticket_id>/assign/")
def ticket_assign(ticket_id: int):
    ticket = _ticket(ticket_id)
    user = api_user()
    if not user.is_staff:
        return _error(PermissionDenied("Only staff can assign tickets."))
    data = request.get_json(silent=True) or {}
    assignee_id = data.get("assigned_to", user.id) if isinstance(data, dict) else user.id
    if assignee_id is not None and not _is_int(assignee_id):
        return _error(TicketError("assigned_to must be a user id or null.", field="assigned_to"))
    try:
        ticket_service.update_ticket(ticket, user, {"assigned_to_id": assignee_id})
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(ticket_dict(ticket, user))


def _status(ticket_id: int, status: str):
    ticket = _ticket(ticket_id)
    try:
        ticket_service.update_ticket(ticket, api_user(), {"status": status})
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(ticket_dict(ticket, api_user()))


@bp.post("/tickets/<int:ticket_id>/close/")
def ticket_close(ticket_id: int):
    return _status(ticket_id, "closed")


@bp.post("/tickets/<int:ticket_id>/reopen/")
def ticket_reopen(ticket_id: int):
    return _status(ticket_id, "open")


@bp.post("/tickets/<int:ticket_id>/merge/")
def ticket_merge(ticket_id: int):
    """Merge this ticket into `into` (staff only); answers both tickets as they are now."""
    ticket = _ticket(ticket_id)
    user = api_user()
    if not user.is_staff:
        return _error(PermissionDenied("Only staff can merge tickets."))
    data = _body()
    into, version = data.get("into"), data.get("version")
    if not _is_int(into):
        return _error(TicketError("into must be a ticket id.", field="into"))
    if version is not None and not _is_int(version):
        return _error(TicketError("version must be a number.", field="version"))
    target = _ticket(into)
    try:
        merge_service.merge_tickets(ticket, target, actor=user, expected_version=version)
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(
        {
            "merged": ticket_dict(ticket, user),
            "into": ticket_dict(target, user, with_responses=True),
        }
    )


@bp.get("/tickets/<int:ticket_id>/responses/")
def ticket_responses(ticket_id: int):
    ticket = _ticket(ticket_id)
    user = api_user()
    items = [response_dict(r, user) for r in ticket.responses if user.is_staff or not r.is_internal]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/responses/")
def response_list():
    user = api_user()
    stmt = queue_service.responses_query(user, ticket_id=request.args.get("ticket", type=int))
    pagination = _paginate(stmt)
    return jsonify(page_dict(pagination, [response_dict(r, user) for r in pagination.items]))


@bp.post("/responses/")
def response_create():
    data = _body()
    ticket_id = data.get("ticket")
    if not _is_int(ticket_id):
        return _error(TicketError("ticket must be a ticket id.", field="ticket"))
    ticket = _ticket(ticket_id)
    try:
        reply = ticket_service.add_reply(
            ticket,
            api_user(),
            _text(data, "content") or "",
            internal=bool(data.get("internal", False)),
            client_token=_text(data, "client_token"),
        )
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(response_dict(reply, api_user())), 201


def _response(response_id: int) -> TicketResponse:
    user = api_user()
    reply = queue_service.get_or_404(TicketResponse, response_id)
    if not user.is_staff and (reply.is_internal or not queue_service.can_view(user, reply.ticket)):
        abort(404)
    return reply


@bp.get("/responses/<int:response_id>/")
def response_detail(response_id: int):
    return jsonify(response_dict(_response(response_id), api_user()))


@bp.route("/responses/<int:response_id>/", methods=["PUT", "PATCH"])
def response_update(response_id: int):
    reply = _response(response_id)
    data = _body()
    try:
        reply_changes.edit_reply(reply, api_user(), _text(data, "content") or "")
    except (TicketError, PermissionDenied) as e:
        return _error(e)
    return jsonify(response_dict(reply, api_user()))


@bp.delete("/responses/<int:response_id>/")
def response_delete(response_id: int):
    reply = _response(response_id)
    try:
        reply_changes.delete_reply(reply, api_user())
    except PermissionDenied as e:
        return _error(e)
    return "", 204
