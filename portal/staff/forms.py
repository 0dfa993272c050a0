from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from portal.forms import new_token, select_choices
from portal.models import CATEGORY_CHOICES, PRIORITY_CHOICES, STATUS_CHOICES
from portal.services.tickets import REPLY_MAX


class StaffReplyForm(FlaskForm):
    content = TextAreaField(
        "Reply", validators=[DataRequired("Write a reply first."), Length(max=REPLY_MAX)]
    )
    internal = BooleanField("Internal note (staff only)")
    client_token = HiddenField(default=new_token)
    # Set when the reply started from an AI suggestion, to measure how much staff changed it.
    suggestion_id = HiddenField()
    # "Send and resolve": the version the page showed, so a stale form cannot resolve.
    resolve = BooleanField(default=False)
    version = IntegerField(validators=[Optional()], widget=HiddenInput())
    # Canned reply picked in the reply box: counted when sent; its field changes applied when
    # canned_apply is "1" (the agent can remove them before sending).
    canned_reply_id = HiddenField()
    canned_apply = HiddenField()


class TicketFieldsForm(FlaskForm):
    status = SelectField("Status", choices=select_choices(STATUS_CHOICES))
    priority = SelectField("Priority", choices=select_choices(PRIORITY_CHOICES))
    category = SelectField(
        "Category", choices=select_choices([("", "Uncategorised")] + CATEGORY_CHOICES)
    )
    # Hidden, so hidden_tag() posts it back and a stale form is caught.
    version = IntegerField(validators=[Optional()], widget=HiddenInput())


class AssignForm(FlaskForm):
    assignee = SelectField("Assignee", coerce=str, validators=[Optional()])
    # Hidden, so hidden_tag() posts it back and a stale form is caught.
    version = IntegerField(validators=[Optional()], widget=HiddenInput())


class MergeForm(FlaskForm):
    """Merge this ticket into the one named by `into` ("#123" or "123")."""

    into = StringField("Merge into ticket", validators=[DataRequired("Enter a ticket number.")])
    # The source's version when the confirmation was shown: a replayed form is refused.
    version = IntegerField(validators=[Optional()], widget=HiddenInput())


class BulkMergeForm(FlaskForm):
    """Merge a surge's tickets into one: each `source` is "id:version" as the page showed it."""

    into = IntegerField("Merge into", validators=[DataRequired("Choose the ticket to keep.")])
    surge = IntegerField(validators=[Optional()], widget=HiddenInput())
    source = SelectMultipleField(coerce=str, validate_choice=False)


class SavedViewForm(FlaskForm):
    """Save the queue as it is now (its filters come with the form) under a name, or rename."""

    name = StringField(
        "Name this view",
        validators=[DataRequired("Give the view a name."), Length(max=60)],
        description="Saved with the current filters, sort and search. Only you see it.",
    )


class BulkUpdateForm(FlaskForm):
    """The queue's action bar: which change, for the checked `ticket_ids` (read from the form);
    `versions` ("id:version …") as the queue showed them; `back` is the queue's query string."""

    action = HiddenField()
    versions = HiddenField()
    back = HiddenField()


class CannedReplyForm(FlaskForm):
    """A named reply; lengths, placeholders and the unique title are checked by the service."""

    title = StringField("Title")
    body = TextAreaField(
        "Text",
        description="Placeholders: {{ requester.first_name }}, {{ requester.name }}, "
        "{{ ticket.id }}, {{ ticket.title }}, {{ agent.name }}, {{ agent.first_name }}.",
    )
    set_status = SelectField(
        "Also set status",
        choices=select_choices([("", "Leave as is")] + STATUS_CHOICES),
        validate_choice=False,  # the service checks it and names the field
    )
    set_priority = SelectField(
        "Also set priority",
        choices=select_choices([("", "Leave as is")] + PRIORITY_CHOICES),
        validate_choice=False,  # the service checks it and names the field
    )
    set_category = SelectField(
        "Also set category",
        choices=select_choices([("", "Leave as is")] + CATEGORY_CHOICES),
        validate_choice=False,  # the service checks it and names the field
    )
    assign_to_me = BooleanField("Also assign the ticket to the agent who sends it")
