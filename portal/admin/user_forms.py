"""The admin's form to create or invite a user."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length, StopValidation

from portal.auth.password_forms import plausible_email
from portal.forms import select_choices
from portal.models import ROLE_CHOICES
from portal.services import accounts
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
        validators=[Length(max=PASSWORD_MAX)],
        description="At least 8 characters.",
    )

    def validate_email(self, field) -> None:
        # Checked here too, so that the message shows beside the field along with any other.
        if accounts.email_taken(field.data or ""):
            raise StopValidation("An account with this email already exists.")

    def validate_password(self, field) -> None:
        if self.setup.data == "password" and not field.data:
            raise StopValidation("Enter a password, or choose to send an invitation.")
