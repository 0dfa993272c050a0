"""Browser fixtures: the real app served over HTTP in a thread, driven by headless Chromium.

The live server runs on the database the rest of the suite uses for this pass: a temporary
SQLite *file* (threads cannot share an in-memory ``sqlite://``), or TEST_DATABASE_URL when it
points at PostgreSQL (scripts/test creates a fresh database per run). Every test starts from
empty tables. CSRF is on: a real browser carries real tokens.

Playwright's own browser download does not work here; Debian's ``chromium`` is used instead
(CHROMIUM_PATH overrides the path). Without it the browser tests skip, or fail under CI=true.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, request
from werkzeug.serving import make_server

from portal import create_app
from portal.config import TestConfig, normalise_database_url
from portal.extensions import cache, db
from tests.factories import PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 5_000  # a step that takes longer than this is a failure, not a slow pass


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    role: str


class InFlight:
    """WSGI middleware tracking the requests the live server is still answering.

    A test's last click can start a request (an htmx panel loading, say) that is still running
    when the test ends; the next test's table reset, or the session's shutdown, would then pull
    the database out from under it. Teardown waits for these requests to end first.
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app
        # key -> (request line, the server thread answering it)
        self._running: dict[int, tuple[str, threading.Thread]] = {}
        self._idle = threading.Condition()
        self._next_key = 0

    def __call__(self, environ, start_response):
        with self._idle:
            self._next_key += 1
            key = self._next_key
            line = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"
            self._running[key] = (line, threading.current_thread())
        try:
            body = self.wsgi_app(environ, start_response)
        except BaseException:
            self._done(key)
            raise
        return _ClosingBody(body, lambda: self._done(key))

    def _done(self, key: int) -> None:
        with self._idle:
            self._running.pop(key, None)
            self._idle.notify_all()

    def _settled(self) -> bool:
        # A request whose thread has ended is over, even if the server never closed its body
        # (werkzeug skips that when the browser drops the connection mid-write).
        for key, (_line, thread) in list(self._running.items()):
            if not thread.is_alive():
                del self._running[key]
        return not self._running

    def wait_idle(self, timeout: float = 10.0) -> list[str]:
        """Wait for running requests to end; return those still running after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._idle:
            # Short waits: a thread that ends without closing its body notifies nobody.
            while not self._settled() and time.monotonic() < deadline:
                self._idle.wait(0.05)
            return [line for line, _thread in self._running.values()]


class _ClosingBody:
    """A response body that closes itself (running Flask's teardown) once fully read.

    Werkzeug's development server closes the body only after draining the request socket,
    and skips the close when that drain fails on a connection the browser has already reset.
    The app context, and its database connection, would then never be given back.
    """

    def __init__(self, body, done) -> None:
        self._body = body
        self._it = iter(body)
        self._done = done
        self._closed = False

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._it)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._done()


@dataclass
class LiveServer:
    app: Flask
    url: str
    on_postgres: bool
    in_flight: InFlight
    _thread: threading.Thread = field(repr=False)
    # Every 5xx the server answered, as "METHOD /path -> status": a test fails on any of them.
    server_errors: list[str] = field(default_factory=list)

    def add_user(self, role: str = "user", **kw) -> Person:
        """A user created through the factory, as plain values usable outside the app."""
        with self.app.app_context():
            user = make_user(role, **kw)
            return Person(id=user.id, email=user.email, name=user.name, role=user.role)

    def reset_db(self) -> None:
        """Empty every table (a fresh database per test, as in the rest of the suite)."""
        running = self.in_flight.wait_idle()
        assert not running, f"the live server is still answering {running}"
        with self.app.app_context():
            if self.on_postgres:
                db.create_all()  # no-op when the schema exists
                tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                db.session.commit()
            else:
                db.drop_all()
                db.create_all()
            db.session.remove()
            cache.clear()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL lets the server's threads read while one writes; no fsync for a throwaway file."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=OFF")
    cur.close()


def _warm_up_ai(app: Flask) -> None:
    """Load (in tests: train, once per process, seconds) the local AI model before serving.

    Tests run follow-up tasks inline, so the first ticket a browser submits would otherwise
    wait for that training and overrun the browser's step timeout.
    """
    try:
        from portal.ai import gateway
    except ImportError:  # no AI layer in this build
        return
    # The portal copes with an unavailable model; so do these tests.
    with app.app_context(), contextlib.suppress(Exception):
        gateway.local_model()


@contextmanager
def serve(app: Flask) -> Iterator[tuple[str, threading.Thread]]:
    """Serve ``app`` on 127.0.0.1:<free port> in a thread until the block ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", thread
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _start_live_server(stack: contextlib.ExitStack, tmp_dir: Path) -> LiveServer:
    url = normalise_database_url(os.environ.get("TEST_DATABASE_URL", ""))
    on_postgres = url.startswith("postgresql")
    if not on_postgres:
        url = f"sqlite:///{tmp_dir / 'portal.db'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=True)
    if not on_postgres:
        with app.app_context():
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
    _warm_up_ai(app)
    errors: list[str] = []

    @app.after_request
    def record_server_errors(resp):
        if resp.status_code >= 500:
            errors.append(f"{request.method} {request.full_path.rstrip('?')} -> {resp.status}")
        return resp

    def dispose() -> None:
        with app.app_context():
            db.engine.dispose()

    in_flight = InFlight(app.wsgi_app)
    app.wsgi_app = in_flight
    stack.callback(dispose)
    stack.callback(in_flight.wait_idle)
    base_url, thread = stack.enter_context(serve(app))
    return LiveServer(
        app=app,
        url=base_url,
        on_postgres=on_postgres,
        in_flight=in_flight,
        _thread=thread,
        server_errors=errors,
    )


def _start_browser(stack: contextlib.ExitStack):
    from playwright.sync_api import sync_playwright

    pw = stack.enter_context(sync_playwright())
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    stack.callback(browser.close)
    return browser


# Other test folders import these fixtures into their own conftest.py; pytest then builds one
# session fixture per conftest. Two Playwright sync instances cannot share a thread, and one
# server is enough: whichever fixture copy asks first starts it, the last one to finish stops it.
_SHARED: dict[str, list] = {}


@contextmanager
def _shared(key: str, start) -> Iterator:
    entry = _SHARED.get(key)
    if entry is None:
        stack = contextlib.ExitStack()
        try:
            value = start(stack)
        except BaseException:
            stack.close()
            raise
        entry = _SHARED[key] = [value, 0, stack]
    entry[1] += 1
    try:
        yield entry[0]
    finally:
        entry[1] -= 1
        if entry[1] == 0:
            del _SHARED[key]
            entry[2].close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    with _shared(
        "live_server", lambda stack: _start_live_server(stack, tmp_path_factory.mktemp("live"))
    ) as server:
        yield server


@pytest.fixture
def live(live_server) -> Iterator[LiveServer]:
    """The live server with empty tables; use ``live.app.app_context()`` to add data."""
    live_server.reset_db()
    live_server.server_errors.clear()
    yield live_server
    # Pages are closed by now (new_page depends on this fixture); let their last requests end
    # so that their errors, if any, are counted against this test.
    running = live_server.in_flight.wait_idle()
    assert not running, f"the live server is still answering {running}"
    errors = list(live_server.server_errors)
    assert not errors, f"the live server answered 5xx (tracebacks in the captured log): {errors}"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"chromium not found at {CHROMIUM} (CI=true: browser tests must run)")
        pytest.skip(f"chromium not found at {CHROMIUM}; install Debian's chromium package")
    with _shared("browser", _start_browser) as browser:
        yield browser


