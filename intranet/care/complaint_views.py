"""Complaints (投诉处理): the list, registering one, the complaint's page with its steps in turn,
and the month's statistics and analysis. Object-level rules (who may take which step) are in
intranet.care.complaints."""
from __future__ import annotations

import base64
from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from intranet import clock
from intranet.auth.access import guard
from intranet.care import complaint_figures
from intranet.care import complaints as service
from intranet.care.models import (
    Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus, Department,
)
from intranet.core.models import Customer, RepairOrder, Role, User, Vehicle
from intranet.core.services import search_vehicles
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, form_int

bp = guard(Blueprint("complaints", __name__, url_prefix="/care/complaints"),
           Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.CONTROLLER)
BLUEPRINTS = [bp]

STATUS_FILTERS = (("open", _l("Open")), ("all", _l("All")))


def _or_404(lookup):
    try:
        return lookup()
    except NotFound:
        abort(404)


def _month_arg(name: str = "month") -> date | None:
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m").date()
    except ValueError:
        return None


def _now_local() -> datetime:
    return clock.to_store_time(clock.utcnow(), current_store().timezone).replace(tzinfo=None)


def _labels() -> dict:
    return {"channels": list(ComplaintChannel), "categories": list(ComplaintCategory),
            "departments": list(Department)}


# ------------------------------------------------------------------ the list
@bp.get("/", endpoint="index")
def index():
    store = current_store()
    status = request.args.get("status", "open")
    if status not in {"open", "all"} | {s.value for s in ComplaintStatus}:
        status = "open"
    category = request.args.get("category") or None
    department = request.args.get("department") or None
    advisor_id = request.args.get("advisor_id", type=int)
    month = _month_arg()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, more = service.list_complaints(store.id, status=status, category=category, department=department,
                                         advisor_id=advisor_id, month=month, page=page)
    advisors = list(db.session.scalars(select(User).where(
        User.store_id == store.id, User.role_rows.any(role=Role.ADVISOR.value)).order_by(User.display_name)))
    filters = {"status": status, "category": category or "", "department": department or "",
               "advisor_id": advisor_id or "", "month": month.strftime("%Y-%m") if month else ""}
    return render_template("care/complaints/index.html", rows=rows, more=more, page=page, filters=filters,
                           statuses=list(ComplaintStatus), status_filters=STATUS_FILTERS, advisors=advisors,
                           now=clock.utcnow(), **_labels())


# ------------------------------------------------------------------ registering
def _register_context(values) -> dict:
    store = current_store()
    vehicle = customer = None
    vehicle_id = values.get("vehicle_id", type=int) if hasattr(values, "getlist") else None
    customer_id = values.get("customer_id", type=int) if hasattr(values, "getlist") else None
    ro_id = values.get("repair_order_id", type=int) if hasattr(values, "getlist") else None
    if ro_id and not vehicle_id:
        ro = db.session.get(RepairOrder, ro_id)
        if ro and ro.store_id == store.id:
            vehicle_id, customer_id = ro.vehicle_id, ro.customer_id
    if vehicle_id:
        vehicle = db.session.get(Vehicle, vehicle_id)
        if vehicle is None or vehicle.store_id != store.id:
            vehicle = None
        elif vehicle.customer_id:
            customer = db.session.get(Customer, vehicle.customer_id)
    if customer is None and customer_id:
        customer = db.session.get(Customer, customer_id)
        if customer is None or customer.store_id != store.id:
            customer = None
    orders = []
    if vehicle is not None:
        orders = list(db.session.scalars(select(RepairOrder).where(RepairOrder.vehicle_id == vehicle.id)
                                         .order_by(RepairOrder.opened_at.desc()).limit(10)))
    q = (request.args.get("q") or "").strip()
    found = search_vehicles(store.id, q, limit=12) if q and customer is None else []
    return {"vehicle": vehicle, "customer": customer, "orders": orders, "q": q, "found": found}


