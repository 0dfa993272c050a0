"""Rate limits (Flask-Limiter): one table, applied by endpoint name when the app is built.

Storage: Redis when REDIS_URL is set (shared by every web worker), memory otherwise. Limits are
strings such as "10 per 15 minutes", read from the config on each request (RATELIMIT_*; the
environment sets them, see README), so a test can lower one for itself.

Login counts failed attempts only, per account (the e-mail typed) and per client address;
while an account is over its limit even the right password is refused, with a message that
says how long to wait. Answered 429 with Retry-After, as a page, an htmx fragment or JSON
(portal/errors.py). Endpoints in the table that do not exist (yet) are skipped, so the
password-reset routes are limited as soon as they are registered.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

from portal.services.users import normalise_email


def client_address() -> str:
    """The client's address (behind a proxy: the one ProxyFix took from X-Forwarded-For)."""
    return "ip:" + (request.remote_addr or "unknown")


def account_key() -> str:
    """The account a login or reset names, by the e-mail typed (hashed: no addresses kept)."""
    email = normalise_email(request.form.get("email", ""))
    return "acct:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def user_key() -> str:
    """The person: the session's user, else the API token, else the address."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return "token:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return client_address()


limiter = Limiter(key_func=client_address, headers_enabled=False)


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _failed(response) -> bool:
    """A login that did not log in (the form again, or an error)."""
    return response.status_code != 302


def _not_5xx(response) -> bool:
    return response.status_code < 500


LOGIN_MESSAGE = "Too many failed logins. For your safety, wait {wait} and try again."
SLOW_DOWN = "Too many requests. Wait {wait} and try again."


@dataclass(frozen=True)
class Rule:
    setting: str  # the config key holding the limit string
    key: Callable[[], str]
    scope: str  # counters are shared by every endpoint with the same scope
    message: str = SLOW_DOWN
    deduct: Callable = _not_5xx
    methods: tuple[str, ...] = ("POST",)


LOGIN_ACCOUNT = Rule(
    "RATELIMIT_LOGIN_ACCOUNT", account_key, "login-account", LOGIN_MESSAGE, _failed
)
LOGIN_CLIENT = Rule(
    "RATELIMIT_LOGIN_CLIENT", client_address, "login-client", LOGIN_MESSAGE, _failed
)
REGISTER = Rule("RATELIMIT_REGISTER", client_address, "register")
# Password reset and set-password links (helper "admin"'s routes, limited here by name).
RESET_CLIENT = Rule("RATELIMIT_RESET", client_address, "reset-client")
RESET_ACCOUNT = Rule("RATELIMIT_RESET", account_key, "reset-account")
AI_CHAT = Rule("RATELIMIT_AI_CHAT", user_key, "ai-chat")
AI_PANEL = Rule("RATELIMIT_AI_PANEL", user_key, "ai-panel", methods=("GET", "POST"))

ENDPOINT_RULES: dict[str, tuple[Rule, ...]] = {
    "auth.login": (LOGIN_ACCOUNT, LOGIN_CLIENT),
    "auth.register": (REGISTER,),
    "auth.password_reset": (RESET_CLIENT, RESET_ACCOUNT),
    "auth.reset": (RESET_CLIENT, RESET_ACCOUNT),
    "auth.password_set": (RESET_CLIENT,),
    "auth.password_change": (RESET_CLIENT,),
    "chat.message_create": (AI_CHAT,),
    "api.ai_chat": (AI_CHAT,),
    "staff.ai_panel_open": (AI_PANEL,),
    "staff.ai_suggestion_regenerate": (AI_PANEL,),
    "staff.ai_suggestion_rewrite": (AI_PANEL,),
    "staff.ai_summary": (AI_PANEL,),
    "staff.ai_feedback_create": (AI_PANEL,),
    "staff.ai_triage_apply": (AI_PANEL,),
    "api.ai_generate_response": (AI_PANEL,),
    "api.ai_categorize": (AI_PANEL,),
    "api.ai_feedback_create": (AI_PANEL,),
}
API = Rule("RATELIMIT_API", user_key, "api", methods=())


def _limit(rule: Rule):
    return limiter.shared_limit(
        _setting(rule.setting),
        scope=rule.scope,
        key_func=rule.key,
        methods=list(rule.methods) or None,
        deduct_when=rule.deduct,
        error_message=rule.message,
    )


# endpoint -> its view wrapped in its limits. The limits live in the module-level limiter, by
# the view function's qualified name, the same in every app built from these blueprints: each
# is registered once per process and every app serves the same wrapper.
_wrapped: dict[str, Callable] = {}


def init_app(app: Flask) -> None:
    """Bind the limiter and apply the table to the registered endpoints and the API."""
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "portal-limits")
    limiter.init_app(app)
    for endpoint, rules in ENDPOINT_RULES.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        if endpoint not in _wrapped:
            for rule in rules:
                view = _limit(rule)(view)
            _wrapped[endpoint] = view
        app.view_functions[endpoint] = _wrapped[endpoint]
    if "api" in app.blueprints and "api" not in _wrapped:
        _limit(API)(app.blueprints["api"])
        _wrapped["api"] = app.blueprints["api"]


def retry_after() -> int:
    """Seconds until the limit that was just hit lets the next request through."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds" if seconds != 1 else "a second"
    return f"{math.ceil(seconds / 60)} minutes"
