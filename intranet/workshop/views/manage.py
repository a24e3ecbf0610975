"""The controller's end of day, the workshop's figures, time control and settings."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, Team
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, period_from_args, run_action, toast
from intranet.workshop import closing, figures, services, timecontrol
from intranet.workshop.forms import BayForm, EndOfDayForm, QcItemForm, StageStandardsForm, TechnicianForm
from intranet.workshop.models import Stage

manage_bp = guard(Blueprint("workshop_manage", __name__, url_prefix="/workshop/manage"),
                  Role.CONTROLLER, Role.DIRECTOR, Role.MANAGER, Role.ADMIN)


@manage_bp.get("/end-of-day")
def end_of_day():
    store = current_store()
    day = clock.store_today(store.timezone)
    return render_template("workshop/end_of_day.html", day=day, rows=closing.unfinished_cars(store, day),
                           techs=services.technicians(store.id))


@manage_bp.post("/end-of-day/<int:ro_id>")
def save_end_of_day(ro_id: int):
    store = current_store()
    day = clock.store_today(store.timezone)
    form = EndOfDayForm()
    error = None
    try:
        closing.save_note(ro_id, store=store, day=day, actor_id=current_user.id,
                          progress=form.progress.data, expected_finish=form.expected_finish.data,
                          overtime_hours=form.overtime_hours.data, overtime_technician_id=form.technician_id)
    except DomainError as refused:
        db.session.rollback()
        error = refused.message
    else:
        db.session.commit()
    row = next(iter(closing.unfinished_cars(store, day, ro_id=ro_id)), None)
    if row is None:
        return toast(make_response("", 200), _("This car is no longer unfinished."), "info")
    html = render_template("workshop/_eod_row.html", row=row, techs=services.technicians(store.id), error=error,
                           saved=error is None, form=form.data if error else None)
    return make_response(html, 422 if error else 200)


@manage_bp.get("/figures")
def workshop_figures():
    store = current_store()
    start, end = period_from_args()
    return render_template("workshop/figures.html", start=start, end=end,
                           people=figures.technician_figures(store, start, end),
                           days=figures.daily_figures(store, start, end))


@manage_bp.get("/time-control")
def time_control():
    store = current_store()
    return render_template("workshop/flags.html", flags=timecontrol.open_flags(store.id),
                           level_names=timecontrol.LEVEL_NAMES)


@manage_bp.get("/settings")
def settings():
    store = current_store()
    return render_template("workshop/settings.html", standards=timecontrol.stage_standards(store.id),
                           stages=list(Stage), techs=services.technicians(store.id, active_only=False),
                           teams=list(Team), items=services.qc_items(store.id), bays=services.bays(store.id))


@manage_bp.post("/settings/standards")
def save_standards():
    store = current_store()
    form = StageStandardsForm()
    run_action(lambda: timecontrol.set_stage_standards(store.id, form.minutes(), form.escalation_minutes.data),
               _("Standard times saved."))
    return redirect(url_for("workshop_manage.settings") + "#standards")


def _time_of_day(text: str | None):
    try:
        return datetime.strptime(text or "", "%H:%M").time()
    except ValueError:
        return None


@manage_bp.post("/settings/technicians/<int:user_id>")
def save_technician(user_id: int):
    store = current_store()
    form = TechnicianForm()
    run_action(lambda: services.save_technician(
        user_id, store_id=store.id, team=form.team.data or "", skills=form.skills.data, lead=form.lead.data,
        shift_starts=_time_of_day(form.shift_starts.data), shift_ends=_time_of_day(form.shift_ends.data)),
        _("Technician saved."))
    return redirect(url_for("workshop_manage.settings") + "#technicians")


@manage_bp.post("/settings/qc-items")
def add_qc_item():
    store = current_store()
    form = QcItemForm()
    run_action(lambda: services.add_qc_item(store.id, form.team.data or None, form.text.data or ""),
               _("Checklist point added."))
    return redirect(url_for("workshop_manage.settings") + "#checklist")


@manage_bp.post("/settings/qc-items/<int:item_id>/remove")
def remove_qc_item(item_id: int):
    store = current_store()
    run_action(lambda: services.remove_qc_item(store.id, item_id), _("Checklist point removed."))
    return redirect(url_for("workshop_manage.settings") + "#checklist")


@manage_bp.post("/settings/bays")
def add_bay():
    store = current_store()
    form = BayForm()
    run_action(lambda: services.add_bay(store.id, form.team.data or "", form.code.data or "", form.name.data or ""),
               _("Bay added."))
    return redirect(url_for("workshop_manage.settings") + "#bays")
