"""Satisfaction ratings and the reports summary as JSON."""

from __future__ import annotations

from flask import abort, jsonify, request

from portal.api import bp
from portal.api.auth import api_user
from portal.services import queue as queue_service
from portal.services import reports as report_service
from portal.services import satisfaction as satisfaction_service
from portal.services.errors import TicketError


def _rating_dict(row) -> dict:
    return {
        "ticket_id": row.ticket_id,
        "resolution": row.resolution,
        "rating": row.rating,
        "comment": row.comment,
        "created_at": row.created_at.isoformat() + "Z",
        "updated_at": row.updated_at.isoformat() + "Z",
    }


@bp.post("/tickets/<int:ticket_id>/satisfaction/")
def satisfaction_create(ticket_id: int):
    """The requester rates the current resolution: {"rating": 1-5, "comment": "..."}.

    201 for a new rating, 200 when it changes the rating of the same resolution; 404 for
    anyone but the requester; 409 when the ticket is not resolved; 422 for a bad rating.
    """
    user = api_user()
    ticket = queue_service.get_ticket_for(user, ticket_id)
    if ticket.user_id != user.id:
        abort(404)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    existed = satisfaction_service.rating_for(ticket) is not None
    try:
        row = satisfaction_service.rate(ticket, user, data.get("rating"), data.get("comment"))
    except satisfaction_service.NotRateable as e:
        return jsonify(error=e.message, field=e.field, status=409), 409
    except TicketError as e:
        return jsonify(error=e.message, field=e.field, status=422), 422
    return jsonify(_rating_dict(row)), 200 if existed else 201


@bp.get("/reports/summary")
def report_summary():
    """Staff only: ?since=YYYY-MM-DD&until=YYYY-MM-DD (both days included)."""
    user = api_user()
    if not user.is_staff:
        abort(403)
    try:
        filters = report_service.ReportFilters.parse(
            since=request.args.get("since"),
            until=request.args.get("until"),
            category=request.args.get("category"),
            agent=request.args.get("agent"),
        )
    except report_service.ReportError as e:
        return jsonify(error=e.message, field=e.field, status=422), 422
    return jsonify(report_service.summary(filters))
