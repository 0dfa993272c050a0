"""flask create-user, flask seed-demo, flask worker, flask sla-sweep."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app
from huey.consumer import Consumer

from portal import tasks
from portal.models import ROLES
from portal.services import demo, users
from portal.services.errors import TicketError


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), default="user", show_default=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default=None, help="Display name (defaults to the email's local part).")
    def create_user(email: str, role: str, password: str, name: str | None) -> None:
        """Create a user account."""
        try:
            user = users.register_user(email=email, name=name or "", password=password, role=role)
        except TicketError as e:
            raise click.ClickException(e.message) from None
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):
            raise click.ClickException(
                "The database has no tables yet: run `flask db upgrade` first."
            ) from None
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")

    @app.cli.command("seed-demo")
    @click.option("--tickets", default=300, show_default=True, help="How many tickets to create.")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
    @click.option("--seed", default=7, show_default=True, help="Random seed, for repeatable data.")
    def seed_demo(tickets: int, if_empty: bool, seed: int) -> None:
        """Create demo accounts and a few hundred varied tickets with conversations."""
        if if_empty and demo.database_has_users():
            click.echo("Database already has users; skipping demo data.")
            return
        with click.progressbar(length=tickets, label="Creating demo tickets") as bar:
            demo.seed_demo_data(tickets=tickets, if_empty=False, seed=seed, progress=bar.update)
        click.echo(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD}):")
        for email, name, role in demo.ACCOUNTS:
            click.echo(f"  {role:<6} {email:<18} {name}")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True)
    def worker(workers: int) -> None:
        """Run a task worker (huey consumer) for AI work and notifications."""
        tasks.bind_worker_app(current_app._get_current_object())
        click.echo(f"Task worker on {type(tasks.huey).__name__} with {workers} threads.")
        # An idle consumer backs off between polls; capping it at one second keeps "triaged
        # within moments of being saved" true on the SQLite queue (Redis blocks instead).
        Consumer(
            tasks.huey,
            workers=workers,
            worker_type="thread",
            initial_delay=0.1,
            backoff=1.15,
            max_delay=1.0,
        ).run()

    @app.cli.command("sla-sweep")
    def sla_sweep() -> None:
        """Run the SLA sweep once: warn, escalate (once each) and auto-close resolved tickets."""
        from portal.services import sla

        result = sla.sweep()
        click.echo(
            f"SLA sweep: {len(result.warned)} warned, {len(result.escalated)} escalated, "
            f"{len(result.closed)} auto-closed."
        )
