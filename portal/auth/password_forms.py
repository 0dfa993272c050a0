"""Forms for password reset, set-password links and password change."""

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.services.users import PASSWORD_MAX, PASSWORD_MIN

# Plausible, not proven: a name, an @, a dotted domain, no spaces or control characters. The
# mail server is the judge; this only catches typing slips (and takes the demo's .test domain).
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def plausible_email(form, field) -> None:
    value = field.data or ""
    if not _EMAIL.fullmatch(value) or not value.isprintable() or not _encodable(value):
        raise ValidationError("Enter a valid email address.")


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeError:
        return False
    return True


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _new_password(label: str = "New password") -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(PASSWORD_MIN, PASSWORD_MAX, f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters."),
        ],
        description=f"At least {PASSWORD_MIN} characters.",
    )


def _confirm() -> PasswordField:
    return PasswordField(
        "Repeat the new password",
        validators=[DataRequired("Repeat the password."), EqualTo("password", "Passwords differ.")],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            plausible_email,
        ],
    )


class SetPasswordForm(FlaskForm):
    password = _new_password()
    confirm = _confirm()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=200)],
    )
    password = _new_password()
    confirm = _confirm()