# What the browser loads for a page, besides the page: a failure here is a broken page.
ASSET_TYPES = frozenset({"stylesheet", "script", "image", "font", "media", "manifest"})
# Answers the portal gives htmx on purpose and htmx swaps (the form with its errors, a
# conflict): Chromium still logs "Failed to load resource" for them.
HTMX_SWAPPED_STATUSES = frozenset({409, 422})
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class BrowserProblems:
    """Console errors, uncaught exceptions and failed page assets in one browser context."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._load_failures: list[tuple[str, str]] = []  # (url, console text)
        self._swapped: set[str] = set()  # htmx requests answered 409/422 on purpose

    def watch(self, context) -> None:
        context.on("console", self._on_console)
        context.on("weberror", lambda e: self.problems.append(f"uncaught: {e.error}"))
        context.on("requestfailed", self._on_request_failed)
        context.on("response", self._on_response)

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource"):
            # Judged at the end, once the response it names has been seen.
            self._load_failures.append((url, msg.text))
            return
        self.problems.append(f"console error: {msg.text} ({url})")

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        if request.resource_type in ASSET_TYPES and "ERR_ABORTED" not in failure:
            self.problems.append(f"{request.resource_type} failed: {request.url} ({failure})")

    def _on_response(self, response) -> None:
        request = response.request
        if response.status < 400:
            return
        if request.resource_type in ASSET_TYPES:
            self.problems.append(f"{request.resource_type} {response.status}: {response.url}")
        elif response.status in HTMX_SWAPPED_STATUSES and request.headers.get("hx-request"):
            self._swapped.add(response.url)

    def report(self) -> list[str]:
        failed_loads = [
            f"{text} ({url or 'no url'})"
            for url, text in self._load_failures
            if url not in self._swapped
        ]
        return self.problems + failed_loads


@pytest.fixture
def new_page(browser, live):
    """new_page() opens a page in its own browser context (its own cookies: one person).

    ``new_page(viewport=PHONE)`` opens a phone-sized one. A test fails when a page it opened
    logged a console error (a CSP violation, an htmx error, an uncaught exception) or failed
    to load a page asset (stylesheet, script, image, font, the favicon).
    """
    contexts = []
    watches: list[BrowserProblems] = []

    def _new_page(viewport: dict | None = None):
        context = browser.new_context(base_url=live.url, viewport=viewport or DESKTOP)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watch = BrowserProblems()
        watch.watch(context)
        watches.append(watch)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()
    problems = [p for watch in watches for p in watch.report()]
    if problems:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems))


@pytest.fixture
def login():
    """login(page, user) signs in through the real login form."""
    from playwright.sync_api import expect

    def _login(page, user):
        page.goto("/auth/login")
        page.fill("#email", user.email)
        page.fill("#password", PASSWORD)
        page.click("main form button.primary")
        expect(page.locator(".topbar .who")).to_contain_text(user.name)
        return page

    return _login


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves a full-page PNG under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
