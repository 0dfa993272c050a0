"""Access expectations for the staff AI panel, merged into tests/test_access_matrix.py.
Roles: anonymous, user (owner), other_user, staff, admin; {ticket} is owned by the "user"
role."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_AI = "/staff/tickets/{ticket}/ai"
_STAFF_ONLY = (LOGIN, 403, 403, 200, 200)
_BACK_TO_STAFF_TICKET = Redirect("/staff/tickets/{ticket}/")

ACCESS = {
    ("staff.ai_panel", "GET"): Access(_AI, _STAFF_ONLY),
    ("staff.ai_summary", "GET"): Access(_AI + "/summary", _STAFF_ONLY),
    ("staff.ai_suggestion_regenerate", "POST"): Access(_AI + "/regenerate", _STAFF_ONLY),
    ("staff.ai_suggestion_rewrite", "POST"): Access(
        _AI + "/rewrite", _STAFF_ONLY, {"style": "shorter", "text": "Hello, try this."}
    ),
    ("staff.ai_feedback_create", "POST"): Access(
        _AI + "/feedback", _STAFF_ONLY, {"rating": "up", "comment": "Spot on"}
    ),
    ("staff.ai_triage_apply", "POST"): Access(
        _AI + "/triage",
        (LOGIN, 403, 403, _BACK_TO_STAFF_TICKET, _BACK_TO_STAFF_TICKET),
        {"priority": "urgent"},
    ),
}
