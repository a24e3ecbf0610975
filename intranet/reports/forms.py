"""Forms of the reports (Flask-WTF): who receives a digest, sending one now, the store's KPI targets.

The pages render their inputs themselves (the field names here are the HTML names). A target is
typed and checked here — a number, not negative, a rate not above 100 — and what it means to save
it stays with `kpis`; a recipient is checked by the digest service, which raises `DomainError`
with the field."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError

from intranet.reports import kpis


class SendDigestForm(FlaskForm):
    next = HiddenField()

    def back(self, default: str) -> str:
        """Where to go once sent: a page of this site (a path, never another host), else `default`."""
        target = self.next.data or ""
        return target if target.startswith("/") and not target.startswith("//") else default


class RecipientForm(FlaskForm):
    kind = StringField(default="")
    email = StringField(default="")
    user_id = StringField(default="")

    @property
    def user(self) -> int | None:
        return int(self.user_id.data) if self.user_id.data.isdigit() else None

    def typed(self) -> dict[str, str]:
        return {"kind": self.kind.data, "email": self.email.data, "user_id": self.user_id.data}


class TargetField(StringField):
    """A KPI's own target, typed as a number (thousands separators and a trailing % allowed):
    `.data` is the target (None when left empty: the default applies), `.text` what was typed."""

    def __init__(self, kpi: kpis.Kpi, **kwargs):
        super().__init__(**kwargs)
        self.kpi = kpi
        self.text = ""

    def process_data(self, value):
        self.data = None

    def process_formdata(self, valuelist):
        self.text = valuelist[0] if valuelist else ""
        self.data = None

    def pre_validate(self, form):
        text = self.text.strip().replace(",", "").replace("，", "").rstrip("%").strip()
        if not text:
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_l("Enter a number, or leave it empty to use the default.")) from None
        if not value.is_finite():
            raise ValidationError(_l("Enter a number, or leave it empty to use the default."))
        if value < 0:
            raise ValidationError(_l("A target cannot be negative."))
        if self.kpi.unit == "percent" and value > 100:
            raise ValidationError(_l("A rate cannot be above 100 (percent)."))
        if abs(value) >= Decimal("10000000000"):
            raise ValidationError(_l("That number is too large."))
        self.data = value.quantize(Decimal("0.01"))


class TargetsForm(FlaskForm):
    """One box per KPI, named target-<kpi key>; `targets_form()` makes it for the KPIs there are."""

    def target(self, key: str) -> TargetField:
        return self[f"target-{key}"]


def targets_form() -> TargetsForm:
    fields = {f"target-{key}": TargetField(kpi) for key, kpi in kpis.KPIS.items()}
    return type("KpiTargetsForm", (TargetsForm,), fields)()
