"""Home ("my day") for every role, finding cars and customers, and keeping their records. The
blueprints keep their names ("core", "records"), so endpoints read as before."""
from __future__ import annotations

from flask import (
    Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet import clock
from intranet.auth.access import can_open, contacts_shown, guard, sees_all_contacts
from intranet.care.customer_file import HISTORY_KINDS, customer_file
from intranet.core import notices, services
from intranet.core.forms import CustomerForm, CustomerWithVehicleForm, VehicleForm
from intranet.core.models import Customer, Photo, RepairOrder, Role, Vehicle
from intranet.errors import NotFound
from intranet.extensions import db
from intranet.home.layouts import HOMES, home_data
from intranet.live.http import board_etag, conditional_board
from intranet.reception.services import ON_SITE_FOR_FINDINGS, declined_work
from intranet.web import active_role, current_store, is_htmx_request, run_form
from intranet.web.panels import PANELS

bp = guard(Blueprint("core", __name__))
records_bp = guard(Blueprint("records", __name__, url_prefix="/records"),
                   Role.ADVISOR, Role.CARE, Role.DIRECTOR, Role.ACCIDENT, Role.WARRANTY, Role.MANAGER, Role.ADMIN)


def live_panels() -> tuple[str, ...]:
    """The panels that change as cars move (they refresh themselves); the rest on reload."""
    return tuple(name for name, panel in PANELS.items() if panel.live)


@bp.get("/")
def home():
    role = active_role()
    store = current_store()
    data = home_data(store, current_user, role, current_app.config)
    base, minute = board_etag("today", store.id), f"{clock.utcnow():%H%M}"
    live = live_panels()
    etags = {name: f"{base}-{role}-{name}-{minute}" for name in live}  # as conditional_board makes them
    return render_template("core/home.html", role=role, live_panels=live, etags=etags, **data)


@bp.get("/home/panels/<name>")
def panel(name: str):
    """One panel of "my day", live: answers 304 until the store-today board changes (or a minute passes)."""
    role = active_role()
    if name not in HOMES[role].panels:
        abort(404)
    store = current_store()

    def render(etag: str) -> str:
        data = home_data(store, current_user, role, current_app.config, only=name)
        return render_template("core/_live_panel.html", panel=name, etag=etag, **data)

    return conditional_board("today", store.id, render, extra=f"{role}-{name}-{clock.utcnow():%H%M}")


@bp.get("/search")
def search():
    query = request.args.get("q", "").strip()
    vehicles = services.search_vehicles(current_store().id, query, by_mobile=sees_all_contacts(current_user)) \
        if query else []
    shown = contacts_shown(current_user, [v.customer_id for v in vehicles])
    # the words every result repeats, translated once for the list
    words = {"vin": _("VIN …%(tail)s"), "km": _("%(km)s km")}
    if is_htmx_request():
        return render_template("core/_search_results.html", vehicles=vehicles, query=query, contacts=shown,
                               words=words)
    return render_template("core/search.html", vehicles=vehicles, query=query, contacts=shown, words=words)


def _own_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.store_id != current_store().id:
        abort(404)
    return customer


def _own_vehicle(vehicle_id: int) -> Vehicle:
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.store_id != current_store().id:
        abort(404)
    return vehicle


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    """The customer file: contact, wishes, each car's coming dates; for the roles that look after
    customers also how complete the file is and the whole history."""
    store = current_store()
    full = can_open(current_user, "customer_files.index")
    try:
        found = customer_file(customer_id, store.id, today=clock.store_today(store.timezone), tz=store.timezone,
                              with_history=full)
    except NotFound:
        abort(404)
    kind = request.args.get("kind", "")
    kind = kind if kind in HISTORY_KINDS else ""
    kind_counts: dict[str, int] = {}
    for entry in found.history:
        kind_counts[entry.kind] = kind_counts.get(entry.kind, 0) + 1
    history = [e for e in found.history if e.kind == kind] if kind else found.history
    return render_template("core/customer.html", customer=found.customer, file=found, full=full, kind=kind,
                           history=history, history_kinds=HISTORY_KINDS, kind_counts=kind_counts,
                           contact=bool(contacts_shown(current_user, [customer_id])))


@bp.get("/vehicles/<int:vehicle_id>")
def vehicle(vehicle_id: int):
    found = _own_vehicle(vehicle_id)
    visits = db.session.scalars(
        select(RepairOrder).options(selectinload(RepairOrder.advisor))
        .where(RepairOrder.vehicle_id == vehicle_id).order_by(RepairOrder.opened_at.desc()).limit(50)).all()
    on_site = next((ro for ro in visits if ro.status_enum in ON_SITE_FOR_FINDINGS), None)
    return render_template("core/vehicle.html", vehicle=found, visits=visits, on_site=on_site,
                           declined=declined_work(vehicle_id),
                           contact=bool(contacts_shown(current_user, [found.customer_id])))


@bp.get("/photos/<int:photo_id>")
def photo(photo_id: int):
    found = db.session.get(Photo, photo_id)
    if found is None or found.store_id != current_store().id:
        abort(404)
    response = send_from_directory(current_app.config["PHOTO_FOLDER"], found.path, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _vehicle_fields(form) -> dict:
    return {"plate": form.plate.data, "model": form.model.data, "vin": form.vin.data, "colour": form.colour.data,
            "model_year": form.model_year.data, "open_notes": form.open_notes.data,
            **{name: form[name].data for name in services.FILE_FIELDS}}


def _customer_fields(form) -> dict:
    return {"name": form.name.data, "mobile": form.mobile.data, "address": form.address.data,
            "birthday": form.birthday.data, "preferred_contact_time": form.preferred_contact_time.data,
            "note": form.note.data, "wechat": form.wechat.data, "wishes": form.wishes.data}


@records_bp.route("/customers/new", methods=["GET", "POST"])
def new_customer():
    form = CustomerWithVehicleForm()
    store_id = current_store().id

    def create():
        customer = services.create_customer(store_id=store_id, **_customer_fields(form))
        car = services.create_vehicle(store_id=store_id, customer_id=customer.id,
                                      odometer_km=form.odometer_km.data, **_vehicle_fields(form))
        return customer, car

    outcome = run_form(form, create)
    if outcome.done:
        customer, car = outcome.result
        flash(_("Customer %(name)s and car %(plate)s saved.", name=customer.name, plate=car.plate), "success")
        return redirect(url_for("core.customer", customer_id=customer.id))
    return render_template("core/customer_form.html", form=form, error=outcome.error, customer=None), outcome.status


@records_bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def edit_customer(customer_id: int):
    customer = _own_customer(customer_id)
    form = CustomerForm(obj=customer)
    outcome = run_form(form, lambda: services.update_customer(customer_id, store_id=customer.store_id,
                                                              **_customer_fields(form)))
    if outcome.done:
        flash(_("Customer saved."), "success")
        return redirect(url_for("core.customer", customer_id=customer_id))
    return render_template("core/customer_form.html", form=form, error=outcome.error,
                           customer=customer), outcome.status


@records_bp.route("/customers/<int:customer_id>/vehicles/new", methods=["GET", "POST"])
def new_vehicle(customer_id: int):
    customer = _own_customer(customer_id)
    form = VehicleForm()
    outcome = run_form(form, lambda: services.create_vehicle(
        store_id=customer.store_id, customer_id=customer_id, odometer_km=form.odometer_km.data,
        **_vehicle_fields(form)))
    if outcome.done:
        flash(_("Car saved."), "success")
        return redirect(url_for("core.customer", customer_id=customer_id))
    return render_template("core/vehicle_form.html", form=form, error=outcome.error, customer=customer,
                           vehicle=None), outcome.status


@records_bp.route("/vehicles/<int:vehicle_id>/edit", methods=["GET", "POST"])
def edit_vehicle(vehicle_id: int):
    vehicle = _own_vehicle(vehicle_id)
    form = VehicleForm(obj=vehicle)
    del form.odometer_km  # the odometer is read at reception, not typed over here
    outcome = run_form(form, lambda: services.update_vehicle(vehicle_id, store_id=vehicle.store_id,
                                                             **_vehicle_fields(form)))
    if outcome.done:
        flash(_("Car saved."), "success")
        return redirect(url_for("core.vehicle", vehicle_id=vehicle_id))
    return render_template("core/vehicle_form.html", form=form, error=outcome.error, customer=vehicle.customer,
                           vehicle=vehicle), outcome.status


@bp.get("/notices")
def notices_page():
    items = notices.recent(current_user.id)
    return render_template("core/notices.html", items=items, text_of=notices.text_of)


@bp.get("/notices/<int:notice_id>")
def open_notice(notice_id: int):
    """Mark the notice read and go where it points."""
    notice = notices.open_notice(current_user.id, notice_id)
    if notice is None:
        abort(404)
    db.session.commit()
    return redirect(notice.link if notice.link and notice.link.startswith("/") else url_for("core.notices_page"))


@bp.post("/notices/read")
def read_notices():
    notices.mark_read(current_user.id)
    db.session.commit()
    return redirect(url_for("core.notices_page"))
