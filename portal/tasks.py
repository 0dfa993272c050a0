"""The task queue (huey) and the thin task functions that run off the request path.

Each task is an app context plus one service call. Embedded default: a SQLite-backed huey
under instance/. With REDIS_URL: a Redis-backed huey, so workers can run on any number of
machines. HUEY_IMMEDIATE=true (the tests) runs every task inline.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from portal.ai import trainer
from portal.config import INSTANCE
from portal.services import (
    accounts,
    ai_triage,
    first_answer,
    mail_imap,
    notifications,
    sla_sweep,
)

log = logging.getLogger(__name__)

EMAIL_RETRIES = 3  # after the first attempt: four in all


def _make_huey():
    name = os.environ.get("HUEY_NAME") or "portal"
    if os.environ.get("HUEY_IMMEDIATE", "").lower() in ("1", "true"):
        return MemoryHuey(name, immediate=True)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url)
    Path(INSTANCE).mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(Path(INSTANCE) / "tasks.db"))


huey = _make_huey()
_worker_app: Flask | None = None


def bind_worker_app(app: Flask) -> None:
    """The app a worker process runs its tasks in (`flask worker` binds the CLI's app)."""
    global _worker_app
    _worker_app = app


@contextmanager
def app_context() -> Iterator[Flask]:
    """The caller's app (immediate mode, CLI), else the app the worker bound."""
    if has_app_context():
        yield current_app
        return
    if _worker_app is None:
        raise RuntimeError(
            "No app for this task: run workers with `flask worker`, which binds one."
        )
    with _worker_app.app_context():
        yield _worker_app


@huey.task(name="ai.triage_ticket")
def triage_ticket(ticket_id: int) -> str:
    with app_context():
        return ai_triage.run_triage(ticket_id)


@huey.task(name="ai.retrain")
def retrain_model() -> None:
    with app_context():
        try:
            trainer.train_and_save(measure=False)
        except Exception:
            log.exception("AI retrain failed")


@huey.task(name="ai.first_answer")
def first_answer_task(ticket_id: int) -> str:
    with app_context():
        return first_answer.generate_first_answer(ticket_id)


# retry_delay=60 is only the default: each run sets it from the service's retry_delay().
@huey.task(retries=EMAIL_RETRIES, retry_delay=60, context=True)
def send_notification_email(notification_id: int, task=None) -> str:
    """Transient mail failures are retried by huey itself: the service raises EmailRetry
    while `task.retries` (counted down by huey after each failure) is above zero, and
    records "failed" on the last attempt."""
    retries_left = task.retries if task is not None else 0
    attempt = max(1, EMAIL_RETRIES - retries_left + 1)
    with app_context():
        if task is not None:
            # Read per run, so the app config (not only this decorator) sets the pause.
            task.retry_delay = notifications.retry_delay()
        try:
            return notifications.send_email(
                notification_id, attempt=attempt, retries_left=retries_left
            )
        except notifications.EmailRetry:
            raise  # the one exception huey should retry
        except Exception:
            # Anything else (a bug, the database refusing to record "sent") must not make huey
            # run the task again: the mail may already have gone out.
            log.exception("email task for notification %s failed", notification_id)
            return "error"


@huey.periodic_task(crontab(minute="*"), name="sla.sweep")
def sla_sweep_task() -> None:
    """Every minute: SLA warnings and escalations (once each), and auto-close."""
    if _worker_app is None and not has_app_context():
        return  # a consumer started without `flask worker` has no app to run in
    with app_context():
        try:
            result = sla_sweep.sweep()
        except Exception:
            log.exception("SLA sweep failed")
            return
        if result.warned or result.escalated or result.closed:
            log.info(
                "SLA sweep: %d warned, %d escalated, %d closed",
                len(result.warned),
                len(result.escalated),
                len(result.closed),
            )


def imap_poll_due(now) -> bool:
    """The scheduler asks each minute: poll every MAIL_IMAP_POLL_SECONDS (rounded up to whole
    minutes, huey's resolution; at least one), only when MAIL_IMAP_URL is set."""
    if not os.environ.get("MAIL_IMAP_URL"):
        return False
    try:
        seconds = float(os.environ.get("MAIL_IMAP_POLL_SECONDS") or 60)
    except ValueError:
        seconds = 60.0
    every = max(1, int(-(-seconds // 60)))
    return (now.hour * 60 + now.minute) % every == 0


@huey.periodic_task(imap_poll_due, name="mail.imap_poll")
def poll_mailbox() -> str:
    """Read new mail from MAIL_IMAP_URL into tickets; an unreachable server waits for the next
    run (messages stay unseen on it)."""
    with app_context():
        if not current_app.config.get("MAIL_IMAP_URL"):
            return "off"
        try:
            return str(mail_imap.poll())
        except Exception as e:
            log.error("IMAP poll failed: %s", e)
            return f"error: {e}"


@huey.task(name="accounts.password_mail")
def send_password_mail(user_id: int, purpose: str) -> str:
    """An invitation or reset link, made and mailed by the worker (the token never sits in
    the queue). Off the request path, so a reset answers alike for known and unknown addresses."""
    with app_context():
        try:
            return accounts.send_password_mail(user_id, purpose)
        except Exception:
            log.exception("password mail for user %s failed", user_id)
            return "error"


# Messages a worker of the previous release queued (or scheduled, like email retries) name
# their task by its old module: these identifiers still run the same work after an upgrade.
_PREVIOUS_IDENTIFIERS = (
    ("portal.ai.tasks", "ai.triage_ticket", triage_ticket, {}),
    ("portal.ai.tasks", "ai.retrain", retrain_model, {}),
    ("portal.services.ai_workflow", "first_answer_task", first_answer_task, {}),
    (
        "portal.notifications.tasks",
        "send_notification_email",
        send_notification_email,
        {"retries": EMAIL_RETRIES, "retry_delay": 60, "context": True},
    ),
)


def _register_previous_identifiers() -> None:
    for module, name, task, settings in _PREVIOUS_IDENTIFIERS:

        def run(*args, _task=task, **kwargs):
            return _task.call_local(*args, **kwargs)

        run.__module__ = module
        huey.task(name=name, **settings)(run)


_register_previous_identifiers()
