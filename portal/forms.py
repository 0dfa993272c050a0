"""Forms shared by several blueprints."""

import uuid

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.services.tickets import REPLY_MAX


def new_token() -> str:
    return uuid.uuid4().hex


class EmptyForm(FlaskForm):
    """A button-only POST still carries a CSRF token and the version the user saw."""

    version = IntegerField(validators=[Optional()])


class ReplyForm(FlaskForm):
    content = TextAreaField(
        "Reply", validators=[DataRequired("Write a reply first."), Length(max=REPLY_MAX)]
    )
    client_token = HiddenField(default=new_token)
