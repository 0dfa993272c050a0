"""Accounts: registration, authentication, roles, deactivation."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from portal.extensions import db
from portal.models import ROLES, Ticket, User
from portal.services import password_policy, sessions
from portal.services.errors import TicketError
from portal.services.tickets import assign_ticket

# A fixed dummy hash keeps the time of a failed login the same whether or not the email exists.
_DUMMY = User(email="", name="", password_hash="")
_DUMMY.set_password("not-a-real-password")


def normalise_email(email: str) -> str:
    """One spelling per address: NFKC folds look-alike forms ("ｖictim@" is "victim@") and
    case is folded, so a second account cannot sit beside the first under another spelling."""
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def find_by_email(email: str) -> User | None:
    email = normalise_email(email)
    if "\x00" in email:  # no account has one, and PostgreSQL refuses it in a query
        return None
    return db.session.scalar(sa.select(User).where(User.email == email))


def authenticate(email: str, password: str) -> User | None:
    user = find_by_email(email)
    if user is None or user.is_bot:
        _DUMMY.check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


PASSWORD_MIN, PASSWORD_MAX = password_policy.MIN_LENGTH, password_policy.MAX_LENGTH


def password_problem(password: str | None, *, email: str = "", name: str = "") -> str | None:
    """Why a new password is refused, or None. The one set of password rules (length, common
    passwords, the person's own name or address): registration, invitations, resets and
    changes all ask here."""
    return password_policy.password_problem(password, email=email, name=name)


def end_sessions(user: User) -> None:
    """Logging out ends every session id and remember cookie of the account (a new session
    stamp, checked by the login manager's user loader: portal.services.sessions)."""
    sessions.end_other_sessions(user)


def register_user(*, email: str, name: str, password: str, role: str = "user") -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise TicketError("Choose a role from the list.", field="role")
    if not email or "@" not in email or "\x00" in email:
        raise TicketError("Enter a valid email address.", field="email")
    if not email.isascii():
        # Letters from other scripts that look Latin (a Cyrillic "і") would make a twin of
        # someone's address; IDN domains are written in their xn-- form.
        raise TicketError(
            "Use an address in plain Latin letters and digits: look-alike letters (such as a "
            "Cyrillic і) are not accepted.",
            field="email",
        )
    if find_by_email(email) is not None:
        raise TicketError("An account with this email already exists.", field="email")
    problem = password_policy.password_problem(password, email=email, name=name)
    if problem:
        raise TicketError(problem, field="password")
    name = (name or "").replace("\x00", "").strip() or email.split("@")[0]
    user = User(email=email, name=name[:100], role=role)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise TicketError("An account with this email already exists.", field="email") from None
    return user


def set_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise TicketError("Choose a role from the list.", field="role")
    if user.id == actor.id and role != "admin":
        raise TicketError("You cannot remove your own admin role.", field="role")
    was_staff = user.is_staff
    user.role = role
    db.session.commit()
    if was_staff and not user.is_staff:
        # Someone who is no longer staff cannot keep tickets: they go back to the pool.
        _release_assignments(actor, user, f"{user.name} is no longer staff")


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise TicketError("You cannot deactivate yourself.", field="active")
    user.active = active
    db.session.commit()
    if not active:
        # Their open assignments go back to the pool rather than stall.
        _release_assignments(actor, user, f"{user.name} was deactivated")


def _release_assignments(actor: User, user: User, detail: str) -> None:
    tickets = db.session.scalars(
        sa.select(Ticket).where(
            Ticket.assigned_to_id == user.id, Ticket.status.in_(("open", "in_progress"))
        )
    ).all()
    for t in tickets:
        assign_ticket(t, actor, None, detail=detail)


def staff_members(*, include_inactive: bool = False) -> list[User]:
    """People who can be assigned tickets: staff and admins, never the AI's bot, by name."""
    stmt = sa.select(User).where(User.role.in_(("staff", "admin")), User.is_bot.is_(False))
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.session.scalars(stmt.order_by(User.name, User.id)))


def users_query(search: str = "") -> sa.Select:
    """Accounts for the admin list (never the AI's bot), filtered by name or e-mail."""
    stmt = sa.select(User).where(User.is_bot.is_(False)).order_by(User.role.desc(), User.name)
    q = (search or "").replace("\x00", "").strip()[:100]
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(sa.or_(User.email.ilike(pattern), User.name.ilike(pattern)))
    return stmt
