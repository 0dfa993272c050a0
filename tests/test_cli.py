"""The CLI the README relies on: create-user and seed-demo."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Ticket, User
from portal.services import users as user_service


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
