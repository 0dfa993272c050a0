"""`flask db upgrade` from empty works, and the models and the migrations agree.

Runs against a fresh SQLite file, and, when TEST_DATABASE_URL points at PostgreSQL, against a
fresh PostgreSQL database created (and dropped) for this test.
"""

from __future__ import annotations

import logging
import os
import uuid

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import config as portal_config
from portal import create_app
from portal.extensions import db
from portal.models.ticket import include_in_autogenerate
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

# SQLite cannot reflect the PostgreSQL-only expression index (ix_tickets_search), so
# autogenerate warns that it skips it. The index is hand-written in the migration and left
# out of the comparison (include_in_autogenerate); the PostgreSQL pass checks it exists.
pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based"),
]


class _KeepLogging:
    """migrations/env.py calls logging.config.fileConfig, which disables every existing logger
    and replaces the root handlers; put them back so later tests still see log records."""

    def __enter__(self):
        root = logging.getLogger()
        self.root = (root.level, list(root.handlers))
        self.enabled = [
            lg
            for lg in logging.Logger.manager.loggerDict.values()
            if isinstance(lg, logging.Logger) and not lg.disabled
        ]
        return self

    def __exit__(self, *exc):
        root = logging.getLogger()
        root.setLevel(self.root[0])
        root.handlers[:] = self.root[1]
        for lg in self.enabled:
            lg.disabled = False
        for name in ("alembic", "sqlalchemy", "sqlalchemy.engine"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _upgrade_and_diff(url: str) -> tuple[list, set[str]]:
    app = create_app(portal_config.TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context(), _KeepLogging():
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn,
                    opts={"compare_type": True, "include_object": include_in_autogenerate},
                )
                diffs = compare_metadata(context, db.metadata)
            inspector = sa.inspect(db.engine)
            tables = set(inspector.get_table_names())
            # Hand-written expression indexes are outside the comparison: check they exist.
            if db.engine.dialect.name == "postgresql":
                names = {ix["name"] for ix in inspector.get_indexes("tickets")}
                assert "ix_tickets_search" in names, "full-text index missing after upgrade"
        finally:
            db.session.remove()
            db.engine.dispose()
    return diffs, tables


def _assert_agree(diffs: list, tables: set[str]) -> None:
    missing = {t.name for t in db.metadata.sorted_tables} - tables
    assert not missing, f"upgrade did not create {sorted(missing)}: regenerate the migrations"
    assert diffs == [], (
        "models and migrations disagree; run `flask db migrate` and read the result:\n"
        + "\n".join(map(str, diffs))
    )


def test_upgrade_from_empty_sqlite(tmp_path):
    diffs, tables = _upgrade_and_diff(f"sqlite:///{tmp_path / 'fresh.db'}")
    _assert_agree(diffs, tables)


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL pass only (TEST_DATABASE_URL)")
def test_upgrade_from_empty_postgres():
    import psycopg2
    from psycopg2 import sql

    url = sa.engine.make_url(TEST_DATABASE_URL)
    admin_dsn = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    name = f"portal_migr_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    def run(statement):
        conn = psycopg2.connect(admin_dsn, connect_timeout=5)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        diffs, tables = _upgrade_and_diff(
            url.set(database=name).render_as_string(hide_password=False)
        )
    finally:
        run(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    _assert_agree(diffs, tables)


def test_priority_rank_migration_ranks_existing_tickets(tmp_path):
    """Tickets saved before the priority_rank column existed sort by priority after upgrade."""
    app = create_app(
        portal_config.TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}"
    )
    with app.app_context(), _KeepLogging():
        try:
            flask_migrate.upgrade(revision="ee041902002f")  # the schema before the column
            with db.engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO users (id, email, name, password_hash, role, active, is_bot,"
                        " categories, created_at) VALUES (1, 'u@x.test', 'U', '', 'user', 1, 0,"
                        " '[]', '2026-01-01')"
                    )
                )
                for i, priority in enumerate(["medium", "urgent", "low", "high"], start=1):
                    conn.execute(
                        sa.text(
                            "INSERT INTO tickets (id, user_id, title, description, priority,"
                            " status, created_at, updated_at, last_activity_at, version,"
                            " needs_human) VALUES (:id, 1, 't', 'd', :p, 'open', '2026-01-01',"
                            " '2026-01-01', '2026-01-01', 1, 0)"
                        ),
                        {"id": i, "p": priority},
                    )
            flask_migrate.upgrade()
            with db.engine.connect() as conn:
                ranked = conn.execute(
                    sa.text("SELECT priority FROM tickets ORDER BY priority_rank DESC")
                ).scalars()
                assert list(ranked) == ["urgent", "high", "medium", "low"]
        finally:
            db.session.remove()
            db.engine.dispose()
