"""Notifications: an in-app notice per person, and an email when SMTP is configured.

Who hears about what (portal.listeners calls these after the ticket service's commit):

- ticket_created            → the ticket's user ("we received your ticket")
- ticket_updated, assignee  → the new assignee (unless they assigned it to themselves)
- ticket_updated, resolved  → the ticket's user (unless they resolved it themselves)
- reply_added, public staff or AI reply → the ticket's user and its participants
- reply_added, user reply   → the assignee
- reply_added, internal note → nobody: the user never hears about notes.
- ticket_merged             → the merged ticket's requester (and followers) and the target's
                              requester ("#5 was merged into #7"; once for a bulk merge)

Email goes out from a task with a timeout. A mail failure is logged and recorded on the
notification; it never fails the ticket or reply that caused it. A transient failure (the
server unreachable or slow, a 4xx reply) leaves the email "pending" and the task is retried
by huey, SMTP_RETRY_DELAY seconds apart; a permanent one (a 5xx reply, bad credentials, an
unbuildable message) or the last retry records "failed". A "sent" email is never sent again.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from portal import events
from portal.extensions import db
from portal.models import Notification, Ticket, TicketParticipant, TicketResponse, User
from portal.models.base import MAX_ID, utcnow
from portal.models.satisfaction import RATING_LABELS, RATINGS
from portal.services import mail_threading, mail_transport
from portal.services import satisfaction_links as satisfaction
from portal.services.errors import NotFound

log = logging.getLogger(__name__)

MESSAGE_MAX = 255
SMTP_RETRY_DELAY = 60  # seconds between attempts; SMTP_RETRY_DELAY in the app config overrides it


class NotificationNotFound(NotFound):
    pass


class EmailRetry(Exception):
    """A transient mail failure with attempts left: the task raises it so huey retries."""


# ---------------------------------------------------------------------------- in-app


def _short(title: str, n: int = 80) -> str:
    """One line (a title must never add an email header), at most n characters."""
    title = " ".join(title.split())
    return title if len(title) <= n else title[: n - 1] + "…"


def notify(
    recipient: User | None, *, kind: str, message: str, ticket: Ticket | None = None
) -> Notification | None:
    """Record a notice for `recipient` and queue its email. Bots and inactive people get none."""
    if recipient is None or recipient.is_bot or not recipient.active:
        return None
    note = Notification(
        user_id=recipient.id,
        ticket_id=ticket.id if ticket is not None else None,
        kind=kind,
        message=message[:MESSAGE_MAX],
        email_status="pending" if mail_configured() else "off",
    )
    db.session.add(note)
    db.session.commit()
    if note.email_status == "pending":
        _enqueue_email(note)
    return note


def _enqueue_email(note: Notification) -> None:
    """The email goes out from a task that the notification_created listener queues; that
    listener records a queue that is down as a failed email."""
    events.dispatch(events.NOTIFICATION_CREATED, notification_id=note.id)


def email_not_queued(notification_id: int, error: Exception) -> None:
    log.error("could not queue email for notification %s: %s", notification_id, error)
    db.session.rollback()
    _record_email(notification_id, "failed", f"could not queue: {error}")


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def notifications_query(user: User, *, unread_only: bool = False) -> sa.Select:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.created_at.desc(), Notification.id.desc())


def get_notification_for(user: User, notification_id: int) -> Notification:
    if not 0 < notification_id <= MAX_ID:
        raise NotificationNotFound(notification_id)
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user.id:
        raise NotificationNotFound(notification_id)
    return note


def mark_read(user: User, notification_id: int) -> Notification:
    note = get_notification_for(user, notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount or 0


# ---------------------------------------------------------------------------- email


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _record_email(notification_id: int, status: str, error: str | None = None) -> None:
    values: dict[str, Any] = {"email_status": status, "email_error": error[:255] if error else None}
    if status == "sent":
        values["emailed_at"] = utcnow()
    db.session.execute(
        sa.update(Notification).where(Notification.id == notification_id).values(**values)
    )
    db.session.commit()


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail: the request's host, or PORTAL_URL when a task worker sends
    it (a worker has no request to take the host from)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = (
        current_app.config.get("PORTAL_URL")
        or os.environ.get("PORTAL_URL")
        or "http://127.0.0.1:5000"
    )
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def _ticket_link(note: Notification) -> str | None:
    if note.ticket_id is None:
        return None
    endpoint = "staff.ticket_detail" if note.user.is_staff else "tickets.ticket_detail"
    return external_url(endpoint, ticket_id=note.ticket_id)


def _rating_lines(note: Notification) -> list[str]:
    """One-click rating links (1-5) in the resolution notice to the requester. Each opens a
    page with that rating preselected and one "Send rating" button: opening changes nothing."""
    ticket = note.ticket
    if note.kind != "resolved" or ticket is None or ticket.user_id != note.user_id:
        return []
    if not satisfaction.can_rate(ticket, note.user):
        return []
    resolution = satisfaction.resolution_number(ticket)
    lines = [
        "",
        "How did we do? Rate this resolution from 1 (very dissatisfied) to 5 (very satisfied):",
    ]
    for rating in RATINGS:
        token = satisfaction.make_link_token(ticket, rating, resolution=resolution)
        link = external_url("rate.rating_link", token=token)
        lines.append(f"  {rating} – {RATING_LABELS[rating]}: {link}")
    return lines


def build_email(note: Notification) -> EmailMessage:
    """The notice as an e-mail, threaded per ticket (mail_threading): "[#123]" in the subject,
    a stored Message-ID, Reply-To the support address. A reply notice carries the reply."""
    msg = EmailMessage()
    subject = _short(note.message, 120)
    if note.ticket_id is not None:
        subject = f"[#{note.ticket_id}] {subject}"
    msg["Subject"] = subject
    msg["From"] = mail_threading.mail_from()
    msg["To"] = note.user.email
    lines = [f"Hello {note.user.name},", "", note.message]
    reply = _reply_for(note)
    if reply is not None:
        lines += ["", "-" * 40, reply.content, "-" * 40]
    link = _ticket_link(note)
    if link:
        lines += ["", f"Open it here: {link}"]
    lines += _rating_lines(note)
    if note.ticket_id is not None and mail_threading.replies_come_back():
        lines += ["", "You can answer by replying to this e-mail."]
    lines += ["", "You receive this because you have an account on the support portal."]
    msg.set_content("\n".join(lines))
    mail_threading.add_thread_headers(msg, note.ticket_id)
    return msg


def _reply_for(note: Notification) -> TicketResponse | None:
    """The public reply a "reply" notice is about: the ticket's newest one at its time."""
    if note.kind != "reply" or note.ticket_id is None:
        return None
    return db.session.scalar(
        sa.select(TicketResponse)
        .where(
            TicketResponse.ticket_id == note.ticket_id,
            TicketResponse.is_internal.is_(False),
            TicketResponse.created_at <= note.created_at,
        )
        .order_by(TicketResponse.created_at.desc(), TicketResponse.id.desc())
        .limit(1)
    )


