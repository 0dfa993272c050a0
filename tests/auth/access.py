"""Access expectations for password reset, set-password links and password change, merged
into tests/test_access_matrix.py."""

from tests.test_access_matrix import LOGIN, Access

_EVERYONE_200 = (200,) * 5

ACCESS = {
    ("auth.password_reset", "GET"): Access("/auth/reset", _EVERYONE_200),
    # The same answer for everyone, and for addresses with or without an account.
    ("auth.password_reset", "POST"): Access(
        "/auth/reset", _EVERYONE_200, {"email": "nobody@example.test"}
    ),
    ("auth.password_set", "GET"): Access("/auth/password/reset/not-a-token", (400,) * 5),
    ("auth.password_set", "POST"): Access(
        "/auth/password/reset/not-a-token",
        (400,) * 5,
        {"password": "long-enough-pw", "confirm": "long-enough-pw"},
    ),
    ("auth.password_change", "GET"): Access("/auth/password", (LOGIN, 200, 200, 200, 200)),
    # A wrong current password changes nothing.
    ("auth.password_change", "POST"): Access(
        "/auth/password",
        (LOGIN, 422, 422, 422, 422),
        {"current": "wrong-password", "password": "long-enough-pw", "confirm": "long-enough-pw"},
    ),
}
