"""The director's day: the work log of a day (filled in from the intranet, plus the director's own
notes), the huddle agenda, and the Monday quality meeting pack. Management reads them; only the
director writes a log.

The log saves on its own when a text box loses focus (and with its button): the answer updates
only the "saved" line and the version the form carries, so nothing being typed is disturbed. A
save from a page older than the log answers 409 with the form showing the director's text, kept,
beside the text saved meanwhile."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from intranet.auth import access
from intranet.auth.access import guard
from intranet.care.models import ComplaintCategory
from intranet.core.models import Role
from intranet.director import day as services
from intranet.director.week import default_week, week_pack
from intranet.director.forms import WorkLogForm
from intranet.director.models import WorkLog
from intranet.director.views.shared import store_now
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import is_htmx_request

bp = guard(Blueprint("director_day", __name__, url_prefix="/director/day"), Role.DIRECTOR, Role.MANAGER)
log_bp = guard(Blueprint("director_log", __name__, url_prefix="/director/day/log"), Role.DIRECTOR)


EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # beyond these, the neighbouring days overflow


def _date(value: str | None, default: date) -> date:
    try:
        parsed = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return default
    return parsed if EARLIEST <= parsed <= LATEST else default


@dataclass
class LogForm:
    """The director's own log form as shown: the text typed (or saved), the version it was loaded
    at, and after a refused save the message and the log as saved meanwhile."""

    day: date
    notes: str = ""
    problems: str = ""
    version: int = 0
    updated_at: datetime | None = None
    current: WorkLog | None = None  # the log saved meanwhile (a stale save)
    error: object = None
    errors: dict = field(default_factory=dict)

    @classmethod
    def of(cls, day: date, log: WorkLog | None) -> LogForm:
        if log is None:
            return cls(day=day)
        return cls(day=day, notes=log.notes or "", problems=log.problems or "", version=log.version,
                   updated_at=log.updated_at)


# customer care's pages the complaints section links to (when the viewer may open them)
COMPLAINT_ENDPOINTS = ("complaints.page",)
COMPLAINT_LIST_ENDPOINTS = ("complaints.index",)
CALL_ENDPOINTS = ("calls.call",)


def _link(endpoints, **values) -> str | None:
    """The URL of the first of `endpoints` that exists and the viewer may open; None otherwise."""
    for endpoint in endpoints:
        if endpoint in current_app.view_functions and access.can_open(current_user, endpoint):
            try:
                return url_for(endpoint, **values)
            except BuildError:
                continue
    return None


def _render_page(store, day: date, now, today, form: LogForm | None, status: int = 200):
    sheet = services.day_sheet(store, day, now)
    if form is None and current_user.has_role(Role.DIRECTOR):
        form = LogForm.of(day, sheet.log_of(current_user.id))
    others = [log for log in sheet.logs if log.author_id != current_user.id]
    return render_template("director/day/page.html", sheet=sheet, form=form, others=others,
                           previous_day=day - timedelta(days=1),
                           next_day=day + timedelta(days=1) if day < today else None,
                           complaint_url=lambda complaint_id: _link(COMPLAINT_ENDPOINTS, complaint_id=complaint_id),
                           complaints_url=_link(COMPLAINT_LIST_ENDPOINTS),
                           call_url=lambda call_id: _link(CALL_ENDPOINTS, call_id=call_id),
                           categories={c.value: c.label for c in ComplaintCategory}), status


@bp.get("/")
def page():
    store, now, today = store_now()
    day = min(_date(request.args.get("day"), today), today)  # a log of a day still to come has nothing in it
    return _render_page(store, day, now, today, None)


@log_bp.post("/")
def save():
    store, now, today = store_now()
    posted = WorkLogForm()
    day = _date(posted.day.data, today)
    notes, problems = posted.notes.data or "", posted.problems.data or ""
    form = LogForm(day=day, notes=notes, problems=problems, version=posted.expected_version or 0)
    try:
        log = services.save_log(store.id, day, author_id=current_user.id, notes=notes, problems=problems,
                                expected_version=form.version, today=today)
    except services.StaleLog as stale:
        db.session.rollback()
        form.current, form.error = stale.current, stale.message
        form.version = stale.current.version if stale.current else 0
        return _refused(store, day, now, today, form, 409)
    except DomainError as refused:
        db.session.rollback()
        if refused.field in ("notes", "problems"):
            form.errors[refused.field] = refused.message
        else:
            form.error = refused.message
        return _refused(store, day, now, today, form, 422)
    saved_day, version, updated_at = log.day, log.version, log.updated_at
    db.session.commit()
    if is_htmx_request():
        return render_template("director/day/_log_saved.html", version=version, updated_at=updated_at)
    flash(_("Work log saved."), "success")
    return redirect(url_for("director_day.page", day=saved_day.isoformat(), _anchor="day-log"))


def _refused(store, day, now, today, form: LogForm, status: int):
    if is_htmx_request():
        response = make_response(render_template("director/day/_log_form.html", form=form), status)
        response.headers["HX-Retarget"] = "#day-log"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return _render_page(store, min(day, today), now, today, form, status)


@bp.get("/huddle")
def huddle():
    store, now, today = store_now()
    day = _date(request.args.get("day"), services.default_huddle_day(store, now))
    return render_template("director/day/huddle.html", agenda=services.huddle(store, day, now), today=today)


@bp.get("/week")
def week():
    store, now, today = store_now()
    any_day = _date(request.args.get("week"), default_week(today))
    pack = week_pack(store, any_day, now)
    return render_template("director/day/week.html", pack=pack, today=today,
                           next_week=pack.monday + timedelta(weeks=1) if pack.sunday < today else None)
