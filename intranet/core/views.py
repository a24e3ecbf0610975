"""Home ("my day") for every role, finding cars and customers, and keeping their records."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from intranet.auth.access import guard
from intranet.core import services
from intranet.core.forms import CustomerForm, CustomerWithVehicleForm, VehicleForm
from intranet.core.homes import home_data
from intranet.core.models import Customer, RepairOrder, Role, Vehicle
from intranet.errors import DomainError
from intranet.extensions import db, htmx
from intranet.web import active_role, attach_error, current_store

bp = guard(Blueprint("core", __name__))
records_bp = guard(Blueprint("records", __name__, url_prefix="/records"),
                   Role.ADVISOR, Role.CARE, Role.DIRECTOR, Role.ACCIDENT, Role.WARRANTY, Role.MANAGER, Role.ADMIN)


@bp.get("/")
def home():
    role = active_role()
    data = home_data(current_store(), current_user, role, current_app.config)
    return render_template("core/home.html", role=role, **data)


@bp.get("/search")
def search():
    query = request.args.get("q", "").strip()
    vehicles = services.search_vehicles(current_store().id, query) if query else []
    if htmx and not htmx.history_restore_request:
        return render_template("core/_search_results.html", vehicles=vehicles, query=query)
    return render_template("core/search.html", vehicles=vehicles, query=query)


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    found = db.session.scalar(
        select(Customer).options(selectinload(Customer.vehicles))
        .where(Customer.id == customer_id, Customer.store_id == current_store().id))
    if found is None:
        abort(404)
    return render_template("core/customer.html", customer=found)


@bp.get("/vehicles/<int:vehicle_id>")
def vehicle(vehicle_id: int):
    found = db.session.get(Vehicle, vehicle_id)
    if found is None or found.store_id != current_store().id:
        abort(404)
    visits = db.session.scalars(
        select(RepairOrder).options(selectinload(RepairOrder.advisor))
        .where(RepairOrder.vehicle_id == vehicle_id).order_by(RepairOrder.opened_at.desc()).limit(50)).all()
    return render_template("core/vehicle.html", vehicle=found, visits=visits)


@records_bp.route("/customers/new", methods=["GET", "POST"])
def new_customer():
    form = CustomerWithVehicleForm()
    error = None
    if form.validate_on_submit():
        store_id = current_store().id
        try:
            customer = services.create_customer(
                store_id=store_id, name=form.name.data, mobile=form.mobile.data, address=form.address.data,
                birthday=form.birthday.data, preferred_contact_time=form.preferred_contact_time.data,
                note=form.note.data)
            services.create_vehicle(
                store_id=store_id, customer_id=customer.id, plate=form.plate.data, model=form.model.data,
                vin=form.vin.data, colour=form.colour.data, model_year=form.model_year.data,
                odometer_km=form.odometer_km.data)
        except DomainError as refused:
            db.session.rollback()
            error = attach_error(form, refused)
        else:
            db.session.commit()
            flash(_("Customer %(name)s and car %(plate)s saved.", name=customer.name,
                    plate=customer.vehicles[0].plate), "success")
            return redirect(url_for("core.customer", customer_id=customer.id))
    status = 422 if form.errors or error else 200
    return render_template("core/customer_form.html", form=form, error=error, customer=None), status


@records_bp.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def edit_customer(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.store_id != current_store().id:
        abort(404)
    form = CustomerForm(obj=customer)
    error = None
    if form.validate_on_submit():
        try:
            services.update_customer(
                customer_id, store_id=customer.store_id, name=form.name.data, mobile=form.mobile.data,
                address=form.address.data, birthday=form.birthday.data,
                preferred_contact_time=form.preferred_contact_time.data, note=form.note.data)
        except DomainError as refused:
            db.session.rollback()
            error = attach_error(form, refused)
        else:
            db.session.commit()
            flash(_("Customer saved."), "success")
            return redirect(url_for("core.customer", customer_id=customer_id))
    status = 422 if form.errors or error else 200
    return render_template("core/customer_form.html", form=form, error=error, customer=customer), status


@records_bp.route("/customers/<int:customer_id>/vehicles/new", methods=["GET", "POST"])
def new_vehicle(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None or customer.store_id != current_store().id:
        abort(404)
    form = VehicleForm()
    error = None
    if form.validate_on_submit():
        try:
            services.create_vehicle(
                store_id=customer.store_id, customer_id=customer_id, plate=form.plate.data, model=form.model.data,
                vin=form.vin.data, colour=form.colour.data, model_year=form.model_year.data,
                odometer_km=form.odometer_km.data)
        except DomainError as refused:
            db.session.rollback()
            error = attach_error(form, refused)
        else:
            db.session.commit()
            flash(_("Car saved."), "success")
            return redirect(url_for("core.customer", customer_id=customer_id))
    status = 422 if form.errors or error else 200
    return render_template("core/vehicle_form.html", form=form, error=error, customer=customer, vehicle=None), status


@records_bp.route("/vehicles/<int:vehicle_id>/edit", methods=["GET", "POST"])
def edit_vehicle(vehicle_id: int):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.store_id != current_store().id:
        abort(404)
    form = VehicleForm(obj=vehicle)
    del form.odometer_km  # the odometer is read at reception, not typed over here
    error = None
    if form.validate_on_submit():
        try:
            services.update_vehicle(
                vehicle_id, store_id=vehicle.store_id, plate=form.plate.data, model=form.model.data,
                vin=form.vin.data, colour=form.colour.data, model_year=form.model_year.data)
        except DomainError as refused:
            db.session.rollback()
            error = attach_error(form, refused)
        else:
            db.session.commit()
            flash(_("Car saved."), "success")
            return redirect(url_for("core.vehicle", vehicle_id=vehicle_id))
    status = 422 if form.errors or error else 200
    return render_template("core/vehicle_form.html", form=form, error=error, customer=vehicle.customer,
                           vehicle=vehicle), status
