from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import new_token, select_choices
from portal.models import CATEGORY_CHOICES, RATINGS
from portal.models.satisfaction import RATING_LABELS
from portal.services.satisfaction import COMMENT_MAX as SATISFACTION_COMMENT_MAX
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


class SatisfactionForm(FlaskForm):
    """1-5 and an optional comment; the rating link's page uses it too."""

    rating = RadioField(
        "How satisfied are you with how we handled this ticket?",
        choices=select_choices([(str(n), f"{n} – {RATING_LABELS[n]}") for n in RATINGS]),
        validators=[InputRequired("Choose a rating from 1 to 5.")],
    )
    comment = TextAreaField(
        "Comment (optional)",
        validators=[Optional(), Length(max=SATISFACTION_COMMENT_MAX)],
    )
