"""Access expectations for the knowledge base, merged into tests/test_access_matrix.py.

Roles: anonymous, user, other_user, staff, admin. Article ids that do not exist show the
guards' order: staff-only checks come first (403), then the lookup (404).
"""

from tests.test_access_matrix import LOGIN, Access, Redirect

_MISSING = "/kb/999999"
_STAFF_ONLY_MISSING = (LOGIN, 403, 403, 404, 404)

ACCESS = {
    ("kb.article_list", "GET"): Access("/kb/", (LOGIN, 200, 200, 200, 200)),
    ("kb.article_suggest", "GET"): Access(
        "/kb/suggest?title=password", (LOGIN,) + (Redirect("/kb/"),) * 4
    ),
    ("kb.article_detail", "GET"): Access(_MISSING + "/", (LOGIN, 404, 404, 404, 404)),
    ("kb.article_solved", "POST"): Access(_MISSING + "/solved", (LOGIN, 404, 404, 404, 404)),
    ("kb.article_viewed", "POST"): Access(_MISSING + "/viewed", (LOGIN, 404, 404, 404, 404)),
    ("kb.article_create", "GET"): Access("/kb/new", (LOGIN, 403, 403, 200, 200)),
    ("kb.article_create", "POST"): Access(
        "/kb/new",
        (LOGIN, 403, 403, Redirect("/kb/"), Redirect("/kb/")),
        {"title": "How to reset", "body": "Steps.", "published": "y"},
    ),
    ("kb.article_edit", "GET"): Access(_MISSING + "/edit", _STAFF_ONLY_MISSING),
    ("kb.article_edit", "POST"): Access(
        _MISSING + "/edit", _STAFF_ONLY_MISSING, {"title": "New title", "body": "B"}
    ),
    ("kb.article_unpublish", "POST"): Access(_MISSING + "/unpublish", _STAFF_ONLY_MISSING),
    ("kb.article_publish", "POST"): Access(_MISSING + "/publish", _STAFF_ONLY_MISSING),
}
