"""The notification email task: thin, it calls the service inside an app context."""

from __future__ import annotations

from portal.tasks import app_context, huey


@huey.task()
def send_notification_email(notification_id: int) -> str:
    from portal.services import notifications

    with app_context():
        return notifications.send_email(notification_id)
