"""Forms of the workshop. Numbers, times and choices are read as text and judged by the services,
so a refusal names the field it is about and what was typed stays in the form.

The board's taps (start, pause for a reason, finish, assign to a technician) are buttons posting
an id, a version and a one-time token: they stay on `intranet.web.form_int`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField

from intranet.workshop.models import Stage


class IdList(SelectMultipleField):
    """Ticked checkboxes of ids (items, jobs): the whole numbers among the posted values."""

    def process_formdata(self, valuelist):
        self.data = [int(value) for value in valuelist if value.isdigit()]

    def pre_validate(self, form):  # the service judges which ids belong to the car
        pass


class PartRequestForm(FlaskForm):
    """A technician asks the parts counter for a part (on the "my jobs" tablet)."""

    token = HiddenField()
    description = StringField(_l("Part"))
    part_number = StringField(_l("Part number (if known)"))
    quantity = StringField(_l("Quantity"))


class InspectionForm(FlaskForm):
    """The final inspection: failed points, rework jobs, why, and the button pressed (`outcome`)."""

    token = HiddenField()
    failed = IdList(_l("Checklist"))
    rework = IdList(_l("Work done"))
    reason = TextAreaField(_l("What is wrong (needed on a fail)"))
    outcome = StringField()


class EndOfDayForm(FlaskForm):
    """The controller's note on an unfinished car at the end of the day."""

    progress = StringField(_l("Progress"))
    expected_finish = StringField(_l("Expected finish"))
    overtime_hours = StringField(_l("Overtime (h)"))
    overtime_technician_id = StringField(_l("Who"))

    @property
    def technician_id(self) -> int | None:
        value = (self.overtime_technician_id.data or "").strip()
        return int(value) if value.isdigit() else None


class StageStandardsForm(FlaskForm):
    """The standard minutes of each stage (`stage_<stage>`) and the escalation step."""

    escalation_minutes = StringField(_l("Escalate every (min)"))

    def minutes(self) -> dict[Stage, object]:
        return {stage: self[f"stage_{stage}"].data for stage in Stage}


for _stage in Stage:
    setattr(StageStandardsForm, f"stage_{_stage}", StringField(_stage.label))
del _stage


class TechnicianForm(FlaskForm):
    team = StringField(_l("Team"))
    skills = StringField(_l("Skills"))
    lead = BooleanField(_l("lead"))
    shift_starts = StringField(_l("Shift starts"))
    shift_ends = StringField(_l("Shift ends"))


class QcItemForm(FlaskForm):
    team = StringField(_l("Team"))
    text = StringField(_l("Checklist point"))


class BayForm(FlaskForm):
    team = StringField(_l("Team"))
    code = StringField(_l("Code"))
    name = StringField(lazy_pgettext("thing", "Name"))
