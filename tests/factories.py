"""Plain factory functions: real rows through the real services."""

from __future__ import annotations

import itertools

from werkzeug.security import generate_password_hash

from portal.extensions import db
from portal.models import Ticket, TicketResponse, User
from portal.services import tickets as ticket_service

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"
# One cheap hash for every test user: the real scrypt default costs ~0.2 s per user.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_user(
    role: str = "user", *, name: str | None = None, email: str | None = None, active: bool = True
) -> User:
    n = next(_seq)
    user = User(
        email=email or f"{role}{n}@example.test",
        name=name or f"{role.title()} {n}",
        role=role,
        active=active,
    )
    user.password_hash = _PASSWORD_HASH
    db.session.add(user)
    db.session.commit()
    return user


def make_ticket(user: User | None = None, **kw) -> Ticket:
    user = user or make_user()
    n = next(_seq)
    return ticket_service.create_ticket(
        user,
        title=kw.pop("title", f"Cannot open course page {n}"),
        description=kw.pop("description", "The page shows an error when I open it."),
        **kw,
    )


def make_reply(ticket: Ticket, author: User, body: str = "Thanks, looking into it.", **kw):
    return ticket_service.add_reply(ticket, author, body, **kw)


def count(model) -> int:
    """Rows of a model, read fresh from the database."""
    db.session.expire_all()
    return db.session.query(model).count()


__all__ = ["Ticket", "TicketResponse", "count", "make_reply", "make_ticket", "make_user"]
