"""Complaints (投诉处理): the list, registering one, the complaint's page with its steps in turn,
and the month's statistics and analysis. Object-level rules (who may take which step) are in
intranet.care.complaints."""
from __future__ import annotations

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
from intranet.care.forms import (
    ApproveForm, CallBackForm, CarryOutForm, ConfirmForm, InvestigateForm, JudgeForm, ReasonForm,
    RegisterComplaintForm, SolutionForm, StepForm,
)
from intranet.care.models import Complaint, ComplaintCategory, ComplaintChannel, ComplaintStatus, Department
from intranet.care.views.common import local_now, or_404
from intranet.core.models import Customer, RepairOrder, Role, User, Vehicle
from intranet.core.services import search_vehicles
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store

bp = guard(Blueprint("complaints", __name__, url_prefix="/care/complaints"),
           Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.CONTROLLER)
BLUEPRINTS = [bp]

STATUS_FILTERS = (("open", _l("Open")), ("all", _l("All")))


def _month_arg(name: str = "month") -> date | None:
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m").date()
    except ValueError:
        return None


def _labels() -> dict:
    return {"channels": list(ComplaintChannel), "categories": list(ComplaintCategory),
            "departments": list(Department)}


def _status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 422


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
def _register_context(vehicle_id: int | None, customer_id: int | None, ro_id: int | None) -> dict:
    """The customer and car the complaint is about (chosen by a search, or from a repair order),
    the car's recent repair orders, and the search's results."""
    store = current_store()
    vehicle = customer = None
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
    form = RegisterComplaintForm()
    if request.method == "POST":
        typed = form.typed()
        chosen = (form.vehicle_id.data, form.customer_id.data, form.repair_order_id.data)
    else:
        typed = request.args
        chosen = tuple(request.args.get(name, type=int) for name in ("vehicle_id", "customer_id", "repair_order_id"))
    context = _register_context(*chosen)
    error, field = None, None
    if request.method == "POST":
        if context["customer"] is None:
            error, field = _("Find and choose the customer first."), "customer_id"
        else:
            try:
                form.check()
                complaint = service.register_complaint(
                    store_id=store.id, customer_id=context["customer"].id, actor_id=current_user.id,
                    channel=form.channel.data, category=form.category.data, description=form.description.data,
                    received_at=form.received_at.utc(store.timezone), repair_order_id=form.repair_order_id.data,
                    vehicle_id=context["vehicle"].id if context["vehicle"] else None)
            except DomainError as refused:
                db.session.rollback()
                error, field = str(refused.message), refused.field
                context = _register_context(*chosen)
            else:
                db.session.commit()
                flash(_("Complaint %(number)s registered.", number=complaint.number), "success")
                return redirect(url_for(".page", complaint_id=complaint.id))
    return render_template("care/complaints/new.html", typed=typed, error=error, field=field,
                           now_local=local_now().strftime("%Y-%m-%dT%H:%M"), **context, **_labels()), (
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
    complaint = or_404(lambda: service.get_complaint(complaint_id, current_store().id))
    return _render(complaint)


# each step: its form, and the service call it makes with what was typed
STEPS = {
    "judge": (JudgeForm, lambda cid, f, kw: service.judge(cid, justified=f.justified.answer,
                                                          explanation=f.explanation.data, **kw)),
    "investigate": (InvestigateForm, lambda cid, f, kw: service.investigate(
        cid, cause=f.cause.data, department=f.department.data, responsible_id=f.responsible_id.data, **kw)),
    "solution": (SolutionForm, lambda cid, f, kw: service.add_solution(cid, text=f.text.data, cost=f.cost.data,
                                                                       **kw)),
    "submit": (StepForm, lambda cid, f, kw: service.submit_for_approval(cid, **kw)),
    "approve": (ApproveForm, lambda cid, f, kw: service.approve(cid, f.solution_id.data, **kw)),
    "reject": (ReasonForm, lambda cid, f, kw: service.reject(cid, reason=f.reason.data, **kw)),
    "carry-out": (CarryOutForm, lambda cid, f, kw: service.carry_out(cid, note=f.note.data,
                                                                     penalty_note=f.penalty_note.data, **kw)),
    "confirm": (ConfirmForm, lambda cid, f, kw: service.confirm(
        cid, kind=f.kind.data, signed_name=f.signed_name.data, signature_png=f.signature_png(),
        recording_ref=f.recording_ref.data, photo_folder=current_app.config["PHOTO_FOLDER"], **kw)),
    "not-accepted": (ReasonForm, lambda cid, f, kw: service.not_accepted(cid, reason=f.reason.data, **kw)),
    "call-back": (CallBackForm, lambda cid, f, kw: service.call_back(
        cid, note=f.call_note.data, satisfied=f.satisfied.answer, improvement=f.improvement.data, **kw)),
    "close": (StepForm, lambda cid, f, kw: service.close(cid, **kw)),
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
    if step not in STEPS:
        abort(404)
    form_class, action = STEPS[step]
    or_404(lambda: service.get_complaint(complaint_id, store.id))
    form = form_class()
    kw = {"store_id": store.id, "actor_id": current_user.id, "version": form.version.data}
    try:
        form.check()
        result = action(complaint_id, form, kw)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        db.session.expire_all()
        complaint = service.get_complaint(complaint_id, store.id)
        return _render(complaint, error=refused.message, field=refused.field, typed=form.typed(), step=step,
                       status=_status(refused))
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
    or_404(lambda: service.get_complaint(complaint_id, store.id))
    form = StepForm()
    try:
        form.check()
        service.remove_solution(complaint_id, solution_id, store_id=store.id, actor_id=current_user.id,
                                version=form.version.data)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        db.session.expire_all()
        return _render(service.get_complaint(complaint_id, store.id), error=refused.message, typed=form.typed(),
                       step="solution", status=_status(refused))
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


def _enum_label(enum_cls):
    def label(value):
        if not value:
            return _("Not yet known")
        try:
            return enum_cls(value).label
        except ValueError:
            return value
    return label
