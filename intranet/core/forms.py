from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.core.models import ContactTime


def contact_time_choices():
    return [SelectChoice(c.value, c.label) for c in ContactTime]


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the customer's name."))])
    mobile = StringField(_l("Mobile"), validators=[DataRequired(_l("Enter the mobile number."))],
                         render_kw={"inputmode": "tel", "autocomplete": "off"})
    address = StringField(_l("Address"), validators=[Optional()])
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    preferred_contact_time = SelectField(_l("Best time to call"), choices=contact_time_choices)
    wechat = StringField(_l("WeChat"), validators=[Optional(), Length(max=64)], render_kw={"autocomplete": "off"})
    wishes = TextAreaField(_l("Wishes (what the customer asked us to keep in mind)"),
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    note = TextAreaField(_l("Note"), validators=[Optional()])


class VehicleForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(_l("Enter the plate number."))],
                        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    model = StringField(_l("Model"), validators=[DataRequired(_l("Enter the car model."))])
    vin = StringField(_l("VIN"), validators=[Optional()],
                      render_kw={"autocapitalize": "characters", "autocomplete": "off", "maxlength": 20})
    colour = StringField(_l("Colour"), validators=[Optional()])
    model_year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(1980, 2100)],
                              render_kw={"inputmode": "numeric"})
    odometer_km = IntegerField(_l("Odometer (km)"), validators=[Optional(), NumberRange(0, 3_000_000)],
                               render_kw={"inputmode": "numeric"})
    open_notes = TextAreaField(_l("Open notes (recall campaign, pending case…)"), validators=[Optional()],
                               render_kw={"rows": 2})
    # the customer file: registration, service interval (empty: the store's), insurance, annual inspection
    registered_on = DateField(_l("Registered on"), validators=[Optional()])
    last_service_on = DateField(_l("Last service"), validators=[Optional()])
    service_interval_km = IntegerField(_l("Service interval (km)"), validators=[Optional()],
                                       render_kw={"inputmode": "numeric"})
    service_interval_months = IntegerField(_l("Service interval (months)"), validators=[Optional()],
                                           render_kw={"inputmode": "numeric"})
    insurer_name = StringField(_l("Insurer"), validators=[Optional(), Length(max=64)],
                               render_kw={"list": "insurer-names", "autocomplete": "off"})
    insurance_expires_on = DateField(_l("Insurance expires on"), validators=[Optional()])
    inspection_due_on = DateField(_l("Annual inspection due"), validators=[Optional()])


class CustomerWithVehicleForm(CustomerForm, VehicleForm):
    """Reception's "new customer": the person and their car in one go."""
