from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Optional


class TagRangeForm(FlaskForm):
    first = StringField(_l("From number"), validators=[DataRequired(_l("Enter the first tag number."))],
                        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "001"})
    last = StringField(_l("To number"), validators=[Optional()],
                       render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "060"})


class OvernightForm(FlaskForm):
    """The closing round confirms an overnight car's key and where it is parked."""

    day = HiddenField()
    parking_spot = StringField(_l("Parking spot"))
