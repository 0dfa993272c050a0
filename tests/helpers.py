"""Small assertions shared by the suite."""

from __future__ import annotations

from contextlib import contextmanager
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal import events
from portal.extensions import db
from portal.models import Setting, Ticket, TicketEvent, TicketResponse, User


def snapshot() -> dict:
    """What a request could have written: compare before and after to prove nothing was."""
    db.session.expire_all()
    return {
        "tickets": db.session.execute(
            sa.select(
                Ticket.id,
                Ticket.title,
                Ticket.status,
                Ticket.priority,
                Ticket.category,
                Ticket.assigned_to_id,
                Ticket.version,
                Ticket.resolved_at,
            ).order_by(Ticket.id)
        ).all(),
        "responses": db.session.execute(
            sa.select(TicketResponse.id, TicketResponse.content).order_by(TicketResponse.id)
        ).all(),
        "events": db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)),
        "users": db.session.execute(
            sa.select(User.id, User.email, User.role, User.active).order_by(User.id)
        ).all(),
        "settings": db.session.execute(sa.select(Setting.key, Setting.value)).all(),
    }


def location_path(resp) -> str:
    return urlsplit(resp.headers.get("Location", "")).path


def assert_redirects_to_login(resp, next_path: str | None = None) -> None:
    assert resp.status_code == 302, (resp.status_code, resp.data[:300])
    parts = urlsplit(resp.headers["Location"])
    assert parts.path == "/auth/login"
    assert parse_qs(parts.query).get("next") == ([next_path] if next_path else None)


def assert_htmx_login(resp, next_path: str | None = None) -> None:
    """htmx ignores redirects: a lost session answers 401 with HX-Redirect to the login page."""
    assert resp.status_code == 401, (resp.status_code, resp.data[:300])
    parts = urlsplit(resp.headers["HX-Redirect"])
    assert parts.path == "/auth/login"
    if next_path is not None:
        assert parse_qs(parts.query).get("next") == [next_path]


def is_full_page(resp) -> bool:
    return b"<html" in resp.data


# What only a whole page carries: a fragment with any of these would nest a page in a page.
PAGE_MARKERS = ("<html", "<!doctype", 'class="topbar"')
HX = {"HX-Request": "true"}


def wants_fragment(headers) -> bool:
    """As portal.htmx.wants_partial: plain htmx requests get fragments; boosted ones get pages."""
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def assert_fragment(resp) -> None:
    """An htmx (HX-Request, not boosted) answer is a fragment: never a page, never the header."""
    if resp.mimetype != "text/html":
        return
    html = resp.get_data(as_text=True).lower()
    found = [m for m in PAGE_MARKERS if m.lower() in html]
    req = getattr(resp, "request", None)
    where = f"{req.method} {req.path}" if req is not None else "response"
    assert not found, (
        f"htmx {where} -> {resp.status_code} "
        f"answered a page ({', '.join(found)}), which htmx would swap into its target: "
        f"{html[:300]}"
    )


class HtmxCheckingClient(FlaskClient):
    """The suite's test client: every htmx request it sends goes through assert_fragment."""

    def open(self, *args, **kwargs):
        resp = super().open(*args, **kwargs)
        if wants_fragment(resp.request.headers):
            assert_fragment(resp)
        return resp


def hx_request(client, method: str, url: str, *, target: str | None = None, **kwargs):
    """A request as htmx sends it (HX-Request, HX-Target when the element names one)."""
    headers = {**HX, **(kwargs.pop("headers", None) or {})}
    if target:
        headers["HX-Target"] = target
    resp = client.open(url, method=method, headers=headers, **kwargs)
    if wants_fragment(headers):
        assert_fragment(resp)
    return resp


def text(resp) -> str:
    return resp.get_data(as_text=True)


class _FormParser(HTMLParser):
    """Collects what a browser would submit from the form whose action ends with `action`."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.select: str | None = None
        self.first_option: str | None = None
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and (a.get("action") or "").endswith(self.action):
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ""))
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
            self.chosen = None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
            if "selected" in a:
                self.chosen = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select" and self.inside and self.select:
            value = self.chosen if self.chosen is not None else self.first_option
            self.fields.append((self.select, value or ""))
            self.select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_fields(html: str, action: str) -> dict:
    """The fields (hidden ones included) a browser would post from the form at `action`."""
    parser = _FormParser(action)
    parser.feed(html)
    assert parser.done, f"no form posting to {action}"
    return dict(parser.fields)


@contextmanager
def extra_listener(app, event: str, listener):
    """The app's listener table with `listener` appended to `event`, for the block only."""
    table = app.extensions[events.EXTENSION_KEY]
    saved = dict(table)
    table[event] = (*table[event], listener)
    try:
        yield
    finally:
        table.clear()
        table.update(saved)
