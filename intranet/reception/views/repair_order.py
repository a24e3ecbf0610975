"""The repair order: its header (with the optimistic lock), lines, menu items, comebacks and status."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth import access
from intranet.core import hooks
from intranet.core.billing import totals
from intranet.core.bounds import whole_number
from intranet.core.models import RO_TRANSITIONS, PayType, RepairOrder, Role, ROStatus
from intranet.core.services import commit_unit
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception import services
from intranet.reception.forms import AnswerForm, ComebackForm, LineForm, MoveForm, RepairOrderForm
from intranet.reception.views.common import _load, bp
from intranet.web import attach_error, current_store, is_htmx_request, run_action, toast


def _header_form(ro: RepairOrder) -> RepairOrderForm:
    form = RepairOrderForm(obj=ro)
    local_promise = clock.to_store_time(ro.promised_at, current_store().timezone)
    form.promised_at.data = local_promise.replace(tzinfo=None) if local_promise else None  # typed in store time
    return form


def _workshop_progress(ro: RepairOrder) -> dict:
    """What is being done on the car (its jobs, clocked hours, parts requests, inspections), as the
    areas above reception answer `hooks.repair_order_progress`."""
    progress = {"jobs": [], "clocked": {}, "requests": [], "inspections": []}
    for answer in hooks.repair_order_progress.send(repair_order=ro):
        progress.update(answer or {})
    return progress


def _page(ro: RepairOrder, form: RepairOrderForm, *, error=None, stale=None, status: int = 200,
          answer_errors: dict | None = None):
    return render_template(
        "reception/repair_order.html", ro=ro, form=form, error=error, stale=stale, line_form=LineForm(
            pay_type=ro.pay_type), totals=totals(ro.lines, current_store().tax_rate),
        findings=services.findings_on(ro.id), answer_form=AnswerForm(), answer_errors=answer_errors or {},
        declined=[f for f in services.declined_work(ro.vehicle_id) if f.repair_order_id != ro.id],
        comeback_candidates=services.comeback_candidates(ro) if ro.comeback_of_id is None else [],
        check=services.walk_around_of(ro.id),
        canned=services.canned_jobs(ro.store_id),
        workshop=_workshop_progress(ro),
        # forward moves in the order a car goes through the department; cancelling last
        next_statuses=[s for s in ROStatus if s in RO_TRANSITIONS[ro.status_enum] and s != ROStatus.DELIVERED],
    ), status


def _may_read(user, ro: RepairOrder) -> bool:
    """Management reads every repair order; the accident desk the insurance ones (their claim data),
    the warranty clerk the warranty ones."""
    if user.has_role(Role.MANAGER):
        return True
    if user.has_role(Role.ACCIDENT) and access.insurance_case(ro):
        return True
    return user.has_role(Role.WARRANTY) and (ro.pay_type == PayType.WARRANTY or bool(ro.warranty_claim_ref))


@bp.get("/ro/<int:ro_id>")
@access.readers(Role.MANAGER, Role.ACCIDENT, Role.WARRANTY, may_read=_may_read)
def repair_order(ro_id: int):
    ro = _load(ro_id)
    if not access.can_change(current_user, "reception.repair_order"):
        access.require(current_user, "reception.repair_order", ro)
        return render_template("reception/repair_order_read.html", ro=ro, totals=totals(ro.lines, current_store().tax_rate),
                               findings=services.findings_on(ro.id), check=services.walk_around_of(ro.id),
                               workshop=_workshop_progress(ro),
                               contact=bool(access.contacts_shown(current_user, [ro.customer_id])))
    return _page(ro, _header_form(ro))


@bp.post("/ro/<int:ro_id>")
def save_repair_order(ro_id: int):
    ro = _load(ro_id)
    form = RepairOrderForm()
    if not form.validate_on_submit():
        return _page(ro, form, status=422)
    store = current_store()
    promised = clock.store_local_to_utc(form.promised_at.data, store.timezone) if form.promised_at.data else None
    try:  # two saves at the same moment: the second runs again and is refused as a stale one
        commit_unit(lambda: services.update_repair_order(
            ro_id, store_id=store.id, actor_id=current_user.id, expected_version=whole_number(form.version.data) or 0,
            complaint=form.complaint.data, promised_at=promised, key_tag=form.key_tag.data,
            pay_type=form.pay_type.data, insurer=form.insurer.data, claim_number=form.claim_number.data,
            assessor=form.assessor.data, assessed_amount=form.assessed_amount.data,
            insurer_payment=form.insurer_payment.data, warranty_claim_ref=form.warranty_claim_ref.data))
    except services.StaleEdit as stale:
        db.session.rollback()
        ro = _load(ro_id)
        form.version.data = ro.version  # saving again, knowingly, is allowed
        posted = {name: getattr(form, name).data for name in services.HEADER_FIELDS}
        posted["promised_at"] = promised
        for name, value in services.rebase(ro, posted, stale.events).items():
            if name == "promised_at":
                local = clock.to_store_time(value, store.timezone)
                value = local.replace(tzinfo=None) if local else None
            getattr(form, name).data = value
        return _page(ro, form, error=stale.message, stale=stale.events, status=409)
    except DomainError as refused:
        db.session.rollback()
        return _page(_load(ro_id), form, error=attach_error(form, refused), status=422)
    flash(_("Repair order %(number)s saved.", number=ro.number), "success")
    return redirect(url_for("reception.repair_order", ro_id=ro_id))


def _lines_fragment(ro_id: int, *, line_form: LineForm | None = None, error=None, status: int = 200):
    ro = _load(ro_id)
    html = render_template("reception/_lines.html", ro=ro, totals=totals(ro.lines, current_store().tax_rate),
                           line_form=line_form or LineForm(formdata=None, pay_type=ro.pay_type),
                           canned=services.canned_jobs(ro.store_id), line_error=error)
    return make_response(html, status)


@bp.post("/ro/<int:ro_id>/lines")
def add_line(ro_id: int):
    form = LineForm()
    if form.validate_on_submit():
        try:
            services.add_line(ro_id, store_id=current_store().id, actor_id=current_user.id, kind=form.kind.data,
                              description=form.description.data, quantity=form.quantity.data,
                              unit_price=form.unit_price.data, pay_type=form.pay_type.data, code=form.code.data,
                              team=form.team.data)
        except DomainError as refused:
            db.session.rollback()
            return _lines_fragment(ro_id, line_form=form, error=attach_error(form, refused), status=422)
        db.session.commit()
        return _after_lines(ro_id)
    return _lines_fragment(ro_id, line_form=form, status=422)


@bp.post("/ro/<int:ro_id>/lines/<int:line_id>/delete")
def remove_line(ro_id: int, line_id: int):
    try:
        services.remove_line(ro_id, line_id, store_id=current_store().id, actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        return toast(_lines_fragment(ro_id, status=200), refused.message)  # show the lines as they are now
    db.session.commit()
    return _after_lines(ro_id)


@bp.post("/ro/<int:ro_id>/menu/<int:canned_id>")
def apply_canned_job(ro_id: int, canned_id: int):
    try:
        services.apply_canned_job(ro_id, canned_id, store_id=current_store().id, actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        return toast(_lines_fragment(ro_id, status=200), refused.message)
    db.session.commit()
    return _after_lines(ro_id)


def _after_lines(ro_id: int):
    if is_htmx_request():
        return _lines_fragment(ro_id)
    return redirect(url_for("reception.repair_order", ro_id=ro_id) + "#lines")


@bp.post("/ro/<int:ro_id>/comeback")
def mark_comeback(ro_id: int):
    original = ComebackForm().original_id.data
    run_action(lambda: services.mark_comeback(ro_id, original, store_id=current_store().id,
                                              actor_id=current_user.id),
               _("Comeback recorded.") if original else _("Comeback link removed."))
    return redirect(url_for("reception.repair_order", ro_id=ro_id))


@bp.post("/ro/<int:ro_id>/status")
def move_repair_order(ro_id: int):
    form = MoveForm()
    try:
        ro = services.move_repair_order(
            ro_id, form.to.data or "", store_id=current_store().id, actor_id=current_user.id,
            note=(form.note.data or "").strip() or None, expected_version=form.version.data or 0)
    except services.DeliverAtSettlement as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("reception.settle", ro_id=ro_id))
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(url_for("reception.repair_order", ro_id=ro_id))
    db.session.commit()
    flash(_("Repair order %(number)s: %(status)s.", number=ro.number, status=ro.status_enum.label), "success")
    return redirect(url_for("reception.repair_order", ro_id=ro_id))
