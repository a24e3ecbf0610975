"""CSI and the care figures (care, the director, management; advisors read them), the import of
the manufacturer's survey scores (care, the director, management), and the store's customer-care
settings (the director, the administrator)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import csi
from intranet.care.settings import settings_for
from intranet.core.models import Role, User, UserRole
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, period_from_args

bp = guard(Blueprint("csi", __name__, url_prefix="/care/csi"),
           Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR)
import_bp = guard(Blueprint("csi_import", __name__, url_prefix="/care/csi/import"),
                  Role.CARE, Role.DIRECTOR, Role.MANAGER)
settings_bp = guard(Blueprint("care_settings", __name__, url_prefix="/care/settings"), Role.DIRECTOR, Role.ADMIN)
BLUEPRINTS = [bp, import_bp, settings_bp]

GRID_MONTHS = 6


# ------------------------------------------------------------------ CSI and the figures

def _raw_date(name: str) -> tuple[str, date | None]:
    text = (request.args.get(name) or "").strip()
    try:
        return text, datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return text, None


def _period():
    """(start, end, error): the period asked for; a period the wrong way round is refused (the
    dates typed stay in the form), as is a date that is not one."""
    (start_text, start), (end_text, end) = _raw_date("start"), _raw_date("end")
    if (start_text and start is None) or (end_text and end is None):
        return start_text, end_text, _("“%(value)s” is not a date.", value=start_text if start is None else end_text)
    if start and end and start > end:
        return start_text, end_text, _("The period starts (%(start)s) after it ends (%(end)s): put the earlier date "
                                       "first.", start=start_text, end=end_text)
    start, end = period_from_args()
    return start, end, None


@bp.get("/", endpoint="index")
def index():
    store = current_store()
    today = clock.store_today(store.timezone)
    start, end, error = _period()
    figures = None if error else csi.care_figures(store.id, start, end)
    last_month = csi.month_start(min(end, today) if not error else today)
    grid = csi.csi_by_advisor(store.id, csi.recent_months(last_month, GRID_MONTHS))
    return render_template("care/csi/index.html", start=start, end=end, error=error, figures=figures, grid=grid,
                           today=today, may_import=access.can_open(current_user, "csi_import.page"),
                           viewer_id=current_user.id), 422 if error else 200


# ------------------------------------------------------------------ import

@import_bp.route("/", methods=["GET", "POST"], endpoint="page")
def import_page():
    store = current_store()
    report, error = None, None
    scale = request.form.get("scale", csi.SCALE_AUTO)
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            report = csi.import_scores(store.id, current_user.id, upload,
                                       upload.filename if upload else None, scale=scale)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        except IntegrityError:  # the same scores imported from another screen at the same moment
            db.session.rollback()
            error = _("These scores were being imported from another screen at the same time. Import the file "
                      "again: rows already in are updated, not doubled.")
    return render_template("care/csi/import.html", report=report, error=error, scale=scale,
                           columns=csi.COLUMNS, recent=csi.recent_imports(store.id),
                           target=settings_for(store.id).csi_target), 422 if error else 200


# ------------------------------------------------------------------ care settings

@dataclass(frozen=True)
class Setting:
    name: str
    label: object
    kind: str  # "int", "days" (a list of days like 30,15,7), "percent", "user"
    low: int | None = None
    high: int | None = None
    hint: object = None
    group: str = ""


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


class SettingsRefused(DomainError):
    """One or more values refused; `errors` maps each field to its message."""

    def __init__(self, errors: dict):
        super().__init__(_l("Some values were refused; nothing was saved. See the fields marked."))
        self.errors = errors


def supervisor_choices(store_id: int) -> list[User]:
    """Who may be the care supervisor: active staff of the store in customer care, the director or
    management."""
    roles = (Role.CARE.value, Role.DIRECTOR.value, Role.MANAGER.value)
    return list(db.session.scalars(select(User).where(
        User.store_id == store_id, User.active.is_(True),
        User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles)))).order_by(User.display_name, User.id)))


def _parse(setting: Setting, text: str, store_id: int):
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
        if not text or any(not p.isdigit() or not 1 <= int(p) <= 365 for p in parts):
            raise DomainError(_l("“%(value)s” is not a list of whole days from 1 to 365.", value=text))
        return ",".join(str(n) for n in sorted({int(p) for p in parts}, reverse=True))
    if setting.kind == "percent":
        try:
            value = Decimal(text.rstrip("%"))
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= 100:
            raise DomainError(_l("A percentage from 0 to 100."))
        return value.quantize(Decimal("0.1"))
    if not text.isdigit() or not setting.low <= int(text) <= setting.high:
        raise DomainError(_l("A whole number from %(low)s to %(high)s.", low=setting.low, high=setting.high))
    return int(text)


def save_care_settings(store_id: int, values: dict) -> object:
    """Check every value of the store's care settings and save them all, or refuse them all
    (SettingsRefused names each field refused). A value missing from `values` is left as it is.
    Flushes; the caller commits."""
    row = settings_for(store_id)
    parsed, errors = {}, {}
    for setting in SETTINGS:
        if setting.name not in values:
            continue
        try:
            parsed[setting.name] = _parse(setting, values[setting.name], store_id)
        except DomainError as refused:
            errors[setting.name] = refused.message
    first = parsed.get("first_call_from_day", row.first_call_from_day)
    last = parsed.get("first_call_to_day", row.first_call_to_day)
    if "first_call_to_day" not in errors and "first_call_from_day" not in errors and first > last:
        errors["first_call_to_day"] = _l("The first call's window must end on or after the day it opens "
                                         "(day %(first)s).", first=first)
    if errors:
        raise SettingsRefused(errors)
    for name, value in parsed.items():
        setattr(row, name, value)
    db.session.flush()
    return row


def _shown_values(row) -> dict:
    return {s.name: "" if getattr(row, s.name) is None else str(getattr(row, s.name)) for s in SETTINGS}


@settings_bp.route("/", methods=["GET", "POST"], endpoint="page")
def settings_page():
    store = current_store()
    errors, error = {}, None
    if request.method == "POST":
        values = {s.name: request.form.get(s.name, "") for s in SETTINGS}
        try:
            save_care_settings(store.id, values)
        except SettingsRefused as refused:
            db.session.rollback()
            errors, error = refused.errors, refused.message
        else:
            db.session.commit()
            flash(_("Customer-care settings saved."), "success")
            return redirect(url_for(".page"))
    else:
        values = _shown_values(settings_for(store.id))
        db.session.commit()  # the row is made on first use
    return render_template("care/settings.html", settings=SETTINGS, groups=GROUPS, values=values, errors=errors,
                           error=error, supervisors=supervisor_choices(store.id), days_hint=DAYS_HINT), \
        422 if error else 200
