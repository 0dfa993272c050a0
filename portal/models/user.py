from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, has_app_context
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models.base import utcnow

ROLE_CHOICES = [("user", "User"), ("staff", "Staff"), ("admin", "Admin")]
ROLES = [value for value, _ in ROLE_CHOICES]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    role: so.Mapped[str] = so.mapped_column(sa.String(10), default="user", index=True)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    # A bot account authors AI and system replies; it can never log in.
    is_bot: so.Mapped[bool] = so.mapped_column(default=False)
    # Categories a staff member handles, for auto-assignment (issue: AI workflow).
    categories: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Part of every session id and "remember me" cookie (see get_id): a new stamp ends every
    # session of the account at once (password reset or change). NULL on accounts created
    # before it existed, until their first password change.
    session_stamp: so.Mapped[str | None] = so.mapped_column(sa.String(32))
    # Set when an admin invited the person by a set-password link; cleared once they set one.
    invited_at: so.Mapped[datetime | None] = so.mapped_column()

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session and the remember cookie: "<id>:<stamp>".

        portal.services.sessions.user_for_session_id is the one place that checks it.
        """
        return f"{self.id}:{self.session_stamp}" if self.session_stamp else str(self.id)

    def set_password(self, password: str) -> None:
        method = "scrypt"
        if has_app_context():
            # Tests lower the cost; production keeps Werkzeug's default (scrypt).
            method = current_app.config.get("PASSWORD_HASH_METHOD", method)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active and not self.is_bot

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
