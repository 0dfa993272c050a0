"""The CLI the README relies on: create-user and seed-demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from portal.extensions import db
from portal.models import Ticket, User
from portal.services import users as user_service

ROOT = Path(__file__).resolve().parent.parent


def test_create_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "Boss@Example.com", "--role", "admin", "--password", "long-enough"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    assert user_service.authenticate("boss@example.com", "long-enough").role == "admin"


def test_create_user_refuses_duplicates_and_bad_input(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["create-user", "a@example.com", "--password", "long-enough"])
    for args, message in (
        (["create-user", "a@example.com", "--password", "long-enough"], "already exists"),
        (["create-user", "b@example.com", "--password", "short"], "at least 8"),
        (["create-user", "c@example.com", "--role", "root", "--password", "long-enough"], "root"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_seed_demo_prints_logins_and_is_idempotent_with_if_empty(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--tickets", "12"])
    assert result.exit_code == 0, result.output
    assert "@" in result.output and "password" in result.output.lower()
    tickets = db.session.scalar(db.select(db.func.count()).select_from(Ticket))
    assert tickets >= 12
    roles = set(db.session.scalars(db.select(User.role)))
    assert {"user", "staff", "admin"} <= roles
    again = runner.invoke(args=["seed-demo", "--tickets", "12", "--if-empty"])
    assert again.exit_code == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == tickets


def _bare_env(tmp_path) -> dict:
    """What a new user has in a fresh shell: no FLASK_APP, no SECRET_KEY, no DATABASE_URL."""
    drop = {"FLASK_APP", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "HUEY_IMMEDIATE", "FLASK_DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PORTAL_INSTANCE_DIR"] = str(tmp_path)
    return env


def test_flask_commands_work_from_the_repo_root_with_no_environment(tmp_path):
    flask = [sys.executable, "-m", "flask"]
    env = _bare_env(tmp_path)
    upgrade = subprocess.run(
        [*flask, "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert upgrade.returncode == 0, upgrade.stderr
    made = subprocess.run(
        [
            *flask,
            "create-user",
            "ops@example.test",
            "--role",
            "admin",
            "--password",
            "long-enough-pw",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert "Created admin ops@example.test" in made.stdout
    assert (tmp_path / "portal.db").exists()


def test_gunicorn_entry_point_refuses_to_serve_without_secret_key(tmp_path):
    env = _bare_env(tmp_path)
    env.pop("FLASK_RUN_FROM_CLI", None)
    proc = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "SECRET_KEY must be set" in proc.stderr
