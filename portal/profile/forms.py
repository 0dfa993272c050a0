from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import select_choices
from portal.models import CATEGORY_CHOICES


class CategoriesForm(FlaskForm):
    categories = SelectMultipleField(
        "Categories I handle",
        choices=select_choices(CATEGORY_CHOICES),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description="New tickets in these categories can be assigned to you automatically.",
    )
