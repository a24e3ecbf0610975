"""Forms of the director's floor and office: a round's answers and findings, checklists, areas and
the day's schedule, corrective actions, the work log, insurers and their contacts, equipment and
maintenance cards, the closing round's spot checks.

Dates, times and numbers are read as text and parsed by the services, so a typo comes back with
the service's message next to the field and what was typed stays in the box. Buttons that post
only an id or a version (pause, finish, verify) stay on `intranet.web.form_int`."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from intranet.director.models import ContactChannel, EquipmentKind
from intranet.director.settings import SETTINGS

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


# The most rows a checklist form carries (the longest real checklist has a few dozen items).
MAX_ROWS = 300


def _whole(value) -> int | None:
    """A whole number as posted (digits only, at most 9 of them: ids, versions, counts), else None."""
    value = (value or "").strip() if isinstance(value, str) else value
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 9 else None


class VersionedForm(FlaskForm):
    """A form that carries the version of what it edits (a stale one is a 409)."""

    version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        return _whole(self.version.data)


# ------------------------------------------------------------------ walking a round

class AnswerForm(FlaskForm):
    """One item of a round, posted the moment it is answered (a tap, a reading, a photo)."""

    value = StringField(_l("Value"))
    note = TextAreaField(_l("What is wrong?"))
    photos = MultipleFileField(_l("Photos"))


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Photos"))


class ActionEditForm(VersionedForm):
    """The director changes a corrective action's owner, due time or priority (on its page, or on
    the finding's item in the round: then with the action's id)."""

    action_id = HiddenField()
    owner_id = StringField(_l("Owner"))
    due_at = StringField(lazy_pgettext("deadline", "Due"))
    priority = StringField(_l("Priority"))


# ------------------------------------------------------------------ checklists, areas, schedule

ROW_FIELDS = ("position", "area", "text", "kind", "weight", "photo", "min", "max", "unit")


class ChecklistForm(FlaskForm):
    """A checklist's name and rows. The rows are numbered fields (`text-0`, `area-0`, …) as many as
    the form says it has (`rows`); `checklist_form()` makes the form for that many."""

    rows = HiddenField()
    name = StringField(lazy_pgettext("thing", "Name"))
    note = StringField(_l("What changed (for the history)"))

    @property
    def row_count(self) -> int:
        """How many rows the page posted — never more than a checklist can hold (a forged
        `rows=999…` looped for ever, holding SQLite's write lock)."""
        return min(_whole(self.rows.data) or 0, MAX_ROWS)

    def row(self, n: int) -> dict:
        """Row n as typed: its fields by their short names (photo: ticked or not)."""
        values = {name: self[f"{name}-{n}"].data for name in ROW_FIELDS}
        values["photo"] = bool(values["photo"])
        return values


def checklist_form(rows: int | None = None) -> ChecklistForm:
    """A ChecklistForm with `rows` numbered rows (by default as many as were posted)."""
    if rows is None:
        rows = ChecklistForm().row_count
    fields = {f"{name}-{n}": StringField() for n in range(rows) for name in ROW_FIELDS}
    return type("ChecklistRowsForm", (ChecklistForm,), fields)()


class AreaForm(FlaskForm):
    area_id = HiddenField()
    name = StringField(_l("Area"))
    owner_id = StringField(_l("Owner"))
    active = StringField(_l("Active"), default="1")


class SlotForm(FlaskForm):
    slot_id = HiddenField()
    name = StringField(_l("Round"))
    starts_at = StringField(_l("From"))
    ends_at = StringField(_l("To"))
    template_id = StringField(_l("Checklist"))
    closing = BooleanField(_l("Closing"))
    active = StringField(_l("Active"), default="1")


# ------------------------------------------------------------------ corrective actions

class NewActionForm(FlaskForm):
    title = StringField(_l("What has to be done"))
    detail = TextAreaField(_l("Details"))
    owner_id = StringField(_l("Owner"))
    area_id = StringField(_l("Area"))
    priority = StringField(_l("Priority"))
    due_at = StringField(_l("Due (empty: by priority)"))


class CloseActionForm(VersionedForm):
    note = TextAreaField(_l("What was done"))
    photos = MultipleFileField(_l("Photo of the result"))


class ReopenActionForm(VersionedForm):
    reason = StringField(_l("Not done: why?"))
    due_at = StringField(lazy_pgettext("deadline", "Due"))


# ------------------------------------------------------------------ the director's day

class WorkLogForm(VersionedForm):
    day = HiddenField()
    notes = TextAreaField(_l("Notes"))
    problems = TextAreaField(_l("Problems and their handling, for tomorrow's huddle"))


# ------------------------------------------------------------------ the closing round's spot checks

class SpotCheckForm(FlaskForm):
    note = StringField(_l("Note"))
    card_ok = StringField(_l("Card up to date"))


class DirectorSettingsForm(FlaskForm):
    """One text box per director setting (`settings.SETTINGS`); `save_director_settings` judges them."""

    def values(self) -> dict[str, str]:
        return {s.name: self[s.name].data or "" for s in SETTINGS}


for _setting in SETTINGS:
    setattr(DirectorSettingsForm, _setting.name, StringField())
