"""The notification email task: thin, it calls the service inside an app context.

Transient mail failures are retried by huey itself: the service raises EmailRetry while
`task.retries` (counted down by huey after each failure) is above zero, and records "failed"
on the last attempt. The delay between attempts comes from SMTP_RETRY_DELAY.
"""

from __future__ import annotations

import logging

from portal.tasks import app_context, huey

log = logging.getLogger(__name__)

EMAIL_RETRIES = 3  # after the first attempt: four in all


# retry_delay=60 is only the default: each run sets it from the service's retry_delay().
@huey.task(retries=EMAIL_RETRIES, retry_delay=60, context=True)
def send_notification_email(notification_id: int, task=None) -> str:
    from portal.services import notifications

    retries_left = task.retries if task is not None else 0
    attempt = max(1, EMAIL_RETRIES - retries_left + 1)
    with app_context():
        if task is not None:
            # Read per run, so the app config (not only this decorator) sets the pause.
            task.retry_delay = notifications.retry_delay()
        try:
            return notifications.send_email(
                notification_id, attempt=attempt, retries_left=retries_left
            )
        except notifications.EmailRetry:
            raise  # the one exception huey should retry
        except Exception:
            # Anything else (a bug, the database refusing to record "sent") must not make huey
            # run the task again: the mail may already have gone out.
            log.exception("email task for notification %s failed", notification_id)
            return "error"
