"""The one door for JSON bodies sent to the API.

Every JSON body is parsed here once, before any view reads it (views then get the cached value
from `request.get_json`). Two kinds of body never reach a view:

- JSON nested more deeply than any real request needs (1,000 levels made the parser raise
  RecursionError, a 500): answered 400;
- a lone surrogate ("\\ud800", escaped or as raw bytes) in any string or key: no encoding can
  store or send it, so it is refused as a 422 naming the field, like any other invalid field.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from portal.api import bp
from portal.textguard import has_lone_surrogate

MAX_DEPTH = 64
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _error(status: int, message: str, field: str | None = None):
    body: dict[str, Any] = {"error": message, "status": status}
    if status == 422:
        body["field"] = field
    return jsonify(body), status


def find_bad_text(data: Any) -> tuple[str, str | None] | None:
    """("depth" | "surrogate", the top-level field it is under) for the first problem, or None.

    Iterative, so a body nested deeply is measured without recursing as deep as it is.
    """
    stack: list[tuple[Any, int, str | None]] = [(data, 0, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_DEPTH:
            return "depth", field
        if isinstance(value, str):
            if has_lone_surrogate(value):
                return "surrogate", field
        elif isinstance(value, dict):
            for key, item in value.items():
                top = field if depth else key
                if has_lone_surrogate(key):
                    return "surrogate", None if not depth else field
                stack.append((item, depth + 1, top))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
    return None


@bp.before_request
def check_json_body():
    if request.method not in BODY_METHODS or not request.is_json:
        return None
    try:
        data = request.get_json(silent=True)  # cached: the view reads this same value
    except RecursionError:
        return _error(400, "The JSON body is nested too deeply.")
    problem = find_bad_text(data)
    if problem is None:
        return None
    kind, field = problem
    if kind == "depth":
        return _error(400, "The JSON body is nested too deeply.")
    where = f"{field} holds" if field else "The JSON body holds"
    return _error(422, f"{where} a character that is not text (a lone surrogate).", field)
