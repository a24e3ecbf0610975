"""The overnight cars: the closing round confirms each one's key and parking spot."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.keys import services
from intranet.keys.forms import OvernightForm
from intranet.live.http import announce
from intranet.web import current_store, toast

BOARD = services.BOARD

overnight_bp = guard(Blueprint("overnight", __name__, url_prefix="/keys/overnight"),
                     Role.DIRECTOR, Role.CONTROLLER, Role.ADVISOR)


def _day(value: str | None) -> date:
    today = clock.store_today(current_store().timezone)
    try:
        day = datetime.strptime(value or "", "%Y-%m-%d").date()
    except ValueError:
        return today
    return min(day, today)


@overnight_bp.get("/")
def overnight():
    store = current_store()
    day = _day(request.args.get("day"))
    today = clock.store_today(store.timezone)
    return render_template("keys/overnight.html", rows=services.overnight_cars(store, day), day=day, today=today,
                           previous=day - timedelta(days=1), following=day + timedelta(days=1) if day < today else None)


@overnight_bp.post("/<int:ro_id>")
def confirm(ro_id: int):
    store = current_store()
    form = OvernightForm()
    day = _day(form.day.data)
    spot = form.parking_spot.data or ""
    error = None
    try:
        services.confirm_overnight(store, day, ro_id, parking_spot=spot, actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        error = refused.message
    else:
        db.session.commit()
    rows = services.overnight_cars(store, day, ro_id=ro_id)
    if not rows:
        message = error or _("This car is no longer staying overnight.")
        return toast(make_response("", 404), message)
    row = rows[0]
    row.error, row.typed_spot = error, (spot if error else None)
    response = make_response(render_template("keys/_overnight_row.html", row=row), 422 if error else 200)
    if error:
        return toast(response, error)
    return announce(toast(response, _("%(plate)s: key collected, parked at %(spot)s.", plate=row.ro.vehicle.plate,
                                      spot=row.spot), "success"), BOARD)
