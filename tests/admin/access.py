"""Access expectations for the admin categories page and the admin AI dashboard, merged into
tests/test_access_matrix.py."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_ADMIN_ONLY = (LOGIN, 403, 403, 403)

ACCESS = {
    ("admin.categories_edit", "GET"): Access("/admin/categories", (*_ADMIN_ONLY, 200)),
    # An empty matrix (no people listed) is a valid save that changes nothing.
    ("admin.categories_edit", "POST"): Access(
        "/admin/categories", (*_ADMIN_ONLY, Redirect("/admin/categories"))
    ),
    ("admin.ai_dashboard", "GET"): Access("/admin/ai", (LOGIN, 403, 403, 403, 200)),
    ("admin.ai_thresholds_update", "POST"): Access(
        "/admin/ai/thresholds", (LOGIN, 403, 403, 403, Redirect("/admin/ai")), {"billing": "0.8"}
    ),
}
