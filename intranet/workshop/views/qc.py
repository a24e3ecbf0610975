"""The final inspection and the wash."""
from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role, ROStatus
from intranet.reception.services import get_repair_order
from intranet.web import current_store, one_time_token, run_action, run_form
from intranet.workshop import services
from intranet.workshop.forms import InspectionForm

qc_bp = guard(Blueprint("qc", __name__, url_prefix="/workshop/qc"), Role.INSPECTOR, Role.CONTROLLER, Role.DIRECTOR)


@qc_bp.get("/")
def queue():
    store = current_store()
    return render_template("workshop/qc_queue.html",
                           waiting=services.cars_in(store.id, {ROStatus.QUALITY_CHECK}),
                           washing=services.cars_in(store.id, {ROStatus.WASHING}))


@qc_bp.route("/ro/<int:ro_id>", methods=["GET", "POST"])
def check(ro_id: int):
    store = current_store()
    ro = get_repair_order(ro_id, store.id)
    done, items = services.checklist(store.id, ro.id)
    form = InspectionForm()
    outcome_pressed = form.outcome.data or ""
    outcome = run_form(form, lambda: services.inspect(
        ro.id, store_id=store.id, actor_id=current_user.id, passed=outcome_pressed.startswith("pass"),
        failed_item_ids=set(form.failed.data or ()), reason=form.reason.data,
        rework_job_ids=set(form.rework.data or ()), wash=outcome_pressed != "pass_ready", token=form.token.data))
    if outcome.done:
        return redirect(url_for("qc.queue"))
    error = outcome.error or next((message for errors in form.errors.values() for message in errors), None)
    return make_response(render_template(
        "workshop/qc_check.html", ro=ro, done=done, items=items, failed=set(form.failed.data or ()), error=error,
        inspections=services.inspections_of(ro.id), token=one_time_token(), reason=form.reason.data or ""),
        outcome.status)


@qc_bp.post("/ro/<int:ro_id>/washed")
def washed(ro_id: int):
    store = current_store()
    run_action(lambda: services.car_washed(ro_id, store_id=store.id, actor_id=current_user.id),
               _("Washed: the advisor is told the car is ready."))
    return redirect(url_for("qc.queue"))
