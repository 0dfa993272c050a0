from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import select_choices
from portal.models import CATEGORY_CHOICES
from portal.services.kb import BODY_MAX, TITLE_MAX, TITLE_MIN


class ArticleForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[
            DataRequired("Give the article a title."),
            Length(min=TITLE_MIN, max=TITLE_MAX),
        ],
    )
    category = SelectField(
        "Category", choices=select_choices([("", "Any category")] + CATEGORY_CHOICES), default=""
    )
    body = TextAreaField(
        "Article (markdown)",
        validators=[DataRequired("Write the article first."), Length(max=BODY_MAX)],
        description="Markdown: **bold**, lists, links, `code`. HTML is removed.",
    )
    published = BooleanField("Published (visible to users)", default=True)
