from __future__ import annotations

import math

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from portal.forms import select_choices
from portal.models import CATEGORY_CHOICES, ROLE_CHOICES
from portal.services.settings import SPECS, SettingSpec

THRESHOLD_ERROR = "Enter a number from 0 to 1, or leave it blank."


def _finite(form, field) -> None:
    """NaN and infinities are numbers to Decimal but not settings; a signalling NaN would even
    make the range check below raise instead of answer."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation("Enter a number.")


def _setting_field(spec: SettingSpec) -> Field:
    if spec.kind is bool:
        return BooleanField(spec.label, description=spec.help)
    if spec.kind is int:
        return IntegerField(
            spec.label,
            description=spec.help,
            validators=[
                InputRequired("Enter a whole number."),
                NumberRange(spec.minimum, spec.maximum),
            ],
        )
    if spec.kind is float:
        return DecimalField(
            spec.label,
            description=spec.help,
            places=None,
            validators=[
                InputRequired("Enter a number."),
                _finite,
                NumberRange(spec.minimum, spec.maximum),
            ],
        )
    required = Optional() if spec.optional else DataRequired()
    field_class = TextAreaField if spec.multiline else StringField
    return field_class(
        spec.label, description=spec.help, validators=[required, Length(max=spec.max_length)]
    )


# Field names are the setting keys, so the form is built from the specs rather than declared.
SettingsForm = type(
    "SettingsForm",
    (FlaskForm,),
    {"__doc__": "One field per setting, from the settings' own specs so the two never drift."}
    | {spec.key: _setting_field(spec) for spec in SPECS},
)


def settings_form_class() -> type[FlaskForm]:
    return SettingsForm


# Field names are the category values, which the thresholds template and its posts use.
ThresholdForm = type(
    "ThresholdForm",
    (FlaskForm,),
    {"__doc__": "One optional field per category: blank uses the global threshold."}
    | {value: StringField(label) for value, label in CATEGORY_CHOICES},
)


def parse_overrides(form: FlaskForm) -> dict[str, float | None]:
    """{category: value or None}; appends a message beside each invalid field."""
    values: dict[str, float | None] = {}
    for category, _ in CATEGORY_CHOICES:
        f = form[category]
        text = (f.data or "").strip()
        if not text:
            values[category] = None
            continue
        try:
            number = float(text)
        except ValueError:
            f.errors.append(THRESHOLD_ERROR)
            continue
        if not math.isfinite(number) or not 0 <= number <= 1:
            f.errors.append(THRESHOLD_ERROR)
            continue
        values[category] = number
    return values


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=select_choices(ROLE_CHOICES))


class ActiveForm(FlaskForm):
    active = BooleanField("Active")


class CategoryMatrixForm(FlaskForm):
    """The who-handles-what matrix on /admin/categories. The form carries the CSRF token; its
    rows depend on who is staff, so the view reads them from the request: one hidden
    ``person`` per listed user and checkboxes named ``categories-<user id>``."""


class SLATargetsForm(FlaskForm):
    """The SLA targets table on /admin/sla. The form carries the CSRF token; the inputs are
    named <fr|res>-<priority>-<category|default> and read from the request by the view."""
