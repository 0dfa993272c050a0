"""Forms shared by several blueprints."""

import uuid

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.services.tickets import REPLY_MAX


def new_token() -> str:
    return uuid.uuid4().hex


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as SelectChoice: WTForms 3.3 deprecates tuples (a warning, which the
    test suite treats as an error, so every page with a select would answer 500)."""
    return [SelectChoice(value, label) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A button-only POST still carries a CSRF token and the version the user saw."""

    version = IntegerField(validators=[Optional()])


class ReplyForm(FlaskForm):
    content = TextAreaField(
        "Reply", validators=[DataRequired("Write a reply first."), Length(max=REPLY_MAX)]
    )
    client_token = HiddenField(default=new_token)
