"""The shared records' forms, and the number and date fields every form uses.

`IntegerField`, `DecimalField`, `FloatField`, `DateField` and `DateTimeLocalField` here are WTForms'
own with the bounds of `core.bounds`: a whole number fits an integer column, a decimal is finite and
below 10^10 (like `core.billing.decimal_from`), a date lies between 1900 and 2100. What does not fit
is refused next to its field as "not a number" or "too large" — before any validator compares it
(`NumberRange` raised on a NaN) and before any query or row sees it. Forms import these instead of
wtforms' (tests/test_fuzz.py checks that)."""
import math
from decimal import Decimal

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.core.bounds import EARLIEST_DAY, INT_MAX, LATEST_DAY
from intranet.core.models import ContactTime

# Every number a person types for money, a quantity or a reading stays below this (core.billing.LARGEST).
LARGEST = Decimal("1e10")


class IntegerField(wtforms.IntegerField):
    """A whole number that fits an integer column ("9" * 40 is too large, "1.5" is no whole number)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -INT_MAX <= self.data <= INT_MAX:
            self.data = None
            raise ValueError(str(_l("That number is too large.")))


class DecimalField(wtforms.DecimalField):
    """A finite number below 10^10 ("nan", "inf" and "1e309" are refused)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(str(_l("Enter a number.")))
        if self.data is not None and abs(self.data) >= LARGEST:
            self.data = None
            raise ValueError(str(_l("That number is too large.")))


class FloatField(wtforms.FloatField):
    """A finite number below 10^10."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(str(_l("Enter a number.")))
        if self.data is not None and abs(self.data) >= LARGEST:
            self.data = None
            raise ValueError(str(_l("That number is too large.")))


def _check_day(field, day) -> None:
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        field.data = None
        raise ValueError(str(_l("Enter a date between %(first)s and %(last)s.", first=EARLIEST_DAY.year,
                                last=LATEST_DAY.year)))


class DateField(wtforms.DateField):
    """A date between 1900 and 2100 ("2026-02-30" is no date; year 9999 overflowed date sums)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        _check_day(self, self.data)


class DateTimeLocalField(wtforms.DateTimeLocalField):
    """A date and time between 1900 and 2100."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        _check_day(self, self.data.date() if self.data else None)


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
