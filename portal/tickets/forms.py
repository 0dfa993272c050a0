from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import new_token, select_choices
from portal.models import CATEGORY_CHOICES
from portal.services.tickets import DESCRIPTION_MAX, TITLE_MAX


class TicketForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired("Give your ticket a title."), Length(max=TITLE_MAX)]
    )
    description = TextAreaField(
        "Description",
        validators=[DataRequired("Describe the problem."), Length(max=DESCRIPTION_MAX)],
    )
    category = SelectField(
        "Category",
        choices=select_choices([("", "Not sure")] + CATEGORY_CHOICES),
        default="",
        validate_choice=True,
    )
    client_token = HiddenField(default=new_token)
