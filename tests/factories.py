"""Plain factory functions: real rows through the real services."""

from __future__ import annotations

import itertools

from portal.extensions import db
from portal.models import Ticket, User
from portal.services import tickets as ticket_service

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


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
    user.set_password(PASSWORD)
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
