"""The forms a person fills in customer care (Flask-WTF): follow-up calls and the questions they
raise, the complaint's steps, reminders, win-back outcomes, events and their replies, the CSI and
customer imports, and the care settings.

The pages render their inputs themselves (the field names here are the HTML names), so a form's
part is to read what was posted into typed values and refuse what is not even a number, a date or
a time, with the page's own message. What a value means (a choice that exists, a reason required
outside the customer's time) stays with the services, which raise `DomainError` with the field.
`CareForm.check()` raises a form's refusal the same way, so a view answers both alike: 422, the
message beside its field, and `typed()` — what was typed — shown again."""
from __future__ import annotations

import base64
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import ValidationError

from intranet import clock
from intranet.care.calls import Answers
from intranet.care.csi import SCALE_AUTO
from intranet.care.events import Audience
from intranet.care.models import CALL_TOPICS
from intranet.care.settings import SETTINGS
from intranet.errors import DomainError


# ---------------------------------------------------------------- the base and typed fields
class CareForm(FlaskForm):
    def check(self) -> None:
        """Refuse the first field that is not what it must be, as a DomainError naming that field."""
        if self.validate():
            return
        name, messages = next(iter(self.errors.items()))
        raise DomainError(str(messages[0]), field=name)

    def typed(self) -> dict[str, str]:
        """What was posted, as typed (to show again beside a refusal)."""
        return {name: field.raw_data[0] for name, field in self._fields.items()
                if name != "csrf_token" and field.raw_data and isinstance(field.raw_data[0], str)}


class _Parsed(StringField):
    """A text box holding a value of some kind: `.data` is that value (None when empty); anything
    else typed is refused with the field's `message`."""

    def __init__(self, label=None, validators=None, *, message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message
        self.text = ""

    def parse(self, text: str):
        raise NotImplementedError

    def process_formdata(self, valuelist):
        self.text = (valuelist[0] if valuelist else "").strip()
        try:
            self.data = self.parse(self.text) if self.text else None
        except ValueError:
            self.data = None

    def pre_validate(self, form):
        if self.text and self.data is None:
            raise ValidationError(self.message)


class WholeNumberField(_Parsed):
    def parse(self, text: str) -> int:
        if not text.isdigit():
            raise ValueError(text)
        return int(text)


class DayField(_Parsed):
    """A date typed as YYYY-MM-DD."""

    def parse(self, text: str):
        return datetime.strptime(text, "%Y-%m-%d").date()


class LocalTimeField(_Parsed):
    """A store-local date and time (a datetime-local input); `utc(tz)` is the moment it names."""

    def __init__(self, label=None, validators=None, *, message, strict: bool = False, **kwargs):
        super().__init__(label, validators, message=message, **kwargs)
        self.strict = strict

    def parse(self, text: str) -> datetime:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M") if self.strict else datetime.fromisoformat(text)

    def utc(self, tz: str) -> datetime | None:
        return clock.store_local_to_utc(self.data, tz) if self.data else None


class IdField(HiddenField):
    """An id or a version carried by the page: a whole number, or None (never refused)."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = int(text) if text.isdigit() else None


class YesNoField(StringField):
    @property
    def answer(self) -> bool | None:
        return True if self.data == "yes" else False if self.data == "no" else None


# ---------------------------------------------------------------- follow-up calls and questions
class NotReachedForm(CareForm):
    version = IdField()
    outcome = StringField()
    retry_at = LocalTimeField(message=_l("That is not a time."))
    note = TextAreaField()
    override_reason = StringField()  # why the customer is called outside their preferred time


class ReachedForm(CareForm):
    version = IdField()
    satisfaction = StringField()
    comments = TextAreaField()
    override_reason = StringField()

    def answers(self) -> Answers:
        return Answers(satisfaction=self.satisfaction.data,
                       topics={t: self[f"topic_{t}"].data for t in CALL_TOPICS}, comments=self.comments.data)


for _topic in CALL_TOPICS:  # one answer per topic of the script: topic_reception, topic_quality, …
    setattr(ReachedForm, f"topic_{_topic}", StringField())


class AskSupervisorForm(CareForm):
    question = TextAreaField()


class AnswerQuestionForm(CareForm):
    answer = TextAreaField()


class ToldCustomerForm(CareForm):
    note = TextAreaField()


# ---------------------------------------------------------------- complaints
class RegisterComplaintForm(CareForm):
    customer_id = IdField()
    vehicle_id = IdField()
    repair_order_id = IdField()
    channel = StringField()
    category = StringField()
    description = TextAreaField()
    received_at = LocalTimeField(message=_l("Write the date and time the complaint came in."), strict=True)


class StepForm(CareForm):
    """Every step carries the version of the complaint the page showed (a later change: 409)."""
    version = HiddenField()


class JudgeForm(StepForm):
    justified = YesNoField()
    explanation = TextAreaField()


class InvestigateForm(StepForm):
    cause = TextAreaField()
    department = StringField()
    responsible_id = IdField()


class SolutionForm(StepForm):
    text = TextAreaField()
    cost = StringField()


class ApproveForm(StepForm):
    solution_id = HiddenField()


class ReasonForm(StepForm):
    """Sent back to propose again, or the customer did not accept what was done."""
    reason = TextAreaField()


class CarryOutForm(StepForm):
    note = TextAreaField()
    penalty_note = TextAreaField()


class ConfirmForm(StepForm):
    kind = StringField()  # signature | recorded
    signed_name = StringField()
    signature = HiddenField()  # the pad's drawing, a PNG data URL
    recording_ref = StringField()

    def signature_png(self) -> bytes | None:
        data = self.signature.data or ""
        if not data.startswith("data:image/png;base64,"):
            return None
        try:
            return base64.b64decode(data.split(",", 1)[1], validate=True) or None
        except ValueError:
            return None


class CallBackForm(StepForm):
    call_note = TextAreaField()
    satisfied = YesNoField()
    improvement = TextAreaField()


# ---------------------------------------------------------------- reminders and win-back calls
class ReminderOutcomeForm(CareForm):
    outcome = StringField()  # what came of it (done), or why it is not needed (dismissed)
    who = HiddenField()  # the list the row is shown in


class WinBackOutcomeForm(CareForm):
    reached = StringField()  # "1": reached
    lost_cause = StringField()
    will_return = StringField()
    note = TextAreaField()


# ---------------------------------------------------------------- events
class NewEventForm(CareForm):
    title = StringField()
    capacity = WholeNumberField(message=_l("The number of places must be a whole number."))
    held_on = DayField(message=_l("That is not a date."))
    place = StringField()
    description = TextAreaField()


class InviteForm(CareForm):
    visited_within_months = WholeNumberField(message=_l("Give a whole number."))
    model = StringField()
    birthday_month = WholeNumberField(message=_l("Give a whole number."))

    def audience(self) -> Audience:
        return Audience(visited_within_months=self.visited_within_months.data, model=self.model.data,
                        birthday_month=self.birthday_month.data)


class ReplyForm(CareForm):
    reply = StringField()
    guests = StringField()
    note = TextAreaField()


# ---------------------------------------------------------------- imports and settings
class CsiImportForm(CareForm):
    file = FileField()
    scale = StringField(default=SCALE_AUTO)


class CustomerImportForm(CareForm):
    file = FileField()


class CareSettingsForm(CareForm):
    """One text box per care setting (`settings.SETTINGS`); `save_care_settings` judges them."""

    def values(self) -> dict[str, str]:
        return {s.name: self[s.name].data or "" for s in SETTINGS}


for _setting in SETTINGS:
    setattr(CareSettingsForm, _setting.name, StringField())

