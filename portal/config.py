"""Configuration read from the environment. Secrets never come from the database."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("PORTAL_INSTANCE_DIR", ROOT / "instance"))


def normalise_database_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and use the psycopg2 driver we ship.

    SQLAlchemy 2.1 maps a bare "postgresql://" to psycopg 3, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{INSTANCE / 'portal.db'}"
    return normalise_database_url(url)


def _cache_config(redis_url: str | None) -> dict:
    if redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "portal:",
            "CACHE_DEFAULT_TIMEOUT": 300,
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # A queue tab left open all day must keep working: tokens live as long as the session.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true")
    GEMINI_API_KEY = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or None
    GEMINI_BASE_URL = os.environ.get("GEMINI_BASE_URL") or None
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # Kept as text: the notification service reads it and falls back on a bad value.
    SMTP_RETRY_DELAY = os.environ.get("SMTP_RETRY_DELAY") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "support@localhost")
    # The public address, for links in emails sent by task workers (no request to read it from).
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")
    HUEY_IMMEDIATE = os.environ.get("HUEY_IMMEDIATE", "").lower() in ("1", "true")
    INSTANCE_DIR = str(INSTANCE)
    TICKETS_PER_PAGE = 25  # the staff queue
    MY_TICKETS_PER_PAGE = 20  # a requester's "My tickets"
    LIST_PER_PAGE = 50  # admin users, chat conversations
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Live pages: how often an open tab asks whether anything it shows changed (seconds).
    LIVE_POLL_SECONDS = float(os.environ.get("LIVE_POLL_SECONDS") or 5)

    def __init__(self) -> None:
        self.__dict__.update(_cache_config(self.REDIS_URL))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    HUEY_IMMEDIATE = True
    SERVER_NAME = None
    # Real hashing, cheap parameters: the suite creates hundreds of users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