@bp.route("/new", methods=["GET", "POST"])
def new():
    store = current_store()
    typed = request.form if request.method == "POST" else request.args
    context = _register_context(typed)
    error, field = None, None
    if request.method == "POST":
        if context["customer"] is None:
            error, field = _("Find and choose the customer first."), "customer_id"
        else:
            received = (request.form.get("received_at") or "").strip()
            try:
                received_at = clock.store_local_to_utc(datetime.strptime(received, "%Y-%m-%dT%H:%M"),
                                                       store.timezone) if received else None
            except ValueError:
                received_at, error, field = None, _("Write the date and time the complaint came in."), "received_at"
            if error is None:
                try:
                    complaint = service.register_complaint(
                        store_id=store.id, customer_id=context["customer"].id, actor_id=current_user.id,
                        channel=request.form.get("channel"), category=request.form.get("category"),
                        description=request.form.get("description"), received_at=received_at,
                        repair_order_id=request.form.get("repair_order_id", type=int),
                        vehicle_id=context["vehicle"].id if context["vehicle"] else None)
                except DomainError as refused:
                    db.session.rollback()
                    error, field = str(refused.message), refused.field
                    context = _register_context(typed)
                else:
                    db.session.commit()
                    flash(_("Complaint %(number)s registered.", number=complaint.number), "success")
                    return redirect(url_for(".page", complaint_id=complaint.id))
    return render_template("care/complaints/new.html", typed=typed, error=error, field=field,
                           now_local=_now_local().strftime("%Y-%m-%dT%H:%M"), **context, **_labels()), (
        422 if error else 200)


# ------------------------------------------------------------------ the complaint's page
def _render(complaint: Complaint, *, error=None, field=None, typed=None, step=None, status: int = 200):
    store = current_store()
    events = service.events(complaint.id)
    people = list(db.session.scalars(select(User).where(User.store_id == store.id, User.active.is_(True))
                                     .order_by(User.display_name)))
    return render_template(
        "care/complaints/page.html", c=complaint, steps=service.progress(complaint, events), events=events,
        may_act=service.may_act(current_user, complaint.status), error=error, field=field, typed=typed or {},
        failed_step=step, people=people, now=clock.utcnow(), step_titles=service.STEP_TITLES,
        is_approver=current_user.has_role(*service.APPROVERS), conflict=status == 409, **_labels()), status


@bp.get("/<int:complaint_id>")
def page(complaint_id: int):
    complaint = _or_404(lambda: service.get_complaint(complaint_id, current_store().id))
    return _render(complaint)


def _yes_no(name: str) -> bool | None:
    value = request.form.get(name)
    return True if value == "yes" else False if value == "no" else None


def _signature_png() -> bytes | None:
    data = request.form.get("signature", "")
    if not data.startswith("data:image/png;base64,"):
        return None
    try:
        return base64.b64decode(data.split(",", 1)[1], validate=True) or None
    except ValueError:
        return None


STEP_ACTIONS = {
    "judge": lambda cid, kw: service.judge(cid, justified=_yes_no("justified"),
                                           explanation=request.form.get("explanation"), **kw),
    "investigate": lambda cid, kw: service.investigate(cid, cause=request.form.get("cause"),
                                                       department=request.form.get("department"),
                                                       responsible_id=form_int("responsible_id"), **kw),
    "solution": lambda cid, kw: service.add_solution(cid, text=request.form.get("text"),
                                                     cost=request.form.get("cost"), **kw),
    "submit": lambda cid, kw: service.submit_for_approval(cid, **kw),
    "approve": lambda cid, kw: service.approve(cid, request.form.get("solution_id"), **kw),
    "reject": lambda cid, kw: service.reject(cid, reason=request.form.get("reason"), **kw),
    "carry-out": lambda cid, kw: service.carry_out(cid, note=request.form.get("note"),
                                                   penalty_note=request.form.get("penalty_note"), **kw),
    "confirm": lambda cid, kw: service.confirm(cid, kind=request.form.get("kind"),
                                               signed_name=request.form.get("signed_name"),
                                               signature_png=_signature_png(),
                                               recording_ref=request.form.get("recording_ref"),
                                               photo_folder=current_app.config["PHOTO_FOLDER"], **kw),
    "not-accepted": lambda cid, kw: service.not_accepted(cid, reason=request.form.get("reason"), **kw),
    "call-back": lambda cid, kw: service.call_back(cid, note=request.form.get("call_note"),
                                                   satisfied=_yes_no("satisfied"),
                                                   improvement=request.form.get("improvement"), **kw),
    "close": lambda cid, kw: service.close(cid, **kw),
}
STEP_DONE = {
    "judge": _l("Judgement recorded."), "investigate": _l("Cause and responsibility recorded."),
    "solution": _l("Solution added."), "submit": _l("Sent for approval."), "approve": _l("Solution approved."),
    "reject": _l("Sent back to propose again."), "carry-out": _l("Recorded as carried out."),
    "confirm": _l("The customer's confirmation is recorded."), "not-accepted": _l("Back to carrying out."),
    "call-back": _l("Call back recorded."), "close": _l("Complaint closed."),
}


