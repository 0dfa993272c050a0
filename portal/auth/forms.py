from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.auth.password_forms import plausible_email
from portal.services.password_policy import MAX_LENGTH, MIN_LENGTH, password_problem


def _strip(value):
    # A pasted address often carries a space; the account is found by the trimmed address.
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), plausible_email, Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=f"At least {MIN_LENGTH} characters, and not one of the most common passwords.",
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )

    def validate_password(self, field) -> None:
        problem = password_problem(field.data, email=self.email.data or "", name=self.name.data)
        if problem:
            raise ValidationError(problem)
