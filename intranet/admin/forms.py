from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.core.forms import DecimalField, IntegerField
from intranet.core.models import Role


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices():
    return [SelectChoice(r.value, r.label) for r in Role]


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter a user name."))],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"})
    display_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the person's name."))])
    mobile = StringField(_l("Mobile"), validators=[Optional()], render_kw={"inputmode": "tel"})
    roles = CheckboxList(_l("Roles"), choices=role_choices, validate_choice=True)
    parts_manager = BooleanField(_l("Parts manager: approves purchase orders and stock counts, signs write-offs"))
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("Account active"), default=True)


class StoreSettingsForm(FlaskForm):
    name = StringField(_l("Store name"), validators=[DataRequired()])
    code = StringField(_l("Store code (document prefix)"), validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), choices=[
        SelectChoice(zone) for zone in ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong")])
    opens_at = TimeField(_l("Opens at"), validators=[DataRequired()])
    closes_at = TimeField(_l("Closes at"), validators=[DataRequired()])
    key_collection_at = TimeField(_l("Key collection time"), validators=[DataRequired()])
    tax_rate_percent = DecimalField(_l("VAT rate (%)"), places=2, validators=[DataRequired(), NumberRange(0, 30)])
    labour_rate = DecimalField(_l("Labour rate per hour (¥)"), places=2,
                               validators=[DataRequired(), NumberRange(0, 10000)])
    slot_minutes = SelectField(_l("Appointment slot"), coerce=int, choices=[
        SelectChoice(15, "15 min"), SelectChoice(20, "20 min"), SelectChoice(30, "30 min"), SelectChoice(60, "60 min")])
    advisor_slot_capacity = IntegerField(_l("Cars per advisor per slot"), validators=[DataRequired(), NumberRange(1, 10)])
    workshop_hours_per_day = DecimalField(_l("Workshop hours to book per day"), places=1,
                                          validators=[DataRequired(), NumberRange(1, 1000)])
    address = StringField(_l("Address"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional()])
    default_locale = SelectField(_l("Default language"), choices=[SelectChoice("zh_Hans_CN", "中文"), SelectChoice("en", "English")])
