"""The support portal: create_app() builds the Flask app from the environment or test config."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from typing import Any

from flask import Flask, g, request
from flask_login import current_user

from portal import ratelimit, textguard
from portal.config import INSTANCE, Config
from portal.extensions import cache, csrf, db, login_manager, migrate
from portal.textguard import SafeJSONProvider, SafeResponse


class ConfigError(RuntimeError):
    pass


def create_app(config: type[Config] | Config | None = None, **overrides: Any) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(INSTANCE),
        instance_relative_config=True,
    )
    app.response_class = SafeResponse
    app.json = SafeJSONProvider(app)
    cfg = config() if isinstance(config, type) else (config or Config())
    app.config.from_object(cfg)
    for key in ("CACHE_TYPE", "CACHE_REDIS_URL", "CACHE_KEY_PREFIX", "CACHE_DEFAULT_TIMEOUT"):
        if key in cfg.__dict__:
            app.config[key] = cfg.__dict__[key]
    app.config.update(overrides)
    if app.config.get("SESSION_COOKIE_SECURE"):
        app.config["REMEMBER_COOKIE_SECURE"] = True
    os.makedirs(app.instance_path, exist_ok=True)
    _check_secret_key(app)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    db.init_app(app)
    from portal.models.ticket import include_in_autogenerate

    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        include_object=include_in_autogenerate,
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    cache.init_app(app)

    from portal import ai, listeners, models, security  # noqa: F401  (models for Alembic)
    from portal.errors import register_error_handlers

    ai.init_app(app)
    listeners.init_app(app)
    register_error_handlers(app)
    textguard.register(app)
    _register_blueprints(app)
    ratelimit.init_app(app)  # after the blueprints: limits are applied by endpoint name
    _proxy_fix(app)
    _register_template_helpers(app)
    _register_cli(app)

    @app.after_request
    def security_headers(resp):
        if app.config.get("SESSION_COOKIE_SECURE") and app.config.get("HSTS_MAX_AGE"):
            resp.headers.setdefault(
                "Strict-Transport-Security", f"max-age={app.config['HSTS_MAX_AGE']}"
            )
        user = g.get("_login_user") or g.get("api_user")  # as loaded; never a new query here
        if request.endpoint != "static" and user is not None and user.is_authenticated:
            # A private page: never kept by the browser or a shared cache (back button after
            # logout, a proxy answering another user).
            resp.headers["Cache-Control"] = "no-store"
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        return resp

    return app


def _proxy_fix(app: Flask) -> None:
    """Behind a reverse proxy, PROXY_FIX_X_FOR=1 (the number of proxies) makes the client's
    address come from X-Forwarded-For, so rate limits count clients, not the proxy."""
    x_for = app.config.get("PROXY_FIX_X_FOR") or 0
    if x_for:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app,
            x_for=x_for,
            x_proto=app.config.get("PROXY_FIX_X_PROTO") or 0,
            x_host=app.config.get("PROXY_FIX_X_HOST") or 0,
        )


def _check_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    # `flask run` serves; other flask commands (db upgrade, create-user) need no stable key.
    # wsgi.py enforces the key for gunicorn.
    serving = os.environ.get("FLASK_RUN_FROM_CLI") == "true" and "run" in sys.argv[1:]
    if app.debug or app.testing or not serving:
        # Debug, tests and one-off CLI commands need no stable key; sessions will not survive.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise ConfigError("SECRET_KEY must be set in the environment when not in debug mode.")


def _register_blueprints(app: Flask) -> None:
    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.chat import bp as chat_bp
    from portal.kb import bp as kb_bp
    from portal.live import bp as live_bp
    from portal.main import bp as main_bp
    from portal.notifications import bp as notifications_bp
    from portal.profile import bp as profile_bp
    from portal.rate import bp as rate_bp
    from portal.staff import bp as staff_bp
    from portal.tickets import bp as tickets_bp

    csrf.exempt(api_bp)  # CSRF is checked in api.auth for cookie sessions only
    for bp, prefix in (
        (main_bp, None),
        (auth_bp, "/auth"),
        (tickets_bp, "/tickets"),
        (chat_bp, "/tickets/ai"),
        (staff_bp, "/staff"),
        (profile_bp, "/staff/profile"),
        (admin_bp, "/admin"),
        (kb_bp, "/kb"),
        (notifications_bp, "/notifications"),
        (rate_bp, "/rate"),
        (live_bp, "/live"),
        (api_bp, "/api"),
    ):
        app.register_blueprint(bp, url_prefix=prefix)


def _register_cli(app: Flask) -> None:
    from portal.ai.cli import build_cli
    from portal.api.auth import register_cli as register_api_cli
    from portal.cli import register_cli
    from portal.mail_cli import register_mail_cli
    from portal.services.settings import thresholds

    register_cli(app)
    register_api_cli(app)
    register_mail_cli(app)
    app.cli.add_command(build_cli(thresholds))


def _register_template_helpers(app: Flask) -> None:
    from portal.models import LABELS
    from portal.services import kb, notifications
    from portal.templating import register as register_filters

    register_filters(app)

    @app.context_processor
    def inject() -> dict:
        return {"LABELS": LABELS, "current_user": current_user}

    @app.context_processor
    def unread_notifications() -> dict:
        def count() -> int:
            if not current_user.is_authenticated:
                return 0
            try:
                return notifications.unread_count(current_user)
            except Exception:  # a header badge must never take a page down
                db.session.rollback()  # PostgreSQL: leave no aborted transaction behind
                return 0

        return {"unread_notifications": count}

    @app.context_processor
    def article_titles() -> dict:
        def titles(sources) -> dict:
            """{article id: title} of the help-article sources the viewer may read."""
            ids = [s.get("id") for s in sources or [] if isinstance(s, dict)]
            try:
                return kb.article_titles(current_user, [i for i in ids if isinstance(i, int)])
            except Exception:  # a source label must never take a page down
                db.session.rollback()
                return {}

        return {"article_titles": titles}

    @app.before_request
    def remember_start() -> None:
        g.request_path = request.path
