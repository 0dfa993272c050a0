"""Fixtures: a fresh database per test, on SQLite or on the real PostgreSQL server.

TEST_DATABASE_URL picks the database (scripts/test sets it for the PostgreSQL pass).
"""

from __future__ import annotations

import logging
import os

os.environ["HUEY_IMMEDIATE"] = "true"  # before portal.tasks is imported

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g, request_started
from jinja2 import BytecodeCache

from portal import create_app
from portal.config import TestConfig, normalise_database_url
from portal.extensions import cache, db
from tests.factories import PASSWORD, make_ticket, make_user
from tests.helpers import HX, HtmxCheckingClient

TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _reset_postgres() -> None:
    """Empty every table and restart the id sequences.

    DELETE on these small tables is ~20x faster than TRUNCATE (which rewrites every table's
    files), and the whole suite pays this once per test.
    """
    try:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.execute(
            sa.text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        db.session.commit()
    except sa.exc.DBAPIError:  # e.g. a foreign-key cycle: fall back to the heavy hammer
        db.session.rollback()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


_pg_schema_ready = False


# Tests need no durability: skip the fsync per commit on PostgreSQL, and the ping per checkout.
ENGINE_OPTIONS = {"connect_args": {"options": "-c synchronous_commit=off"}} if ON_POSTGRES else {}


class _SharedBytecodeCache(BytecodeCache):
    """Every test builds a new app; without this each one recompiles every template."""

    store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecodeCache()


def speed_up(app) -> None:
    app.jinja_env.bytecode_cache = _BYTECODE


def fresh_g_per_request(app) -> None:
    """Start every test request with an empty `g`, as in production.

    The fixture holds an app context for the whole test, and Flask reuses a pushed app context
    for requests, so without this `g` (Flask-Login's current user, Flask-WTF's CSRF token)
    would leak from one request into the next and hide bugs.
    """

    def clear(sender, **extra) -> None:
        for key in list(g):
            g.pop(key)

    request_started.connect(clear, app, weak=False)


@pytest.fixture
def app():
    global _pg_schema_ready
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL,
        SQLALCHEMY_ENGINE_OPTIONS=ENGINE_OPTIONS,
    )
    speed_up(app)
    fresh_g_per_request(app)
    app.test_client_class = HtmxCheckingClient  # every htmx request must get a fragment
    with app.app_context():
        if ON_POSTGRES:
            if not _pg_schema_ready:
                db.drop_all()
                db.create_all()
                _pg_schema_ready = True
            else:
                _reset_postgres()
        else:
            db.create_all()
        cache.clear()
        yield app
        db.session.remove()
        cache.clear()
        if not ON_POSTGRES:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """login_as(user) logs the test client in through the real login form."""

    def _login(user):
        client.post("/auth/logout")
        resp = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert resp.status_code == 302, resp.data[:500]
        return user

    return _login


@pytest.fixture
def hx():
    """htmx's request header; the test client checks every answer to it is a fragment."""
    return dict(HX)


@pytest.fixture
def user(app):
    return make_user("user")


@pytest.fixture
def other_user(app):
    return make_user("user")


@pytest.fixture
def staff(app):
    return make_user("staff")


@pytest.fixture
def admin(app):
    return make_user("admin")


@pytest.fixture
def ticket(user):
    """An open ticket owned by `user`."""
    return make_ticket(user, title="Projector in room 4 is blank")


# --- Unhandled errors fail the test --------------------------------------------------------
# The app answers any unexpected exception with a polite 500 page, so a test that only checks
# the text could pass over a crash. Every "unhandled error" the app logs fails the test, unless
# the test asks for the `allow_unhandled_errors` fixture.


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def allow_unhandled_errors():
    """Request this in a test that provokes a 500 on purpose."""
    return True


@pytest.fixture(autouse=True)
def _fail_on_unhandled_error(request):
    if "allow_unhandled_errors" in request.fixturenames:
        yield
        return
    collector = _Collect()
    logger = logging.getLogger("portal.errors")
    logger.addHandler(collector)
    try:
        yield
    finally:
        logger.removeHandler(collector)
    if collector.records:
        first = collector.records[0]
        detail = logging.Formatter().formatException(first.exc_info) if first.exc_info else ""
        pytest.fail(f"the app hit an unhandled error (a 500 page):\n{detail}", pytrace=False)


class _UncommittedWrites:
    """Which sessions hold flushed writes not yet committed or rolled back."""

    def __init__(self) -> None:
        self.sessions: set[int] = set()

    def flushed(self, session, _context) -> None:
        self.sessions.add(id(session))

    def ended(self, session, *_args) -> None:
        self.sessions.discard(id(session))

    def held_by(self, session) -> bool:
        return id(session) in self.sessions or bool(session.new or session.deleted)


@pytest.fixture(autouse=True)
def _usage_log_never_inside_a_write(monkeypatch):
    """The AI writes its usage log on a connection of its own. Called while the caller's
    session holds uncommitted writes, that write would wait on (or, on in-memory SQLite,
    commit) the caller's transaction: every AI call must come before a service writes."""
    from portal.ai import usage

    tracker = _UncommittedWrites()
    hooks = (
        ("after_flush", tracker.flushed),
        ("after_commit", tracker.ended),
        ("after_rollback", tracker.ended),
        ("after_soft_rollback", tracker.ended),
    )
    for name, fn in hooks:
        sa.event.listen(so.Session, name, fn)
    offences: list[str] = []
    record = usage.record

    def guarded(**row):
        if tracker.held_by(db.session()):
            offences.append(f"{row.get('provider')} {row.get('purpose')} call")
        return record(**row)

    monkeypatch.setattr(usage, "record", guarded)
    try:
        yield
    finally:
        for name, fn in hooks:
            sa.event.remove(so.Session, name, fn)
    if offences:
        pytest.fail(
            "AI usage was logged while the session held uncommitted writes: " + ", ".join(offences),
            pytrace=False,
        )


# --- Automation off ---------------------------------------------------------------------------
AUTOMATION_OFF = {
    "TICKET_AUTO_ASSIGN": False,
    "TICKET_AI_RESPONSE": False,
    "TICKET_CATEGORIZATION": False,
    "TICKET_PRIORITY_DETECTION": False,
    "AI_RESPONSE_ENABLED": False,
    "AI_CATEGORIZATION_ENABLED": False,
    "RESPONSE_AUTO_GENERATE": False,
}


@pytest.fixture
def manual_only(app):
    """Switch off AI triage, first answers and auto-assignment (admin settings), so every change
    in a test is the test's own. The foundation's service and page tests use it."""
    from portal.services import settings as settings_service

    settings_service.update_settings(AUTOMATION_OFF)


QUIET_AI = {
    "TICKET_AI_RESPONSE": False,
    "RESPONSE_AUTO_GENERATE": False,
    "TICKET_CATEGORIZATION": False,
    "TICKET_PRIORITY_DETECTION": False,
}


@pytest.fixture
def quiet_ai(app):
    """No AI answers or triage changes (triage still dispatches "ticket_triaged"), and
    auto-assign off while tests build their tickets; tests switch it on when they mean it.
    The auto-assignment and staff profile tests use it."""
    from portal.services import settings as settings_service

    settings_service.update_settings({**QUIET_AI, "TICKET_AUTO_ASSIGN": False})
