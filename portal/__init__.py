"""The support portal: create_app() builds the Flask app from the environment or test config."""

from __future__ import annotations

import logging
import os
import secrets
import sys
from typing import Any

from flask import Flask, g, request
from flask_login import current_user

from portal.config import INSTANCE, Config
from portal.extensions import cache, csrf, db, login_manager, migrate


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
    cfg = config() if isinstance(config, type) else (config or Config())
    app.config.from_object(cfg)
    for key in ("CACHE_TYPE", "CACHE_REDIS_URL", "CACHE_KEY_PREFIX", "CACHE_DEFAULT_TIMEOUT"):
        if key in cfg.__dict__:
            app.config[key] = cfg.__dict__[key]
    app.config.update(overrides)
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

    from portal import models, security  # noqa: F401  (models for Alembic, hooks for login)
    from portal.errors import register_error_handlers

    register_error_handlers(app)
    _register_blueprints(app)
    _register_template_helpers(app)

    from portal.cli import register_cli

    register_cli(app)
    _init_optional(app)

    @app.after_request
    def security_headers(resp):
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
    from portal.auth import bp as auth_bp
    from portal.main import bp as main_bp
    from portal.staff import bp as staff_bp
    from portal.tickets import bp as tickets_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(tickets_bp, url_prefix="/tickets")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")


def _init_optional(app: Flask) -> None:
    """Areas built by later issues register themselves here when present."""
    import importlib

    for name in (
        "portal.ai",
        "portal.kb",
        "portal.api",
        "portal.notifications_bp",
        "portal.notifications",
        "portal.profile",
        "portal.services.ai_workflow",
        "portal.chat",
    ):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        init = getattr(module, "init_app", None)
        if init:
            init(app)


def _register_template_helpers(app: Flask) -> None:
    from portal.models import LABELS
    from portal.templating import register as register_filters

    register_filters(app)

    @app.context_processor
    def inject() -> dict:
        return {"LABELS": LABELS, "current_user": current_user}

    @app.before_request
    def remember_start() -> None:
        g.request_path = request.path
