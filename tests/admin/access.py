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

# Admins create and invite users (tests/admin/test_user_create.py has the flows).
ACCESS |= {
    ("admin.user_create", "GET"): Access("/admin/users/new", (*_ADMIN_ONLY, 200)),
    ("admin.user_create", "POST"): Access(
        "/admin/users/new",
        (*_ADMIN_ONLY, Redirect("/admin/users")),
        {
            "name": "Made by admin",
            "email": "made-by-admin@example.test",
            "role": "user",
            "setup": "password",
            "password": "long-enough-pw",
        },
    ),
    # {user} has set a password already: nothing to resend, back to the list with a message.
    ("admin.user_invite", "POST"): Access(
        "/admin/users/{user}/invite", (*_ADMIN_ONLY, Redirect("/admin/users"))
    ),
}