def retry_delay() -> float:
    """Seconds before a transiently failed email is tried again (SMTP_RETRY_DELAY)."""
    value = current_app.config.get("SMTP_RETRY_DELAY")
    if value is None:
        value = SMTP_RETRY_DELAY
    try:
        # At least a second: with no pause huey re-runs the task at once, and in immediate
        # mode every attempt would run inside the request that queued it.
        return max(1.0, float(value))
    except (TypeError, ValueError):
        log.warning("SMTP_RETRY_DELAY=%r is not a number; using %s", value, SMTP_RETRY_DELAY)
        return float(SMTP_RETRY_DELAY)


def is_transient(exc: BaseException) -> bool:
    """Worth another try later: the server unreachable, slow or gone, or a 4xx reply.

    Permanent: a 5xx reply, refused credentials, a message that cannot be built (ValueError).
    The order matters: every SMTPException is an OSError.
    """
    if isinstance(exc, (smtplib.SMTPAuthenticationError, ssl.SSLCertVerificationError)):
        return False  # configuration, not weather: retrying cannot help
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= int(exc.smtp_code) < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= int(code) < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPException):
        return False  # e.g. AUTH not offered by the server: configuration, not weather
    return isinstance(exc, OSError)  # refused, reset, timed out, DNS


def _deliver(msg: EmailMessage) -> None:
    mail_transport.deliver(msg, current_app.config)


def send_email(notification_id: int, *, attempt: int = 1, retries_left: int = 0) -> str:
    """Send one notification's email; returns and records "sent", "failed" or "off".

    On a transient failure with `retries_left`, records "pending" with the reason and raises
    EmailRetry so the queue tries again; the task passes its attempt and remaining retries.
    """
    note = db.session.get(Notification, notification_id)
    if note is None:
        return "off"
    if note.email_status == "sent":
        return "sent"
    if not current_app.config.get("SMTP_HOST"):
        _record_email(notification_id, "off")
        return "off"
    try:
        _deliver(build_email(note))
    except (OSError, smtplib.SMTPException, ValueError) as e:
        db.session.rollback()
        reason = f"{type(e).__name__}: {e}"
        if is_transient(e) and retries_left > 0:
            log.warning(
                "email for notification %s failed (attempt %s), will retry: %s",
                notification_id,
                attempt,
                reason,
            )
            _record_email(
                notification_id,
                "pending",
                f"attempt {attempt} failed, retrying in {retry_delay():g} s: {reason}",
            )
            raise EmailRetry(reason) from e
        log.warning("email for notification %s failed: %s", notification_id, reason)
        if is_transient(e) and attempt > 1:
            reason = f"gave up after {attempt} attempts: {reason}"
        _record_email(notification_id, "failed", reason)
        return "failed"
    _record_email(notification_id, "sent")
    return "sent"


