"""Forms of the director's office: insurers and their contacts, equipment and maintenance cards.
Dates, times and numbers are read as text and parsed by the services, so a typo comes back with
the service's message next to the field and what was typed stays in the box."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from intranet.director.models import ContactChannel, EquipmentKind

WHOLE = {"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}


class InsurerForm(FlaskForm):
    name = StringField(_l("Insurer"), validators=[DataRequired(_l("Enter the insurer's name.")), Length(max=64)])
    partner = BooleanField(_l("Partner insurer (more contacts a month)"))
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=32)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)], render_kw={"inputmode": "tel"})
    active = BooleanField(_l("Active"), default=True)


class ContactForm(FlaskForm):
    insurer_id = SelectField(_l("Insurer"), choices=[], validate_choice=False,
                             validators=[DataRequired(_l("Choose the insurer."))])
    channel = RadioField(_l("How"), choices=lambda: [SelectChoice(c.value, c.label) for c in ContactChannel],
                         default=ContactChannel.VISIT.value, validate_choice=False)
    subject = StringField(_l("What about"), validators=[DataRequired(_l("Write what the contact was about.")),
                                                        Length(max=200)],
                          render_kw={"placeholder": _l("e.g. repair prices for Q4, a disputed assessment")})
    their_person = StringField(_l("Their person"), validators=[Optional(), Length(max=32)])
    at = StringField(_l("When"), validators=[Optional()], render_kw={"type": "datetime-local"})
    note = TextAreaField(_l("Note"), validators=[Optional()], render_kw={"rows": 2})


class EquipmentForm(FlaskForm):
    name = StringField(_l("Equipment name"), render_kw={"placeholder": "举升机1号"},
                       validators=[DataRequired(_l("Enter the equipment's name.")), Length(max=64)])
    kind = SelectField(_l("Kind"), choices=lambda: [SelectChoice(k.value, k.label) for k in EquipmentKind],
                       default=EquipmentKind.LIFT.value)
    location = StringField(_l("Where"), validators=[Optional(), Length(max=64)])
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=64)])
    active = BooleanField(_l("In use"), default=True)


class TaskForm(FlaskForm):
    name = StringField(_l("Check"), validators=[DataRequired(_l("Name the check (e.g. “Check the safety locks”).")),
                                                Length(max=100)])
    every_days = StringField(_l("Every … days"), validators=[Optional()], render_kw=WHOLE)
    every_hours = StringField(_l("Every … running hours"), validators=[Optional()], render_kw=WHOLE)
    last_done_on = StringField(_l("Last done on"), validators=[Optional()], render_kw={"type": "date"})
    last_done_hours = StringField(_l("At hours reading"), validators=[Optional()], render_kw=WHOLE)


class RecordForm(FlaskForm):
    done_on = StringField(_l("Done on"), validators=[Optional()], render_kw={"type": "date"})
    hours_reading = StringField(_l("Hours reading"), validators=[Optional()], render_kw=WHOLE)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class HoursForm(FlaskForm):
    reading = StringField(_l("Hours reading now"), validators=[DataRequired(_l("This is required."))],
                          render_kw=WHOLE)
