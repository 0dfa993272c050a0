"""Triage through the real Redis-backed huey queue and a real worker process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal import config as portal_config
from portal import create_app, tasks
from portal.ai.providers import local
from portal.extensions import db
from portal.models import AISuggestion
from portal.services.settings import update_settings
from tests.factories import make_ticket, make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parents[2]

# The README's worker command; HUEY_NAME gives it a queue of its own, so parallel test runs
# never share work.
WORKER = [sys.executable, "-m", "flask", "worker", "--workers", "1"]


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis server at " + REDIS_URL + " (CI=true: Redis is required)")
        pytest.skip("no Redis server at " + REDIS_URL)


@pytest.mark.redis
def test_ticket_is_triaged_by_a_real_worker(tmp_path, trained_model_file, monkeypatch):
    _redis_or_skip()
    from huey import RedisHuey

    name = f"portal-test-{uuid.uuid4().hex[:12]}"
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copy(trained_model_file, instance / local.MODEL_FILE)
    db_url = f"sqlite:///{tmp_path / 'portal.db'}"
    app = create_app(
        portal_config.TestConfig, SQLALCHEMY_DATABASE_URI=db_url, AI_MODEL_DIR=str(instance)
    )
    producer = RedisHuey(name, url=REDIS_URL)
    # The web side enqueues into Redis instead of running the task inline.
    monkeypatch.setattr(
        tasks, "triage_ticket", producer.task(name="ai.triage_ticket")(tasks.triage_ticket.func)
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HUEY_IMMEDIATE", "TEST_DATABASE_URL")}
    env.update(
        REDIS_URL=REDIS_URL,
        HUEY_NAME=name,
        DATABASE_URL=db_url,
        PORTAL_INSTANCE_DIR=str(instance),
        PYTHONPATH=str(ROOT),
    )
    worker = None
    log_path = tmp_path / "worker.log"
    log_file = open(log_path, "wb")  # noqa: SIM115  (closed in finally)
    try:
        with app.app_context():
            db.create_all()
            update_settings({"AI_CONFIDENCE_THRESHOLD": 0.05, "TICKET_AI_RESPONSE": False})
            user = make_user("user")
            ticket = make_ticket(
                user,
                title="Charged twice for tuition",
                description="Two identical card charges for my course fee. Please refund one.",
            )
            ticket_id = ticket.id
            assert ticket.category is None  # saved first; nothing ran inline
            assert len(producer) == 1  # one message waiting in Redis
            worker = subprocess.Popen(  # noqa: S603
                WORKER,
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 60
            category = None
            while time.monotonic() < deadline and category is None:
                time.sleep(0.3)
                db.session.rollback()
                category = db.session.scalar(
                    sa.select(sa.text("category"))
                    .select_from(sa.text("tickets"))
                    .where(sa.text("id = :id")),
                    {"id": ticket_id},
                )
                assert worker.poll() is None, log_path.read_text()[-2000:]
            assert category == "billing", log_path.read_text()[-2000:]
            suggestion = db.session.scalar(
                sa.select(AISuggestion).where(AISuggestion.ticket_id == ticket_id)
            )
            assert suggestion.status == "applied" and suggestion.provider == "local"
            assert len(producer) == 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        log_file.close()
        producer.storage.flush_all()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
