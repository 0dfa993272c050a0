from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation

from portal.forms import select_choices
from portal.models import ROLE_CHOICES
from portal.services.settings import SPECS


def _finite(form, field) -> None:
    """NaN and infinities are numbers to Decimal but not settings; a signalling NaN would even
    make the range check below raise instead of answer."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter a number.")


def settings_form_class() -> type[FlaskForm]:
    """One field per setting, built from the settings' own specs so the two never drift."""

    class SettingsForm(FlaskForm):
        pass

    for spec in SPECS:
        if spec.kind is bool:
            field = BooleanField(spec.label, description=spec.help)
        elif spec.kind is int:
            field = IntegerField(
                spec.label,
                description=spec.help,
                validators=[
                    InputRequired("Enter a whole number."),
                    NumberRange(spec.minimum, spec.maximum),
                ],
            )
        elif spec.kind is float:
            field = DecimalField(
                spec.label,
                description=spec.help,
                places=None,
                validators=[
                    InputRequired("Enter a number."),
                    _finite,
                    NumberRange(spec.minimum, spec.maximum),
                ],
            )
        else:
            field = StringField(
                spec.label, description=spec.help, validators=[DataRequired(), Length(max=100)]
            )
        setattr(SettingsForm, spec.key, field)
    return SettingsForm


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=select_choices(ROLE_CHOICES))


class ActiveForm(FlaskForm):
    active = BooleanField("Active")


class CategoryMatrixForm(FlaskForm):
    """The who-handles-what matrix on /admin/categories. The form carries the CSRF token; its
    rows depend on who is staff, so the view reads them from the request: one hidden
    ``person`` per listed user and checkboxes named ``categories-<user id>``."""
