"""Access expectations for the JSON API, merged into tests/test_access_matrix.py.

The matrix signs in through the login form (a cookie session) and posts form data without a
CSRF header, so every signed-in POST to /api stops at the API's CSRF check (400) before the
view runs; anonymous callers get 401 JSON (the API never redirects to the login page). GETs
show the roles: staff-only endpoints answer 403 to users. Roles on writes, ownership (404),
validation (422) and "AI unavailable" (503) are tested with bearer tokens and JSON in
tests/api/test_ai_api.py.
"""

from tests.test_access_matrix import Access

_API_WRITE = (401, 400, 400, 400, 400)
_STAFF_ONLY = (401, 403, 403, 200, 200)
_SIGNED_IN = (401, 200, 200, 200, 200)

_T = "/api/tickets/{ticket}/"
_OWNER_GET = (401, 200, 404, 200, 200)
_NO_SUCH_RESPONSE = "/api/responses/999999/"

ACCESS = {
    # Tickets and responses (the roles on writes: tests/api/test_api.py).
    ("api.ticket_list", "GET"): Access("/api/tickets/", _SIGNED_IN),
    ("api.ticket_create", "POST"): Access("/api/tickets/", _API_WRITE),
    ("api.ticket_detail", "GET"): Access(_T, _OWNER_GET),
    ("api.ticket_update", "PUT"): Access(_T, _API_WRITE, {"priority": "high"}),
    ("api.ticket_update", "PATCH"): Access(_T, _API_WRITE, {"priority": "high"}),
    ("api.ticket_delete", "DELETE"): Access(_T, _API_WRITE),
    ("api.ticket_assign", "POST"): Access(_T + "assign/", _API_WRITE),
    ("api.ticket_close", "POST"): Access(_T + "close/", _API_WRITE),
    ("api.ticket_reopen", "POST"): Access(_T + "reopen/", _API_WRITE),
    ("api.ticket_merge", "POST"): Access(_T + "merge/", _API_WRITE, {"into": "1"}),
    ("api.ticket_responses", "GET"): Access(_T + "responses/", _OWNER_GET),
    ("api.response_list", "GET"): Access("/api/responses/", _SIGNED_IN),
    ("api.response_create", "POST"): Access("/api/responses/", _API_WRITE),
    ("api.response_detail", "GET"): Access(_NO_SUCH_RESPONSE, (401, 404, 404, 404, 404)),
    ("api.response_update", "PUT"): Access(_NO_SUCH_RESPONSE, _API_WRITE),
    ("api.response_update", "PATCH"): Access(_NO_SUCH_RESPONSE, _API_WRITE),
    ("api.response_delete", "DELETE"): Access(_NO_SUCH_RESPONSE, _API_WRITE),
    # AI (tests/api/test_ai_api.py).
    ("api.ai_generate_response", "POST"): Access("/api/ai/generate-response/", _API_WRITE),
    ("api.ai_categorize", "POST"): Access("/api/ai/categorize/", _API_WRITE),
    ("api.ai_suggestion_list", "GET"): Access("/api/ai/suggestions/?ticket={ticket}", _STAFF_ONLY),
    ("api.ai_feedback_create", "POST"): Access("/api/ai/feedback/", _API_WRITE),
    ("api.ai_conversation_list", "GET"): Access("/api/ai/conversations/", _SIGNED_IN),
    ("api.ai_conversation_create", "POST"): Access("/api/ai/conversations/", _API_WRITE),
    ("api.ai_conversation_detail", "GET"): Access(
        "/api/ai/conversations/nobody-owns-this/", (401, 404, 404, 404, 404)
    ),
    ("api.ai_chat", "POST"): Access(
        "/api/ai/chat/",
        _API_WRITE,
        {"conversation_id": "nobody-owns-this", "message": "Hi"},
    ),
}
