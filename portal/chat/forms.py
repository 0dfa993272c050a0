from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import select_choices
from portal.services.chat import COMMENT_MAX, MESSAGE_MAX
from portal.services.tickets import TITLE_MAX


class NewConversationForm(FlaskForm):
    ticket = SelectField("About", coerce=str, validators=[Optional()])


class MessageForm(FlaskForm):
    conversation_id = HiddenField(validators=[DataRequired()])
    message = TextAreaField(
        "Message", validators=[DataRequired("Write a message first."), Length(max=MESSAGE_MAX)]
    )


class FeedbackForm(FlaskForm):
    rating = RadioField(
        "How helpful was the assistant?",
        choices=select_choices([(str(n), str(n)) for n in range(1, 6)]),
        validators=[InputRequired("Choose a rating from 1 to 5.")],
    )
    comment = TextAreaField("Comment (optional)", validators=[Optional(), Length(max=COMMENT_MAX)])


class ChatTicketForm(FlaskForm):
    title = StringField(
        "Ticket title", validators=[DataRequired("Give the ticket a title."), Length(max=TITLE_MAX)]
    )
    details = TextAreaField("Anything to add (optional)", validators=[Optional(), Length(max=4000)])