# ---------------------------------------------------------------------------- events


def on_ticket_created(ticket_id: int, **_: Any) -> None:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return
    notify(
        ticket.user,
        kind="ticket_created",
        message=f"We received your ticket #{ticket.id}: {_short(ticket.title)}",
        ticket=ticket,
    )


def on_ticket_updated(
    ticket_id: int, fields: list[str] | tuple = (), actor_id: int | None = None, **_: Any
) -> None:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        return
    if "assigned_to_id" in fields and ticket.assigned_to_id and ticket.assigned_to_id != actor_id:
        notify(
            ticket.assigned_to,
            kind="assigned",
            message=f"Ticket #{ticket.id} was assigned to you: {_short(ticket.title)}",
            ticket=ticket,
        )
    if "status" in fields and ticket.status == "resolved" and ticket.user_id != actor_id:
        notify(
            ticket.user,
            kind="resolved",
            message=f"Your ticket #{ticket.id} was resolved: {_short(ticket.title)}",
            ticket=ticket,
        )
        for person in _participants(ticket, skip={actor_id}):
            notify(
                person,
                kind="resolved",
                message=f"Ticket #{ticket.id}, which you follow, was resolved: "
                f"{_short(ticket.title)}",
                ticket=ticket,
            )


def _participants(ticket: Ticket, *, skip: set) -> list[User]:
    """People who follow the ticket besides its requester (a merged ticket's requester)."""
    people = db.session.scalars(
        sa.select(User)
        .join(TicketParticipant, TicketParticipant.user_id == User.id)
        .where(TicketParticipant.ticket_id == ticket.id)
        .order_by(TicketParticipant.id)
    )
    return [p for p in people if p.id != ticket.user_id and p.id not in skip]


def on_reply_added(
    ticket_id: int, response_id: int | None = None, internal: bool = False, **_: Any
) -> None:
    if internal:
        return  # notes are for staff; the user never hears of them
    reply = db.session.get(TicketResponse, response_id) if response_id else None
    if reply is None or reply.is_internal or reply.ticket_id != ticket_id:
        return
    ticket = reply.ticket
    if reply.response_type in ("staff", "ai") and reply.user_id != ticket.user_id:
        who = "The assistant" if reply.response_type == "ai" else "Support"
        notify(
            ticket.user,
            kind="reply",
            message=f"{who} replied to your ticket #{ticket.id}: {_short(ticket.title)}",
            ticket=ticket,
        )
        for person in _participants(ticket, skip={reply.user_id}):
            notify(
                person,
                kind="reply",
                message=f"{who} replied on ticket #{ticket.id}, which you follow: "
                f"{_short(ticket.title)}",
                ticket=ticket,
            )
    elif reply.response_type == "user" and ticket.assigned_to_id not in (None, reply.user_id):
        notify(
            ticket.assigned_to,
            kind="reply",
            message=f"{reply.user.name} replied on ticket #{ticket.id}: {_short(ticket.title)}",
            ticket=ticket,
        )


def on_ticket_merged(
    source_id: int | None,
    target_id: int,
    actor_id: int | None = None,
    *,
    tell_target: bool = True,
    source_ids: list[int] | None = None,
    **_: Any,
) -> None:
    """Both requesters hear of a merge, and so does whoever followed the merged ticket.

    A bulk merge dispatches one event per merged ticket with ``tell_target=False``, then one
    with ``source_id=None`` and all of ``source_ids``: the target's requester is told once.
    """
    target = db.session.get(Ticket, target_id)
    source = db.session.get(Ticket, source_id) if source_id is not None else None
    if target is None or (source_id is not None and source is None):
        return
    told = {actor_id}
    if source is not None:
        for person in [source.user, *_participants(source, skip=set())]:
            if person.id in told:
                continue
            told.add(person.id)
            which = (
                f"Your ticket #{source.id}"
                if person.id == source.user_id
                else f"Ticket #{source.id}, which you follow,"
            )
            notify(
                person,
                kind="merged",
                message=f"{which} was merged into #{target.id}; "
                f"the conversation continues there: {_short(target.title)}",
                ticket=target,
            )
    ids = source_ids or ([source_id] if source_id is not None else [])
    # Their own tickets merged into their own ticket are no news to the target's requester.
    ids = [i for i in ids if (t := db.session.get(Ticket, i)) and t.user_id != target.user_id]
    if tell_target and ids and target.user_id not in told:
        # Other people's tickets: their numbers are not the requester's to know.
        what = "Another request was" if len(ids) == 1 else f"{len(ids)} other requests were"
        notify(
            target.user,
            kind="merged",
            message=f"{what} merged into your ticket #{target.id}: {_short(target.title)}",
            ticket=target,
        )
