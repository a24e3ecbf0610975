from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, Field, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, Optional

from intranet.errors import DomainError
from intranet.parts.models import AbcClass

# Numbers are read as text and parsed by the services (decimal_from), so a typo comes back with the
# service's message next to the field and what was typed stays in the box.
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class PartForm(FlaskForm):
    number = StringField(_l("Part number"), validators=[DataRequired(_l("Enter the part number."))],
                         render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    name = StringField(_l("Part name"), validators=[DataRequired(_l("Enter the part's name."))])
    fitment = StringField(_l("Fits (models)"), validators=[Optional()])
    abc_class = SelectField(_l("ABC class"), choices=lambda: [SelectChoice(c.value, c.label) for c in AbcClass],
                            default="C")
    unit = StringField(_l("Unit"), default="件", validators=[Optional()])
    cost = StringField(_l("Cost (¥)"), validators=[Optional()], render_kw=DECIMAL)
    price = StringField(_l("Price (¥)"), validators=[Optional()], render_kw=DECIMAL)
    reorder_point = StringField(_l("Reorder point"), validators=[Optional()], render_kw=DECIMAL)
    reorder_quantity = StringField(_l("Reorder quantity"), validators=[Optional()], render_kw=DECIMAL)
    supplier_id = SelectField(_l("Usual supplier"), choices=[], validate_choice=False)
    bin_code = StringField(_l("Bin (store-shelf-layer-position)"), validators=[Optional()],
                           render_kw={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "A-03-2-05"})
    opening = StringField(_l("Opening stock"), validators=[Optional()], render_kw=DECIMAL)


class ReturnForm(FlaskForm):
    repair_order = StringField(_l("Plate or repair order"), validators=[DataRequired(_l("Enter the plate or the "
                                                                                       "repair order number."))],
                               render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    part_number = StringField(_l("Part number"), validators=[DataRequired(_l("Enter the part number."))],
                              render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    quantity = StringField(_l("Quantity"), default="1", validators=[DataRequired(_l("Enter a quantity greater than zero."))],
                           render_kw=DECIMAL)
    note = StringField(_l("Why it came back"), validators=[Optional()])


class ReserveForm(FlaskForm):
    repair_order = StringField(_l("Plate or repair order"), validators=[DataRequired(_l("Enter the plate or the "
                                                                                       "repair order number."))],
                               render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    quantity = StringField(_l("Quantity"), default="1", validators=[DataRequired(_l("Enter a quantity greater than zero."))],
                           render_kw=DECIMAL)


# ------------------------------------------------------------------ the forms of the parts screens
#
# The pages below render their inputs themselves (the field names here are their HTML names) and
# show a refusal from `typed` and `refused`: a form reads what was posted, `check()` refuses a field
# the way a service does (a DomainError naming it) and `typed()` gives back what was typed. What a
# value means — a quantity, a price, a date, a supplier that exists — stays with the services.

class PartsForm(FlaskForm):
    def check(self) -> None:
        """Refuse the first field that is not what it must be, as a DomainError naming that field."""
        if self.validate():
            return
        name, messages = next(iter(self.errors.items()))
        raise DomainError(str(messages[0]), field=self[name].name if name in self._fields else name)

    def typed(self) -> dict:
        """What was posted, as typed, by HTML name (a list for a field posted many times)."""
        typed: dict = {}
        for field in self:
            if field.name == "csrf_token":
                continue
            if isinstance(field, LineValuesField):
                typed.update(field.typed)
            elif isinstance(field, ManyField):
                typed[field.name] = list(field.data)
            elif field.raw_data and isinstance(field.raw_data[0], str):
                typed[field.name] = field.raw_data[0]
        return typed


class ManyField(Field):
    """A name posted many times (ticked boxes, chosen rows): `.data` is the list, as posted."""

    def process_data(self, value):
        self.data = list(value or ())

    def process_formdata(self, valuelist):
        self.data = [value for value in valuelist if isinstance(value, str)]

    def _value(self):
        return ""


class LineValuesField(Field):
    """The values typed per line of a table, in inputs named <key>-<line id> (as many as the page
    has lines): `.data` is {line id: {key: value}}, `.typed` {HTML name: value}."""

    def __init__(self, keys, **kwargs):
        super().__init__(**kwargs)
        self.keys = frozenset(keys)
        self.typed: dict[str, str] = {}

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors, self.raw_data, self.object_data = [], [], None
        self.data, self.typed = {}, {}
        for name in formdata or ():
            key, _sep, ident = name.rpartition("-")
            if key in self.keys and ident.isdigit():
                value = formdata.get(name)
                self.data.setdefault(int(ident), {})[key] = value
                self.typed[name] = value

    def _value(self):
        return ""


def safe_next(value: str | None, default: str) -> str:
    """A page of this site to go back to (a path, never another host), else `default`."""
    target = value or ""
    return target if target.startswith("/") and not target.startswith("//") else default


class NextForm(PartsForm):
    """A button that posts where to go back to."""

    next = HiddenField()

    def back(self, default: str) -> str:
        return safe_next(self.next.data, default)


class VersionForm(PartsForm):
    """A button that posts only the version of what it acts on (a stale one is refused with 409 by
    the service); the version goes on as posted."""

    version = HiddenField()


# ------------------------------------------------------------------ the counter

class IssueForm(PartsForm):
    part_number = StringField()
    quantity = StringField()
    old_part = StringField()
    status = HiddenField()  # the request's status the counter saw (a request moved meanwhile is a 409)


class ShortageForm(PartsForm):
    part_number = StringField()


# ------------------------------------------------------------------ purchasing and receiving

class RequestPurchaseForm(NextForm):
    pending_ids = ManyField()


class NewOrderForm(PartsForm):
    supplier_id = StringField()
    urgent = BooleanField()
    note = StringField()


class OrderForm(VersionForm):
    """A form on a purchase order's page; `sent` (HTML name "form") says which, so the page shows
    what was typed in that one."""

    sent = HiddenField(name="form")


class DraftForm(OrderForm):
    lines = LineValuesField({"quantity", "unit_cost"})
    urgent = BooleanField()
    note = StringField()


class AddLineForm(OrderForm):
    part_number = StringField()
    quantity = StringField()
    unit_cost = StringField()


class OrderedForm(OrderForm):
    expected_on = StringField()


class CancelOrderForm(OrderForm):
    reason = StringField()
    supplier_told = BooleanField()


class DeliveryNoteForm(OrderForm):
    delivery_note = StringField()
    lines = LineValuesField({"noted"})

    def noted(self) -> dict:
        return {line_id: values.get("noted") for line_id, values in self.lines.data.items()}


class QuoteForm(PartsForm):
    line_id = HiddenField()
    supplier_id = StringField()
    unit_cost = StringField()
    lead_days = StringField()


class IntakeForm(PartsForm):
    counts = LineValuesField({"good", "damaged", "wrong"})
    note = StringField()


class ClaimForm(PartsForm):
    claim_reference = StringField()


class SettleForm(PartsForm):
    outcome = StringField(default="")
    outcome_note = StringField()


# ------------------------------------------------------------------ counts, write-offs, old parts

class OpenCountForm(PartsForm):
    kind = StringField(default="")
    classes = ManyField()
    bin_prefix = StringField()
    recount_value = StringField()


class CountEntryForm(PartsForm):
    line_id = HiddenField()
    part_number = StringField()
    quantity = StringField()
    stage = HiddenField()

    @property
    def line(self) -> int | None:
        text = (self.line_id.data or "").strip()
        return int(text) if text.isdigit() else None


class ExplainForm(PartsForm):
    reason = StringField()
    responsible_id = StringField()

    @property
    def responsible(self) -> int | None:
        text = (self.responsible_id.data or "").strip()
        return int(text) if text.isdigit() else None


class WriteOffForm(PartsForm):
    part_number = StringField(default="")
    quantity = StringField(default="")
    reason = TextAreaField(default="")
    photos = MultipleFileField()


class SignWriteOffForm(PartsForm):
    role = HiddenField(default="")


class RefuseWriteOffForm(PartsForm):
    refusal = StringField()


class OldPartForm(PartsForm):
    to = HiddenField(default="")
    claim_number = StringField()
    note = StringField()
    show = HiddenField(default="warranty")


class PhotosForm(PartsForm):
    photos = MultipleFileField()
