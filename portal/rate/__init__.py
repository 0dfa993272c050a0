"""The one-click rating link from the resolution notice: /rate/<signed token>.

No login: the signed token is the requester's key to rate that one resolution (as in any
helpdesk's satisfaction mail). Opening the link changes nothing; the page's one button posts.
"""

from flask import Blueprint

bp = Blueprint("rate", __name__)

from portal.rate import routes  # noqa: E402,F401
