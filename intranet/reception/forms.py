from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import NumberRange, Optional


class CheckInForm(FlaskForm):
    odometer_km = IntegerField(_l("Odometer (km)"), validators=[Optional(), NumberRange(0, 3_000_000)],
                               render_kw={"inputmode": "numeric", "autocomplete": "off"})
    odometer_reason = StringField(_l("Why is it lower than last time?"), validators=[Optional()])
    complaint = TextAreaField(_l("Customer's words"), validators=[Optional()],
                              render_kw={"rows": 3})
