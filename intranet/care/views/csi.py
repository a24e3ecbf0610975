"""CSI and the care figures (care, the director, management; advisors read them), and the import
of the manufacturer's survey scores (care, the director, management)."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import csi
from intranet.care.forms import CsiImportForm
from intranet.care.settings import settings_for
from intranet.core.models import Role
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, period_from_args

bp = guard(Blueprint("csi", __name__, url_prefix="/care/csi"),
           Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR)
import_bp = guard(Blueprint("csi_import", __name__, url_prefix="/care/csi/import"),
                  Role.CARE, Role.DIRECTOR, Role.MANAGER)
BLUEPRINTS = [bp, import_bp]

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
    form = CsiImportForm()
    report, error = None, None
    scale = form.scale.data or csi.SCALE_AUTO
    if request.method == "POST":
        upload = form.file.data
        try:
            form.check()
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
