"""Access expectations for the JSON API's AI endpoints, merged into tests/test_access_matrix.py.

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

ACCESS = {
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
