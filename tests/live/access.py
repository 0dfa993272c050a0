"""Access expectations for the live poll, merged into tests/test_access_matrix.py.

The poll answers per scope: the owner's ticket scope here (another user: 404). The queue and
staff-ticket scopes refuse requesters (tests/live/test_poll_routes.py checks each).
"""

from tests.test_access_matrix import LOGIN, Access

ACCESS = {
    ("live.poll", "GET"): Access("/live/?s=ticket-{ticket}:0", (LOGIN, 200, 404, 200, 200)),
    ("live.presence_leave", "POST"): Access(
        "/live/tickets/{ticket}/leave", (LOGIN, 404, 404, 204, 204)
    ),
}
