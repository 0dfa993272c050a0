"""Fixtures: a fresh database per test, on SQLite or on the real PostgreSQL server.

TEST_DATABASE_URL picks the database (scripts/test sets it for the PostgreSQL pass).
"""

from __future__ import annotations

import os

os.environ["HUEY_IMMEDIATE"] = "true"  # before portal.tasks is imported

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.config import TestConfig
from portal.extensions import cache, db
from tests.factories import PASSWORD, make_user

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _reset_postgres() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


_pg_schema_ready = False


@pytest.fixture
def app():
    global _pg_schema_ready
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL)
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
    return {"HX-Request": "true"}


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
