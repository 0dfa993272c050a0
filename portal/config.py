"""Configuration read from the environment. Secrets never come from the database."""

from __future__ import annotations

import os
from datetime import timedelta
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


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default


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
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true")
    # "Keep me logged in": the same flags as the session cookie, and not for a year.
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=_int_env("REMEMBER_COOKIE_DAYS", 30))
    # Sent only when SESSION_COOKIE_SECURE is on (the site is served over HTTPS).
    HSTS_MAX_AGE = _int_env("HSTS_MAX_AGE", 31_536_000)
    GEMINI_API_KEY = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY") or None
    GEMINI_BASE_URL = os.environ.get("GEMINI_BASE_URL") or None
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    # ssl (implicit TLS, the default on port 465), starttls (the default), or none.
    SMTP_SECURITY = os.environ.get("SMTP_SECURITY") or None
    SMTP_ALLOW_INSECURE_AUTH = os.environ.get("SMTP_ALLOW_INSECURE_AUTH", "").lower() in (
        "1",
        "true",
    )
    SMTP_TLS_CA_FILE = os.environ.get("SMTP_TLS_CA_FILE") or None
    # Kept as text: the notification service reads it and falls back on a bad value.
    SMTP_RETRY_DELAY = os.environ.get("SMTP_RETRY_DELAY") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "support@localhost")
    # Where replies to notifications go (the mailbox `flask mail-in` or IMAP polling reads).
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO") or None
    # Mail in: a larger message is kept on the admin's "Failed mail" page, not taken in.
    MAIL_MAX_BYTES = os.environ.get("MAIL_MAX_BYTES") or None
    # IMAP polling: imaps://user:password@host:993/INBOX (or imap:// with STARTTLS).
    MAIL_IMAP_URL = os.environ.get("MAIL_IMAP_URL") or None
    MAIL_IMAP_POLL_SECONDS = os.environ.get("MAIL_IMAP_POLL_SECONDS") or "60"
    MAIL_IMAP_ALLOW_INSECURE_AUTH = os.environ.get("MAIL_IMAP_ALLOW_INSECURE_AUTH", "").lower() in (
        "1",
        "true",
    )
    MAIL_IMAP_CA_FILE = os.environ.get("MAIL_IMAP_CA_FILE") or None
    MAIL_IMAP_TIMEOUT = os.environ.get("MAIL_IMAP_TIMEOUT") or "30"
    # The public address, for links in emails sent by task workers (no request to read it from).
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")
    HUEY_IMMEDIATE = os.environ.get("HUEY_IMMEDIATE", "").lower() in ("1", "true")
    INSTANCE_DIR = str(INSTANCE)
    TICKETS_PER_PAGE = 25  # the staff queue
    MY_TICKETS_PER_PAGE = 20  # a requester's "My tickets"
    LIST_PER_PAGE = 50  # admin users, chat conversations
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    # Behind a reverse proxy: how many proxies set X-Forwarded-For / -Proto / -Host (0 = off).
    PROXY_FIX_X_FOR = _int_env("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _int_env("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _int_env("PROXY_FIX_X_HOST", 0)
    # Rate limits (portal/ratelimit.py): "N per M minutes" strings; Redis with REDIS_URL.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "10 per 15 minutes")
    RATELIMIT_LOGIN_CLIENT = os.environ.get("RATELIMIT_LOGIN_CLIENT", "50 per 15 minutes")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "10 per hour")
    RATELIMIT_RESET = os.environ.get("RATELIMIT_RESET", "5 per 15 minutes")
    RATELIMIT_API = os.environ.get("RATELIMIT_API", "300 per minute")
    RATELIMIT_AI_CHAT = os.environ.get("RATELIMIT_AI_CHAT", "20 per minute")
    RATELIMIT_AI_PANEL = os.environ.get("RATELIMIT_AI_PANEL", "60 per minute")
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
    # Limits out of the way; the tests of rate limiting lower the one they test.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_LOGIN_ACCOUNT = RATELIMIT_LOGIN_CLIENT = RATELIMIT_REGISTER = "100000 per minute"
    RATELIMIT_RESET = RATELIMIT_API = "100000 per minute"
    RATELIMIT_AI_CHAT = RATELIMIT_AI_PANEL = "100000 per minute"
    # Real hashing, cheap parameters: the suite creates hundreds of users.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
