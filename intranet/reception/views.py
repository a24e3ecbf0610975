"""Reception: a car arrives and is checked in on a repair order."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role, Vehicle
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.http import announce
from intranet.reception.forms import CheckInForm
from intranet.reception import services
from intranet.web import current_store, run_form, toast

bp = guard(Blueprint("reception", __name__, url_prefix="/reception"), Role.ADVISOR, Role.DIRECTOR)


@bp.route("/check-in/<int:vehicle_id>", methods=["GET", "POST"])
def check_in(vehicle_id: int):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.store_id != current_store().id:
        abort(404)
    form = CheckInForm()
    outcome = run_form(form, lambda: _check_in(vehicle, form))
    if outcome.done:
        flash(_("%(plate)s checked in on %(number)s.", plate=vehicle.plate, number=outcome.result.number), "success")
        return redirect(url_for("core.home"))
    return render_template("reception/check_in.html", form=form, error=outcome.error, vehicle=vehicle), outcome.status


def _check_in(vehicle: Vehicle, form: CheckInForm):
    return services.check_in(store_id=vehicle.store_id, vehicle_id=vehicle.id, actor_id=current_user.id,
                    odometer_km=form.odometer_km.data, odometer_reason=form.odometer_reason.data,
                    complaint=form.complaint.data)


@bp.post("/quick-check-in")
def quick_check_in():
    """From the store-today board: check a known car in by its plate. Answers with the board."""
    from intranet.today.views import render_board

    store = current_store()
    try:
        ro = services.check_in(store_id=store.id, plate=request.form.get("plate", ""), actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        # The board did not change: show the reason next to the form, which keeps what was typed.
        response = make_response(render_template("today/_quick_error.html", quick_error=refused.message), 422)
        response.headers["HX-Retarget"] = "#quick-error"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    db.session.commit()
    cleared = '<div id="quick-error" hx-swap-oob="true"></div>'
    response = make_response(render_board(store) + cleared)
    toast(response, _("%(plate)s checked in on %(number)s.", plate=ro.vehicle.plate, number=ro.number), "success")
    return announce(response, "today")
