"""Access expectations for canned replies, merged into tests/test_access_matrix.py.
Roles: anonymous, user (owner), other_user, staff, admin. The matrix's database has no canned
reply, so an id names nothing: staff get a 404 there, users a 403 before any lookup."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_LIST = "/staff/canned-replies/"
_STAFF_ONLY = (LOGIN, 403, 403, 200, 200)
_NO_SUCH = (LOGIN, 403, 403, 404, 404)
_TO_LIST = Redirect(_LIST)

ACCESS = {
    ("staff.canned_reply_list", "GET"): Access(_LIST, _STAFF_ONLY),
    ("staff.canned_reply_new", "GET"): Access(_LIST + "new", _STAFF_ONLY),
    ("staff.canned_reply_new", "POST"): Access(
        _LIST + "new",
        (LOGIN, 403, 403, _TO_LIST, _TO_LIST),
        {"title": "Password reset", "body": "Hi {{ requester.first_name }}, try the link."},
    ),
    ("staff.canned_reply_edit", "GET"): Access(_LIST + "1/edit", _NO_SUCH),
    ("staff.canned_reply_edit", "POST"): Access(
        _LIST + "1/edit", _NO_SUCH, {"title": "Changed", "body": "Changed"}
    ),
    ("staff.canned_reply_delete", "GET"): Access(_LIST + "1/delete", _NO_SUCH),
    ("staff.canned_reply_delete", "POST"): Access(_LIST + "1/delete", _NO_SUCH),
    ("staff.canned_reply_preview", "POST"): Access(
        _LIST + "preview", _STAFF_ONLY, {"body": "Hi {{ requester.first_name }}"}
    ),
    ("staff.canned_reply_search", "GET"): Access(
        "/staff/tickets/{ticket}/canned-replies?q=pass", _STAFF_ONLY
    ),
}
