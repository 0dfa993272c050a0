"""Forms for password reset, set-password links and password change."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from portal.services.users import PASSWORD_MAX, PASSWORD_MIN


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
        validators=[DataRequired("Enter your email address."), Email(), Length(max=254)],
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
