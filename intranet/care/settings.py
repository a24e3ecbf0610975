"""The store's settings for customer care, one row per store made on first use."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.care.models import CareSettings
from intranet.core import settings_form
from intranet.core.settings_form import Setting, SettingsRefused  # noqa: F401 - the views' names
from intranet.core.models import Role, User, UserRole
from intranet.errors import DomainError
from intranet.extensions import db


def settings_for(store_id: int) -> CareSettings:
    row = db.session.get(CareSettings, store_id)
    if row is None:
        row = CareSettings(store_id=store_id)
        db.session.add(row)
        db.session.flush()
    return row


def days_list(value: str | None) -> list[int]:
    """"30,15,7" → [30, 15, 7] (largest first); anything that is not a whole number is ignored."""
    days = {int(part) for part in (value or "").replace("，", ",").split(",") if part.strip().isdigit()}
    return sorted(days, reverse=True)


# ---------------------------------------------------------------- editing the settings
GROUPS = (
    ("calls", _l("Follow-up calls")),
    ("complaints", _l("Complaints")),
    ("reminders", _l("Reminders")),
    ("other", _l("Lapsed customers, events and CSI")),
)
SETTINGS = (
    Setting("first_call_from_day", _l("First call: from day"), "int", 0, 30,
            _l("days after delivery; 0 = the delivery day"), "calls"),
    Setting("first_call_to_day", _l("First call: until day"), "int", 0, 30, _l("days after delivery"), "calls"),
    Setting("call_expires_days", _l("A call expires after (days)"), "int", 1, 60,
            _l("counted from the day its window opens"), "calls"),
    Setting("second_call_after_days", _l("Second call: days after the first"), "int", 1, 60, None, "calls"),
    Setting("retry_minutes", _l("Not reached: try again after (minutes)"), "int", 1, 1440, None, "calls"),
    Setting("hot_recall_days", _l("Dissatisfied: call again after (days)"), "int", 1, 30, None, "calls"),
    Setting("question_due_days", _l("The supervisor answers within (days)"), "int", 1, 30, None, "calls"),
    Setting("supervisor_id", _l("Supervisor"), "user", group="calls"),
    Setting("complaint_step_hours", _l("Hours for each step"), "int", 1, 720,
            _l("registering, judging, proposing, approving, confirming, calling back"), "complaints"),
    Setting("complaint_investigate_hours", _l("Hours to investigate"), "int", 1, 720, None, "complaints"),
    Setting("complaint_carry_out_hours", _l("Hours to carry out the solution"), "int", 1, 720, None, "complaints"),
    Setting("complaint_escalation_hours", _l("A late step goes higher after (hours)"), "int", 1, 720, None,
            "complaints"),
    Setting("service_interval_km", _l("Service interval (km)"), "int", 1000, 100000,
            _l("when the vehicle has none of its own"), "reminders"),
    Setting("service_interval_months", _l("Service interval (months)"), "int", 1, 36,
            _l("when the vehicle has none of its own"), "reminders"),
    Setting("maintenance_days_before", _l("Maintenance: remind days before"), "days", 1, 365, None, "reminders"),
    Setting("inspection_days_before", _l("Annual inspection: remind days before"), "days", 1, 365, None, "reminders"),
    Setting("insurance_days_before", _l("Insurance renewal: remind days before"), "days", 1, 365, None, "reminders"),
    Setting("birthday_days_before", _l("Birthday: remind days before"), "days", 1, 365, None, "reminders"),
    Setting("lapsed_months", _l("Lapsed after (months without a visit)"), "int", 1, 60, None, "other"),
    Setting("event_notice_days", _l("Event invitations: days ahead"), "int", 1, 90, None, "other"),
    Setting("csi_target", _l("CSI target (%)"), "percent", 0, 100, None, "other"),
)
DAYS_HINT = _l("whole days from 1 to 365, separated by commas, e.g. 30,15,7")


def supervisor_choices(store_id: int) -> list[User]:
    """Who may be the care supervisor: active staff of the store in customer care, the director or
    management."""
    roles = (Role.CARE.value, Role.DIRECTOR.value, Role.MANAGER.value)
    return list(db.session.scalars(select(User).where(
        User.store_id == store_id, User.active.is_(True),
        User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles)))).order_by(User.display_name, User.id)))


def _parse(setting: Setting, text: str, store_id: int):
    """Care's own kinds (a colleague, a list of days) here; whole numbers and percentages as every
    settings screen reads them (`core.settings_form.parse_number`)."""
    text = (text or "").strip()
    if setting.kind == "user":
        if not text:
            return None
        allowed = {u.id for u in supervisor_choices(store_id)}
        if not text.isdigit() or int(text) not in allowed:
            raise DomainError(_l("The supervisor must be an active colleague of this store in customer care, the "
                                 "director or management."))
        return int(text)
    if setting.kind == "days":
        parts = [p.strip() for p in text.replace("，", ",").split(",")]
        if not text or any(not p.isdigit() or len(p) > 3 or not 1 <= int(p) <= 365 for p in parts):
            raise DomainError(_l("“%(value)s” is not a list of whole days from 1 to 365.", value=text))
        return ",".join(str(n) for n in sorted({int(p) for p in parts}, reverse=True))
    return settings_form.parse_number(setting, text)


def shown_values(row: CareSettings) -> dict[str, str]:
    return settings_form.shown_values(SETTINGS, row)


def recent_changes(store_id: int, limit: int = 10) -> list[settings_form.SettingsChange]:
    """The last changes of the store's care settings (from the audit log). One query."""
    return settings_form.recent_changes(store_id, CareSettings, SETTINGS, limit)


def save_care_settings(store_id: int, values: dict) -> CareSettings:
    """Check every value of the store's care settings and save them all, or refuse them all
    (SettingsRefused names each field refused). A value missing from `values` is left as it is.
    Flushes; the caller commits."""
    row = settings_for(store_id)
    parsed, errors = settings_form.parse_all(SETTINGS, values, lambda setting, text: _parse(setting, text, store_id))
    first = parsed.get("first_call_from_day", row.first_call_from_day)
    last = parsed.get("first_call_to_day", row.first_call_to_day)
    if "first_call_to_day" not in errors and "first_call_from_day" not in errors and first > last:
        errors["first_call_to_day"] = _l("The first call's window must end on or after the day it opens "
                                         "(day %(first)s).", first=first)
    return settings_form.save_all(row, parsed, errors)
