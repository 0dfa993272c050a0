"""Fragments never carry a page.

Every htmx request the suite sends is checked by the test client (tests.helpers.assert_fragment).
Here: a sweep over every GET route the templates point htmx at, and a check that no boosted form
or link inherits a fragment's hx-target (which is how a whole page once landed inside the ticket
page's thread).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from portal.services import chat as chat_service
from portal.services import kb as kb_service
from tests.factories import make_reply, make_ticket
from tests.helpers import HX, assert_fragment, hx_request, text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HX_URL = re.compile(r'hx-(?:get|post|put|patch|delete)="([^"]*)"')
URL_FOR = re.compile(r"^\{\{\s*url_for\('([\w.]+)'")
# hx URLs built by the view, not in the template: each is covered by its own tests.
DYNAMIC = {"{{ ai_panel_url }}", "{{ action }}", "{{ read_url }}"}
DYNAMIC_ENDPOINT = {"{{ url_for(action, ticket_id=ticket.id) }}"}


@pytest.mark.parametrize(
    "body",
    ["<!DOCTYPE html><p>x</p>", "<html><body>x</body></html>", '<header class="topbar">x'],
)
def test_assert_fragment_fails_on_anything_only_a_page_carries(app, body):
    with pytest.raises(AssertionError, match="answered a page"):
        assert_fragment(app.response_class(body, mimetype="text/html"))
    assert_fragment(app.response_class('<div id="x">fragment</div>', mimetype="text/html"))


def test_the_test_client_checks_every_htmx_answer(monkeypatch, client, login_as, user):
    """A view that forgets the fragment fails any test that sends it an htmx request."""
    login_as(user)
    monkeypatch.setattr("portal.htmx.wants_partial", lambda: False)
    with pytest.raises(AssertionError, match="answered a page"):
        client.get("/tickets/", headers=HX)
    assert "<html" in text(client.get("/tickets/", headers={**HX, "HX-Boosted": "true"}))


def _hx_urls() -> list[str]:
    found = set()
    for path in TEMPLATES.rglob("*.html"):
        found.update(HX_URL.findall(path.read_text()))
    return sorted(found)


def _hx_endpoints() -> list[str]:
    return sorted({m.group(1) for u in _hx_urls() if (m := URL_FOR.match(u))})


def test_every_hx_url_in_the_templates_is_swept():
    unparsed = {u for u in _hx_urls() if not URL_FOR.match(u)}
    assert unparsed <= DYNAMIC | DYNAMIC_ENDPOINT, (
        f"new hx URL(s) the sweep cannot follow: {unparsed - DYNAMIC - DYNAMIC_ENDPOINT}"
    )
    assert len(_hx_endpoints()) >= 20


def _role_for(endpoint: str) -> str:
    return {"staff": "staff", "admin": "admin"}.get(endpoint.split(".")[0], "user")


@pytest.mark.parametrize("endpoint", _hx_endpoints())
def test_htmx_get_on_every_hx_route_answers_a_fragment(
    request, app, client, login_as, user, ticket, endpoint
):
    staff = request.getfixturevalue("staff")
    make_reply(ticket, staff, "A reply in the thread")
    article = kb_service.create_article(
        staff, title="Connecting to eduroam", body="Use your university email to join eduroam."
    )
    conv = chat_service.start_conversation(user, ticket)
    values = {
        "ticket_id": ticket.id,
        "conversation_id": conv.conversation_id,
        "article_id": article.id,
        "index": 0,
    }
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **{k: values[k] for k in rule.arguments})
    try:
        app.url_map.bind("localhost").match(url, method="GET")
    except MethodNotAllowed:
        pytest.skip(f"{url} has no GET: its POST answers are checked by the client in its tests")
    except NotFound:  # pragma: no cover - url_for built it
        raise
    login_as(
        request.getfixturevalue(_role_for(endpoint)) if _role_for(endpoint) != "user" else user
    )
    resp = hx_request(client, "GET", url, target="somewhere")
    assert resp.status_code < 500, (url, resp.status_code)
    assert_fragment(resp)
    page = client.get(url)
    assert page.status_code < 500


class _BoostedTargets(HTMLParser):
    """Boosted forms and links, and the hx-target/hx-swap each would inherit from an ancestor."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    INHERITED = ("hx-target", "hx-swap")

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.leaks: list[str] = []

    def _inherited(self, name: str) -> str | None:
        for _tag, a in reversed(self.stack):
            dis = (a.get("hx-disinherit") or "").split()
            if "*" in dis or name in dis:  # htmx: the ancestor keeps even its own value to itself
                return None
            if a.get(name) is not None:
                return a[name]
        return None

    def _boosted(self) -> bool:
        for _tag, a in reversed(self.stack):
            if a.get("hx-boost") is not None:
                return a["hx-boost"] == "true"
        return False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        own_request = any(k in a for k in ("hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"))
        boostable = (tag == "form" and a.get("action")) or (tag == "a" and a.get("href"))
        if boostable and not own_request:
            self.stack.append((tag, a))
            if self._boosted():
                for name in self.INHERITED:
                    if a.get(name) is None and (value := self._inherited(name)) not in (
                        None,
                        "body",
                    ):
                        self.leaks.append(
                            f"<{tag} {a.get('action') or a.get('href')}> inherits {name}={value}"
                        )
            self.stack.pop()
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def _leaks(html: str) -> list[str]:
    parser = _BoostedTargets()
    parser.feed(html)
    return parser.leaks


@pytest.mark.parametrize("answered", [False, True], ids=["awaiting-answer", "answered"])
def test_no_boosted_form_or_link_on_the_ticket_page_inherits_a_fragment_target(
    client, login_as, user, staff, answered
):
    from portal import events

    with events.suppressed():
        ticket = make_ticket(user, title="Printer jams")
    if answered:
        make_reply(ticket, staff, "Try turning it off and on")
    login_as(user)
    html = text(client.get(f"/tickets/{ticket.id}/"))
    assert "Chat with the assistant about this ticket" in html
    assert _leaks(html) == []


def test_user_pages_have_no_boosted_element_inheriting_a_fragment_target(
    client, login_as, user, ticket
):
    conv = chat_service.start_conversation(user, ticket)
    login_as(user)
    for url in (
        "/tickets/",
        "/tickets/new",
        f"/tickets/{ticket.id}/",
        "/tickets/ai/conversations/",
        f"/tickets/ai/conversations/{conv.conversation_id}/",
        "/kb/",
        "/notifications/",
    ):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert _leaks(text(resp)) == [], url


def test_chat_about_a_ticket_from_its_page_ends_on_the_chat_page_once(client, login_as, user):
    """As htmx sends the boosted form: the answer is the chat page, which htmx puts on <body>."""
    from portal import events

    with events.suppressed():
        ticket = make_ticket(user)
    login_as(user)
    page = text(client.get(f"/tickets/{ticket.id}/"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(
        "/tickets/ai/conversations/",
        data={"csrf_token": token, "ticket": str(ticket.id)},
        headers={**HX, "HX-Boosted": "true"},
        follow_redirects=True,
    )
    assert resp.status_code == 200
    html = text(resp)
    assert html.count('class="topbar"') == 1 and 'id="chat-form"' in html
