"""The admin's form to create or invite a user."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.auth.password_forms import plausible_email
from portal.forms import select_choices
from portal.models import ROLE_CHOICES
from portal.services.users import PASSWORD_MAX

SETUP_CHOICES = [
    ("invite", "Send an invitation: they choose their own password"),
    ("password", "Set a password now and tell them yourself"),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class UserCreateForm(FlaskForm):
    name = StringField(
        "Name",
        filters=[_strip],
        validators=[DataRequired("Enter a name."), Length(max=100)],
    )
    email = EmailField(
        "Email",
        filters=[_strip],
        validators=[
            DataRequired("Enter an email address."),
            Length(max=254),
            plausible_email,
        ],
    )
    role = SelectField("Role", choices=select_choices(ROLE_CHOICES), default="user")
    setup = RadioField("Password", choices=select_choices(SETUP_CHOICES), default="invite")
    password = PasswordField(
        "Password (only when setting it now)",
        validators=[Optional(), Length(max=PASSWORD_MAX)],
        description="At least 8 characters.",
    )
