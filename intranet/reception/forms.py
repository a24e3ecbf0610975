import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from intranet.core.forms import DateField, DateTimeLocalField, DecimalField, IntegerField
from intranet.core.models import InsurerPayment, LineKind, PayType, Team
from intranet.reception.models import AnswerChannel, OldParts, PaymentMethod


def team_choices():
    return [SelectChoice(t.value, t.label) for t in Team]


def pay_type_choices():
    return [SelectChoice(p.value, p.label) for p in PayType]


class CheckInForm(FlaskForm):
    odometer_km = IntegerField(_l("Odometer (km)"), validators=[Optional(), NumberRange(0, 3_000_000)],
                               render_kw={"inputmode": "numeric", "autocomplete": "off"})
    odometer_reason = StringField(_l("Why is it lower than last time?"), validators=[Optional()])
    complaint = TextAreaField(_l("Customer's words"), validators=[Optional()], render_kw={"rows": 3})
    # One token per form shown: a second tap of "check in" finds the repair order of the first.
    origin_token = HiddenField(default=lambda: str(uuid.uuid4()))


class RepairOrderForm(FlaskForm):
    version = HiddenField()
    complaint = TextAreaField(_l("Customer's words"), validators=[Optional()], render_kw={"rows": 2})
    promised_at = DateTimeLocalField(_l("Promised delivery"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    key_tag = StringField(_l("Key tag"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    pay_type = SelectField(_l("Default payer"), choices=pay_type_choices)
    insurer = StringField(_l("Insurer"), validators=[Optional()])
    claim_number = StringField(_l("Claim number"), validators=[Optional()])
    assessor = StringField(_l("Assessor"), validators=[Optional()])
    assessed_amount = DecimalField(_l("Assessed amount (¥)"), places=2, validators=[Optional(), NumberRange(0)])
    insurer_payment = SelectField(_l("Insurer payment"),
                                  choices=lambda: [SelectChoice(p.value, p.label) for p in InsurerPayment])
    warranty_claim_ref = StringField(_l("Warranty claim"), validators=[Optional()])


class LineForm(FlaskForm):
    kind = SelectField(_l("Type"), choices=lambda: [SelectChoice(LineKind.LABOUR.value, _l("Labour")),
                                                     SelectChoice(LineKind.PART.value, _l("Part"))])
    code = StringField(_l("Code"), validators=[Optional()], render_kw={"autocomplete": "off"})
    description = StringField(_l("Operation or part"), validators=[DataRequired(_l("Describe the operation or the part."))],
                              render_kw={"autocomplete": "off"})
    quantity = DecimalField(_l("Hours / qty"), places=2, validators=[DataRequired(_l("Enter hours or quantity."))],
                            render_kw={"inputmode": "decimal"})
    unit_price = DecimalField(_l("Unit price (¥)"), places=2, validators=[Optional()],
                              render_kw={"inputmode": "decimal"})
    pay_type = SelectField(_l("Payer"), choices=pay_type_choices)
    team = SelectField(_l("Team"), choices=team_choices, default="mechanical")


class FindingForm(FlaskForm):
    description = TextAreaField(_l("What was found"), validators=[DataRequired(_l("Describe what was found."))],
                                render_kw={"rows": 3})
    labour_hours = DecimalField(_l("Extra labour (hours)"), places=1, validators=[Optional(), NumberRange(0, 200)],
                                render_kw={"inputmode": "decimal"})
    parts_description = StringField(_l("Parts needed"), validators=[Optional()])
    parts_amount = DecimalField(_l("Parts price (¥)"), places=2, validators=[Optional(), NumberRange(0)],
                                render_kw={"inputmode": "decimal"})


class AnswerForm(FlaskForm):
    channel = SelectField(_l("Customer answered"), choices=lambda: [
        SelectChoice(c.value, c.label) for c in AnswerChannel])
    decline_reason = StringField(_l("Why declined"), validators=[Optional()])
    promised_at = DateTimeLocalField(_l("New promised delivery"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    decision = StringField()  # the button tapped: "approve" or "decline"


class QuickCheckInForm(FlaskForm):
    """The store-today board's box: a known car checked in by its plate."""

    plate = StringField(_l("Plate"))


class MoveForm(FlaskForm):
    """A status button on the repair order: where to, why, and the version the page showed."""

    to = StringField()
    note = StringField(_l("Note"))
    version = IntegerField(validators=[Optional()])


class ComebackForm(FlaskForm):
    original_id = IntegerField(validators=[Optional()])  # the earlier visit this one comes back to; none: unlink


class BookingForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(_l("Enter the plate number."))],
                        render_kw={"autocapitalize": "characters", "autocomplete": "off"})
    name = StringField(_l("Customer (new car only)"), validators=[Optional()])
    mobile = StringField(_l("Mobile (new car only)"), validators=[Optional()], render_kw={"inputmode": "tel"})
    model = StringField(_l("Model (new car only)"), validators=[Optional()])
    day = DateField(_l("Date"), validators=[DataRequired(_l("Choose the day."))])
    advisor_id = SelectField(_l("Advisor"), coerce=int)
    slot = SelectField(_l("Time"), validate_choice=False, validators=[DataRequired(_l("Choose a time."))])
    canned_job_id = SelectField(_l("Menu item"), coerce=lambda v: int(v) if v else None, validate_choice=False)
    work_wanted = TextAreaField(_l("Work wanted"), validators=[Optional()], render_kw={"rows": 2})
    pick = StringField()  # one of the free slots offered after a refusal: "2026-12-08 10:30"
    estimated_hours = DecimalField(_l("Estimated hours"), places=1, validators=[Optional(), NumberRange(0, 40)],
                                   render_kw={"inputmode": "decimal"})
    parts_wanted = TextAreaField(_l("Note for the parts store"), validators=[Optional()], render_kw={"rows": 2})
    pre_pick = HiddenField()  # carries the refusals about the pre-pick lines (posted as pre_pick_* lists)


class PaymentForm(FlaskForm):
    payer = SelectField(_l("Payer"), choices=pay_type_choices)
    method = SelectField(_l("Method"), choices=lambda: [SelectChoice(m.value, m.label) for m in PaymentMethod])
    amount = DecimalField(_l("Amount (¥)"), places=2, validators=[DataRequired(_l("Enter the amount."))],
                          render_kw={"inputmode": "decimal"})
    reference = StringField(_l("Reference (receipt, claim…)"), validators=[Optional()])
    # One token per form shown: a second tap of "record" finds the payment of the first.
    token = HiddenField(default=lambda: str(uuid.uuid4()))


class DeliveryForm(FlaskForm):
    work_explained = BooleanField(_l("Work done explained to the customer"))
    old_parts = SelectField(_l("Old parts"), choices=lambda: [SelectChoice("", "—")] + [
        SelectChoice(o.value, o.label) for o in OldParts])
    car_clean = BooleanField(_l("Car washed and clean inside"))
    keys_returned = BooleanField(_l("Keys handed back"))
    note = StringField(_l("Note"), validators=[Optional()])
