"""CSI and the care figures (care, the director, management; advisors read them), the import of
the manufacturer's survey scores (care, the director, management), and the store's customer-care
settings (the director, the administrator)."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import csi
from intranet.care.settings import (
    DAYS_HINT, GROUPS, SETTINGS, SettingsRefused, save_care_settings, settings_for, supervisor_choices,
)
from intranet.core.models import Role
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
