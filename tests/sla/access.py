"""Access expectations for the admin SLA targets page, merged into tests/test_access_matrix.py."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_ADMIN_ONLY = (LOGIN, 403, 403, 403)

ACCESS = {
    ("admin.sla_edit", "GET"): Access("/admin/sla", (*_ADMIN_ONLY, 200)),
    ("admin.sla_edit", "POST"): Access(
        "/admin/sla",
        (*_ADMIN_ONLY, Redirect("/admin/sla")),
        {"fr-urgent-default": "1", "res-urgent-default": "8"},
    ),
}
