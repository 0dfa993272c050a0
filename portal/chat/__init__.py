"""AI chat (the spec's AIConversation): a user talks with the assistant about one of their
tickets, or before opening one. URLs live under /tickets/ai/ as in the spec."""

from flask import Blueprint

from portal.security import require_login

bp = Blueprint("chat", __name__)
bp.before_request(require_login)

from portal.chat import routes  # noqa: E402,F401
