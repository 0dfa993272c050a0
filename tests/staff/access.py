"""Access expectations for the staff AI panel and merging, merged into tests/test_access_matrix.py.
Roles: anonymous, user (owner), other_user, staff, admin; {ticket} is owned by the "user"
role."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_AI = "/staff/tickets/{ticket}/ai"
_STAFF_ONLY = (LOGIN, 403, 403, 200, 200)
_BACK_TO_STAFF_TICKET = Redirect("/staff/tickets/{ticket}/")

ACCESS = {
    ("staff.ai_panel", "GET"): Access(_AI, _STAFF_ONLY),
    ("staff.ai_panel_open", "POST"): Access(_AI, _STAFF_ONLY),
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

_MERGE = "/staff/tickets/{ticket}/merge"
_STAFF_422 = (LOGIN, 403, 403, 422, 422)

ACCESS.update(
    {
        ("staff.merge_confirm", "GET"): Access(_MERGE, _STAFF_ONLY),
        # Into a ticket that does not exist: 422, and nothing changes.
        ("staff.merge_create", "POST"): Access(_MERGE, _STAFF_422, {"into": "999999"}),
        # No surge is going on in the matrix's database: the group is not found.
        ("staff.surge_merge_confirm", "GET"): Access(
            "/staff/surges/{ticket}/merge", (LOGIN, 403, 403, 404, 404)
        ),
        # Nothing chosen and no surge to show again: back to the queue with the message.
        ("staff.surge_merge_create", "POST"): Access(
            "/staff/surges/merge", (LOGIN, 403, 403, Redirect("/staff/"), Redirect("/staff/"))
        ),
    }
)
