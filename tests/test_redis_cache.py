"""Flask-Caching on the real Redis server: what one worker saves, the next one sees at once;
and a cache that is down never costs a ticket or a setting."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from portal import config as portal_config
from portal import create_app
from portal.extensions import cache, db
from portal.services import queue as queue_service
from portal.services import settings as settings_service
from tests.factories import make_ticket, make_user

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


pytestmark = pytest.mark.redis


def _app(db_url: str, redis_url: str, prefix: str):
    return create_app(
        portal_config.TestConfig,
        SQLALCHEMY_DATABASE_URI=db_url,
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
    )


@pytest.fixture
def two_workers(tmp_path):
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is not running at 127.0.0.1:6379 (CI=true: Redis is required)")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    prefix = f"portal-test-{uuid.uuid4().hex[:8]}:"
    first, second = _app(url, REDIS_URL, prefix), _app(url, REDIS_URL, prefix)
    with first.app_context():
        db.create_all()
    yield first, second
    redis.Redis.from_url(REDIS_URL).delete(
        *(redis.Redis.from_url(REDIS_URL).keys(prefix + "*") or [b"none"])
    )
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_a_saved_setting_reaches_every_worker_at_once(two_workers):
    first, second = two_workers
    with second.app_context():
        assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.7  # now cached
        assert cache.cache.__class__.__name__ == "RedisCache"
    with first.app_context():
        settings_service.update_settings({"AI_CONFIDENCE_THRESHOLD": 0.85})
    with second.app_context():
        assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.85


def test_queue_counts_follow_a_change_made_by_another_worker(two_workers):
    first, second = two_workers
    with first.app_context():
        staff = make_user("staff")
        ticket = make_ticket(make_user())
    with second.app_context():
        assert queue_service.status_counts()["open"] == 1  # cached in Redis
    with first.app_context():
        from portal.services import tickets as ticket_service

        ticket_service.resolve_ticket(db.session.merge(ticket), db.session.merge(staff))
    with second.app_context():
        counts = queue_service.status_counts()
        assert (counts["open"], counts["resolved"]) == (0, 1)


def test_a_dead_cache_costs_nothing(tmp_path):
    """Redis unreachable (a closed port): tickets are still saved and settings still read."""
    app = _app(f"sqlite:///{tmp_path / 'down.db'}", "redis://127.0.0.1:1/0", "down:")
    with app.app_context():
        db.create_all()
        user = make_user()
        ticket = make_ticket(user, title="Saved despite the cache")
        assert ticket.id is not None
        assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.7
        settings_service.update_settings({"AI_CONFIDENCE_THRESHOLD": 0.9})
        assert settings_service.get_setting("AI_CONFIDENCE_THRESHOLD") == 0.9
        assert queue_service.safe_status_counts()["open"] == 1
        db.engine.dispose()
