"""The few htmx helpers the portal needs (see DESIGN.md: branch on HX-Request only)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, make_response, render_template, request


def wants_partial() -> bool:
    """A plain htmx request wants a fragment; boosted requests and history restores get pages."""
    h = request.headers
    return (
        h.get("HX-Request") == "true"
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
    )


def add_vary(resp: Response) -> Response:
    resp.vary.add("HX-Request")
    return resp


def render_page_or_partial(page: str, partial: str, status: int = 200, **ctx: Any) -> Response:
    template = partial if wants_partial() else page
    resp = make_response(render_template(template, **ctx), status)
    return add_vary(resp)


def hx_trigger(resp: Response, name: str, detail: Any = None) -> Response:
    """Merge one event into the response's HX-Trigger header."""
    existing = resp.headers.get("HX-Trigger")
    events: dict[str, Any] = {}
    if existing:
        try:
            events = json.loads(existing)
        except ValueError:
            events = {e.strip(): None for e in existing.split(",") if e.strip()}
    events[name] = detail
    resp.headers["HX-Trigger"] = json.dumps(events)
    return resp


def toast(resp: Response, message: str, level: str = "success") -> Response:
    return hx_trigger(resp, "toast", {"level": level, "message": message})


def hx_redirect(url: str, status: int = 204) -> Response:
    resp = make_response("", status)
    resp.headers["HX-Redirect"] = url
    return resp
