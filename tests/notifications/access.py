"""Access expectations for notifications, merged into tests/test_access_matrix.py.

Everyone logged in has a notification list; a notification id that is not yours is a 404
(tests/notifications/test_pages.py checks another user's real notification).
"""

from tests.test_access_matrix import LOGIN, Access, Redirect

_ALL = (LOGIN, 200, 200, 200, 200)
_MISSING = (LOGIN, 404, 404, 404, 404)

ACCESS = {
    ("notifications.notification_list", "GET"): Access("/notifications/", _ALL),
    ("notifications.notification_badge", "GET"): Access("/notifications/badge", _ALL),
    ("notifications.notification_read", "POST"): Access("/notifications/999999/read", _MISSING),
    ("notifications.notification_open", "POST"): Access("/notifications/999999/open", _MISSING),
    ("notifications.notification_read_all", "POST"): Access(
        "/notifications/read-all", (LOGIN,) + (Redirect("/notifications/"),) * 4
    ),
}