@bp.post("/<int:complaint_id>/<step>")
def step(complaint_id: int, step: str):
    store = current_store()
    action = STEP_ACTIONS.get(step)
    if action is None:
        abort(404)
    _or_404(lambda: service.get_complaint(complaint_id, store.id))
    kw = {"store_id": store.id, "actor_id": current_user.id, "version": request.form.get("version")}
    try:
        result = action(complaint_id, kw)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        db.session.expire_all()
        complaint = service.get_complaint(complaint_id, store.id)
        return _render(complaint, error=refused.message, field=refused.field, typed=request.form, step=step,
                       status=409 if isinstance(refused, Conflict) else 422)
    db.session.commit()
    complaint = result if isinstance(result, Complaint) else None
    message = STEP_DONE[step]
    if complaint is not None and complaint.status == ComplaintStatus.CARRYING_OUT and step == "call-back":
        message = _l("The customer is not satisfied: back to carrying out.")
    elif complaint is not None and complaint.status == ComplaintStatus.CLOSED:
        message = _l("Complaint closed.")
    flash(str(message), "success")
    return redirect(url_for(".page", complaint_id=complaint_id) + ("#solutions" if step == "solution" else ""))


@bp.post("/<int:complaint_id>/solutions/<int:solution_id>/remove")
def remove_solution(complaint_id: int, solution_id: int):
    store = current_store()
    _or_404(lambda: service.get_complaint(complaint_id, store.id))
    try:
        service.remove_solution(complaint_id, solution_id, store_id=store.id, actor_id=current_user.id,
                                version=request.form.get("version"))
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        db.session.expire_all()
        return _render(service.get_complaint(complaint_id, store.id), error=refused.message, typed=request.form,
                       step="solution", status=409 if isinstance(refused, Conflict) else 422)
    db.session.commit()
    flash(_("Solution removed."), "success")
    return redirect(url_for(".page", complaint_id=complaint_id) + "#solutions")


# ------------------------------------------------------------------ statistics
@bp.get("/stats")
def stats():
    store = current_store()
    today = clock.store_today(store.timezone)
    month = _month_arg() or today.replace(day=1)
    if month > today:
        month = today.replace(day=1)
    figures = complaint_figures.statistics(store.id, month)
    following = service.month_bounds(month, "UTC")[1].date().replace(day=1)
    return render_template("care/complaints/stats.html", s=figures, month=month,
                           previous=complaint_figures.previous_month(month),
                           following=following if following <= today else None,
                           department_label=_enum_label(Department), category_label=_enum_label(ComplaintCategory),
                           channel_label=_enum_label(ComplaintChannel), status_label=_enum_label(ComplaintStatus))


@bp.app_template_filter("cp_status")
def _status_filter(value):
    return _enum_label(ComplaintStatus)(value)


@bp.app_template_filter("cp_channel")
def _channel_filter(value):
    return _enum_label(ComplaintChannel)(value)


@bp.app_template_filter("cp_category")
def _category_filter(value):
    return _enum_label(ComplaintCategory)(value)


@bp.app_template_filter("cp_department")
def _department_filter(value):
    return _enum_label(Department)(value)


def _enum_label(enum_cls):
    def label(value):
        if not value:
            return _("Not yet known")
        try:
            return enum_cls(value).label
        except ValueError:
            return value
    return label
