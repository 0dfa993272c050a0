"""Access expectations for the staff profile page, merged into tests/test_access_matrix.py."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_TO_PROFILE = Redirect("/staff/profile/")

ACCESS = {
    ("profile.profile_edit", "GET"): Access("/staff/profile/", (LOGIN, 403, 403, 200, 200)),
    ("profile.profile_edit", "POST"): Access(
        "/staff/profile/", (LOGIN, 403, 403, _TO_PROFILE, _TO_PROFILE), {"categories": "billing"}
    ),
}
