"""Accounts an admin creates or invites, password resets and changes.

Links come from services.password_tokens; ending sessions from services.sessions. Mail goes
out from a task (portal.tasks.send_password_mail), so a reset answers as fast for an unknown
address as for a known one.
"""

from __future__ import annotations

import logging
import secrets
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.services import notifications, password_tokens, sessions, users
from portal.services.errors import TicketError
from portal.services.password_tokens import INVITE, RESET

log = logging.getLogger(__name__)

NAME_MAX = 100


def _clean(text: str | None) -> str:
    text = (text or "").replace("\x00", "").strip()
    # A lone surrogate cannot be stored or shown: the field is refused instead.
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise TicketError("Remove the unusual characters.", field="name")
    return text


def email_taken(email: str) -> bool:
    """Case-insensitive: Ada@X.test and ada@x.test are one account."""
    email = users.normalise_email(email)
    stmt = sa.select(User.id).where(sa.func.lower(User.email) == email).limit(1)
    return db.session.scalar(stmt) is not None


def create_user(
    actor: User, *, name: str, email: str, role: str, password: str | None = None
) -> User:
    """An account made by an admin: with the password they chose, or (password None) invited
    by a set-password link. Raises TicketError naming the field."""
    name = _clean(name)
    if not name:
        raise TicketError("Enter a name.", field="name")
    if len(name) > NAME_MAX:
        raise TicketError(f"Keep the name under {NAME_MAX} characters.", field="name")
    email = users.normalise_email(email)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in email):
        raise TicketError("Enter a valid email address.", field="email")
    if email_taken(email):
        raise TicketError("An account with this email already exists.", field="email")
    invited = password is None
    if not invited and (problem := users.password_problem(password, email=email, name=name)):
        raise TicketError(problem, field="password")
    # An invited account gets a random password nobody knows until the link sets one.
    user = users.register_user(
        email=email,
        name=name,
        password=secrets.token_urlsafe(32) if invited else password,
        role=role,
    )
    if invited:
        user.invited_at = utcnow()
        sessions.new_stamp(user)
        db.session.commit()
    log.info(
        "admin %s %s %s (%s, role %s)",
        actor.email,
        "invited" if invited else "created",
        user.email,
        user.id,
        user.role,
    )
    return user


def renew_invitation(actor: User, user: User) -> User:
    """A new invitation link; the earlier one stops working. Only for a pending invitation."""
    if user.invited_at is None or user.is_bot:
        raise TicketError("This person has already set a password.", field="invite")
    if not user.is_active:
        raise TicketError("Reactivate the account before inviting again.", field="invite")
    user.invited_at = utcnow()
    sessions.new_stamp(user)
    db.session.commit()
    log.info("admin %s re-invited %s (%s)", actor.email, user.email, user.id)
    return user


def account_for_reset(email: str) -> User | None:
    """The account a reset request names, if one may reset (active, not the AI's bot)."""
    if not isinstance(email, str) or len(email) > 254 or not email.isprintable():
        return None
    try:
        email.encode()
    except UnicodeError:
        return None
    user = users.find_by_email(email)
    if user is None or not user.is_active:
        return None
    return user


def set_password_with_token(token: str, purpose: str, password: str) -> User:
    """Set the password a valid link allows; the link and every session of the account die.

    Raises password_tokens.TokenError (bad link) or TicketError (password refused).
    """
    user = password_tokens.read_token(token, purpose)
    if problem := users.password_problem(password, email=user.email, name=user.name):
        raise TicketError(problem, field="password")
    user.set_password(password)
    user.invited_at = None
    sessions.end_other_sessions(user)  # commits
    log.info("%s set a new password for %s (%s)", purpose, user.email, user.id)
    return user


def change_password(user: User, current: str, new: str) -> User:
    """The signed-in person changes their password; their other sessions end."""
    if not user.check_password(current or ""):
        raise TicketError("Your current password is not right.", field="current")
    if problem := users.password_problem(new, email=user.email, name=user.name):
        raise TicketError(problem, field="password")
    user.set_password(new)
    user.invited_at = None
    sessions.end_other_sessions(user)  # commits
    return user


# ---------------------------------------------------------------------------- links and mail


def password_link(user: User, purpose: str) -> str:
    """The absolute set-password link (from a request's host, else PORTAL_URL)."""
    token = password_tokens.make_token(user, purpose)
    return notifications.external_url("auth.password_set", purpose=purpose, token=token)


def build_password_email(user: User, purpose: str) -> EmailMessage:
    link = password_link(user, purpose)
    hours = password_tokens.lifetime_hours(purpose)
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM") or "support@localhost"
    msg["To"] = user.email
    if purpose == INVITE:
        msg["Subject"] = "You are invited to the support portal"
        lines = [
            f"Hello {user.name},",
            "",
            "An administrator created an account for you on the support portal.",
            "Choose your password here to start:",
            "",
            link,
            "",
            f"The link works once, for {hours} hours.",
        ]
    else:
        msg["Subject"] = "Reset your support portal password"
        lines = [
            f"Hello {user.name},",
            "",
            "Someone (we hope you) asked to reset the password of this account.",
            "Choose a new password here:",
            "",
            link,
            "",
            f"The link works once, for {hours} hour{'s' if hours != 1 else ''}. Using it logs",
            "out every other browser signed in to your account.",
            "If you did not ask for this, ignore this message: your password stays as it is.",
        ]
    msg.set_content("\n".join(lines))
    return msg


def send_password_mail(user_id: int, purpose: str) -> str:
    """Mail a fresh set-password link: "sent", "off" (no SMTP), "skipped" or "failed"."""
    if purpose not in (INVITE, RESET):
        return "skipped"
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return "skipped"
    if purpose == INVITE and user.invited_at is None:
        return "skipped"  # they have set a password since
    if not notifications.mail_configured():
        return "off"
    try:
        notifications._deliver(build_password_email(user, purpose))  # noqa: SLF001
    except (OSError, ValueError) as e:  # smtplib errors are OSErrors
        log.warning("%s mail to user %s failed: %s: %s", purpose, user_id, type(e).__name__, e)
        return "failed"
    return "sent"
