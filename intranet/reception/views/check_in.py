"""Checking a car in: from its file, or by plate from the store-today board."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.core.models import Vehicle
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.http import announce
from intranet.reception import services
from intranet.reception.forms import CheckInForm, QuickCheckInForm
from intranet.reception.views.common import bp
from intranet.today.views import render_board
from intranet.core.services import commit_unit
from intranet.web import current_store, run_form, toast


@bp.route("/check-in/<int:vehicle_id>", methods=["GET", "POST"])
def check_in(vehicle_id: int):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.store_id != current_store().id:
        abort(404)
    form = CheckInForm()
    outcome = run_form(form, lambda: services.check_in(
        store_id=vehicle.store_id, vehicle_id=vehicle.id, actor_id=current_user.id,
        odometer_km=form.odometer_km.data, odometer_reason=form.odometer_reason.data,
        complaint=form.complaint.data, origin_token=form.origin_token.data))
    if outcome.done:
        ro = outcome.result
        flash(_("%(plate)s checked in on %(number)s.", plate=vehicle.plate, number=ro.number), "success")
        return redirect(url_for("reception.repair_order", ro_id=ro.id))
    return render_template("reception/check_in.html", form=form, error=outcome.error, vehicle=vehicle), outcome.status


@bp.post("/quick-check-in")
def quick_check_in():
    """From the store-today board: check a known car in by its plate. Answers with the board."""
    store = current_store()
    try:
        plate = QuickCheckInForm().plate.data or ""
        ro = commit_unit(lambda: services.check_in(store_id=store.id, plate=plate, actor_id=current_user.id))
    except DomainError as refused:
        db.session.rollback()
        # The board did not change: show the reason next to the form, which keeps what was typed.
        response = make_response(render_template("today/_quick_error.html", quick_error=refused.message), 422)
        response.headers["HX-Retarget"] = "#quick-error"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    cleared = '<div id="quick-error" hx-swap-oob="true"></div>'
    response = make_response(render_board(store) + cleared)
    toast(response, _("%(plate)s checked in on %(number)s.", plate=ro.vehicle.plate, number=ro.number), "success")
    return announce(response, "today")
