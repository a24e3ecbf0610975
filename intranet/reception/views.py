"""Reception: a car arrives and is checked in; the advisor keeps its repair order."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload
from wtforms.fields.choices import SelectChoice

from intranet import clock
from intranet.auth.access import guard
from intranet.core import hooks
from intranet.core.billing import totals
from intranet.core.models import RO_TRANSITIONS, RepairOrder, RepairOrderEvent, Role, ROStatus, Vehicle
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.http import announce
from intranet.reception import appointments as booking
from intranet.reception import services, settlement
from intranet.reception.documents import repair_order_pdf as render_pdf
from intranet.reception.forms import (
    AnswerForm, BookingForm, CheckInForm, DeliveryForm, FindingForm, LineForm, PaymentForm, RepairOrderForm,
)
from intranet.reception.models import DAMAGE_KINDS, PANELS, AppointmentStatus, Finding
from intranet.today.views import render_board
from intranet.web import attach_error, current_store, is_htmx_request, run_action, run_form, toast

bp = guard(Blueprint("reception", __name__, url_prefix="/reception"), Role.ADVISOR, Role.DIRECTOR)
# Anyone on the floor may report extra work found on a car; the advisor answers it (above).
findings_bp = guard(Blueprint("findings", __name__, url_prefix="/findings"), Role.TECHNICIAN, Role.CONTROLLER,
                    Role.INSPECTOR, Role.ADVISOR, Role.DIRECTOR)


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


# ------------------------------------------------------------------ the repair order


def _load(ro_id: int) -> RepairOrder:
    ro = db.session.get(RepairOrder, ro_id, options=[
        joinedload(RepairOrder.vehicle), joinedload(RepairOrder.customer), joinedload(RepairOrder.advisor),
        selectinload(RepairOrder.lines), selectinload(RepairOrder.events).joinedload(RepairOrderEvent.actor)])
    if ro is None or ro.store_id != current_store().id:
        abort(404)
    return ro


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


@bp.get("/ro/<int:ro_id>")
def repair_order(ro_id: int):
    ro = _load(ro_id)
    return _page(ro, _header_form(ro))


@bp.post("/ro/<int:ro_id>")
def save_repair_order(ro_id: int):
    ro = _load(ro_id)
    form = RepairOrderForm()
    if not form.validate_on_submit():
        return _page(ro, form, status=422)
    store = current_store()
    promised = clock.store_local_to_utc(form.promised_at.data, store.timezone) if form.promised_at.data else None
    try:
        services.update_repair_order(
            ro_id, store_id=store.id, actor_id=current_user.id, expected_version=int(form.version.data or 0),
            complaint=form.complaint.data, promised_at=promised, key_tag=form.key_tag.data,
            pay_type=form.pay_type.data, insurer=form.insurer.data, claim_number=form.claim_number.data,
            assessor=form.assessor.data, assessed_amount=form.assessed_amount.data,
            insurer_payment=form.insurer_payment.data, warranty_claim_ref=form.warranty_claim_ref.data)
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
    db.session.commit()
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
    original = request.form.get("original_id", type=int)
    run_action(lambda: services.mark_comeback(ro_id, original, store_id=current_store().id,
                                              actor_id=current_user.id),
               _("Comeback recorded.") if original else _("Comeback link removed."))
    return redirect(url_for("reception.repair_order", ro_id=ro_id))


@bp.post("/ro/<int:ro_id>/status")
def move_repair_order(ro_id: int):
    try:
        ro = services.move_repair_order(
            ro_id, request.form.get("to", ""), store_id=current_store().id, actor_id=current_user.id,
            note=request.form.get("note") or None, expected_version=request.form.get("version", 0, type=int))
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


# ------------------------------------------------------------------ findings


@bp.post("/findings/<int:finding_id>/answer")
def answer_finding(finding_id: int):
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.store_id != current_store().id:
        abort(404)
    form = AnswerForm()
    approved = request.form.get("decision") == "approve"
    store = current_store()
    promised = (clock.store_local_to_utc(form.promised_at.data, store.timezone)
                if form.validate_on_submit() and form.promised_at.data else None)
    try:
        services.answer_finding(finding_id, store_id=store.id, actor_id=current_user.id, approved=approved,
                                channel=form.channel.data, decline_reason=form.decline_reason.data,
                                promised_at=promised)
    except DomainError as refused:
        db.session.rollback()
        ro = _load(finding.repair_order_id)
        return _page(ro, _header_form(ro), answer_errors={finding_id: refused.message}, status=422)
    db.session.commit()
    flash(_("Customer's answer recorded: %(answer)s.", answer=_("approved") if approved else _("declined")),
          "success")
    return redirect(url_for("reception.repair_order", ro_id=finding.repair_order_id) + "#findings")


@bp.post("/ro/<int:ro_id>/declined/<int:finding_id>")
def take_up_declined(ro_id: int, finding_id: int):
    run_action(lambda: services.take_up_declined(finding_id, ro_id, store_id=current_store().id,
                                                 actor_id=current_user.id),
               _("Declined work added to this repair order."))
    return redirect(url_for("reception.repair_order", ro_id=ro_id) + "#lines")


@findings_bp.route("/new/<int:ro_id>", methods=["GET", "POST"])
def report(ro_id: int):
    ro = _load(ro_id)
    form = FindingForm()
    outcome = run_form(form, lambda: services.report_finding(
        ro_id, store_id=ro.store_id, actor_id=current_user.id, description=form.description.data,
        labour_hours=form.labour_hours.data, parts_description=form.parts_description.data,
        parts_amount=form.parts_amount.data, photos=[f for f in request.files.getlist("photos") if f.filename],
        photo_folder=current_app.config["PHOTO_FOLDER"]))
    if outcome.done:
        flash(_("Finding sent to the advisor of %(number)s.", number=ro.number), "success")
        back = request.args.get("next", "")
        if back.startswith("/") and not back.startswith("//"):  # back to the technician's jobs
            return redirect(back)
        return redirect(url_for("core.vehicle", vehicle_id=ro.vehicle_id))
    return render_template("reception/finding_form.html", form=form, ro=ro, error=outcome.error), outcome.status


# ------------------------------------------------------------------ appointments


def _day_arg(name: str = "day"):
    from datetime import date

    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return clock.store_today(current_store().timezone)


@bp.get("/appointments")
def appointments():
    from datetime import datetime, time, timedelta

    store = current_store()
    day = _day_arg()
    view = "week" if request.args.get("view") == "week" else "day"
    advisor_id = request.args.get("advisor", type=int)
    if advisor_id is None and current_user.has_role(Role.ADVISOR) and "advisor" not in request.args:
        advisor_id = current_user.id  # an advisor sees their own day first
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    days = [first + timedelta(days=n) for n in range(7 if view == "week" else 1)]
    start = datetime.combine(days[0], time.min)
    end = datetime.combine(days[-1] + timedelta(days=1), time.min)
    booked = booking.appointments_between(store.id, start, end, store.timezone, advisor_id=advisor_id)
    arrived, no_show, rate = booking.show_rate(
        store.id, clock.store_local_to_utc(start - timedelta(days=28), store.timezone),
        clock.store_local_to_utc(end, store.timezone), advisor_id=advisor_id)
    by_day = {d: [a for a in booked if clock.to_store_time(a.starts_at, store.timezone).date() == d] for d in days}
    return render_template("reception/appointments.html", view=view, day=day, days=days, by_day=by_day,
                           advisor_id=advisor_id, advisors=booking.advisors(store.id),
                           show=(arrived, no_show, rate), today=clock.store_today(store.timezone),
                           timedelta=timedelta)


def _slot_choices(store, day, advisor_id, hours=None):
    from decimal import Decimal

    free = booking.free_slots(store, day, advisor_id, hours=Decimal(str(hours or 1))) if advisor_id else []
    return [SelectChoice(slot.strftime("%H:%M"), slot.strftime("%H:%M")) for slot in free] or [
        SelectChoice("", _("no free time that day"))]


@bp.get("/appointments/slots")
def appointment_slots():
    store = current_store()
    options = _slot_choices(store, _day_arg(), request.args.get("advisor_id", type=int))
    return render_template("reception/_slot_options.html", options=options)


@bp.route("/appointments/new", methods=["GET", "POST"])
def book_appointment():
    from datetime import datetime

    store = current_store()
    form = BookingForm()
    people = booking.advisors(store.id)
    form.advisor_id.choices = [SelectChoice(p.id, p.display_name) for p in people]
    form.canned_job_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(job.id, job.name) for job in services.canned_jobs(store.id)]
    if request.method == "GET":
        form.advisor_id.data = current_user.id if current_user.has_role(Role.ADVISOR) else (
            people[0].id if people else None)
        # the first day that still has a free slot (after closing time that is tomorrow)
        upcoming = booking.free_slots(store, clock.store_today(store.timezone), form.advisor_id.data or 0,
                                      limit=1, days_ahead=14) if form.advisor_id.data else []
        form.day.data = upcoming[0].date() if upcoming else clock.store_today(store.timezone)
        vehicle = db.session.get(Vehicle, request.args.get("vehicle_id", type=int) or 0)
        if vehicle is not None and vehicle.store_id == store.id:
            form.plate.data = vehicle.plate
    pick = request.form.get("pick", "")  # one of the free slots offered after a refusal
    if request.method == "POST" and " " in pick:
        from datetime import date

        day_text, form.slot.data = pick.split(" ", 1)
        form.day.data = date.fromisoformat(day_text)
    form.slot.choices = _slot_choices(store, form.day.data or clock.store_today(store.timezone),
                                      form.advisor_id.data)
    free: list = []  # when the slot is full: the next free ones, offered as buttons

    def book():
        car = booking.find_or_create_car(store_id=store.id, plate=form.plate.data, name=form.name.data,
                                         mobile=form.mobile.data, model=form.model.data)
        starts = datetime.combine(form.day.data, datetime.strptime(form.slot.data, "%H:%M").time())
        try:
            return booking.book(
                store_id=store.id, actor_id=current_user.id, advisor_id=form.advisor_id.data, starts_local=starts,
                vehicle_id=car.id, work_wanted=form.work_wanted.data, estimated_hours=form.estimated_hours.data,
                canned_job_id=form.canned_job_id.data, parts_wanted=form.parts_wanted.data)
        except booking.SlotFull as full:
            free.extend(full.free)
            raise

    outcome = run_form(form, book)
    if free and free[0].date() == form.day.data:
        form.slot.data = free[0].strftime("%H:%M")  # never silently an earlier time than asked
    if outcome.done:
        booked = outcome.result
        flash(_("Booked: %(plate)s, %(time)s with %(advisor)s.", plate=booked.vehicle.plate,
                time=clock.to_store_time(booked.starts_at, store.timezone).strftime("%m-%d %H:%M"),
                advisor=booked.advisor.display_name), "success")
        return redirect(url_for("reception.appointments", day=form.day.data.isoformat()))
    return render_template("reception/book.html", form=form, error=outcome.error, free=free), (
        409 if free else outcome.status)


@bp.post("/appointments/<int:appointment_id>/arrive")
def appointment_arrived(appointment_id: int):
    try:
        ro = booking.arrive(appointment_id, store_id=current_store().id, actor_id=current_user.id)
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(request.referrer or url_for("reception.appointments"))
    db.session.commit()
    flash(_("%(plate)s checked in on %(number)s.", plate=ro.vehicle.plate, number=ro.number), "success")
    return redirect(url_for("reception.repair_order", ro_id=ro.id))


@bp.post("/appointments/<int:appointment_id>/<any(no_show, cancelled):status>")
def appointment_status(appointment_id: int, status: str):
    run_action(lambda: booking.set_status(appointment_id, AppointmentStatus(status), store_id=current_store().id))
    return redirect(request.referrer or url_for("reception.appointments"))


# ------------------------------------------------------------------ settlement, delivery, print


def _settle_page(ro: RepairOrder, *, payment_form=None, delivery_form=None, error=None, status: int = 200):
    return render_template(
        "reception/settle.html", ro=ro, bill=settlement.settlement(ro), payments=settlement.payments_of(ro.id),
        payment_form=payment_form or PaymentForm(payer="customer"), delivery_form=delivery_form or DeliveryForm(),
        delivery=settlement.delivery_of(ro.id), waiting=[f for f in services.findings_on(ro.id)
                                                          if f.status == "waiting"], error=error), status


@bp.get("/ro/<int:ro_id>/settle")
def settle(ro_id: int):
    return _settle_page(_load(ro_id))


@bp.post("/ro/<int:ro_id>/payments")
def record_payment(ro_id: int):
    form = PaymentForm()
    outcome = run_form(form, lambda: settlement.record_payment(
        ro_id, store_id=current_store().id, actor_id=current_user.id, payer=form.payer.data,
        method=form.method.data, amount=form.amount.data, reference=form.reference.data))
    if outcome.done:
        flash(_("Payment of %(amount)s recorded.", amount=f"¥{outcome.result.amount:,.2f}"), "success")
        return redirect(url_for("reception.settle", ro_id=ro_id))
    return _settle_page(_load(ro_id), payment_form=form, error=outcome.error, status=outcome.status)


@bp.post("/ro/<int:ro_id>/deliver")
def deliver(ro_id: int):
    form = DeliveryForm()
    outcome = run_form(form, lambda: settlement.deliver(
        ro_id, store_id=current_store().id, actor_id=current_user.id, work_explained=form.work_explained.data,
        old_parts=form.old_parts.data, car_clean=form.car_clean.data, keys_returned=form.keys_returned.data,
        note=form.note.data))
    if outcome.done:
        ro = _load(ro_id)
        flash(_("%(plate)s handed back. Thank the customer!", plate=ro.vehicle.plate), "success")
        return redirect(url_for("reception.repair_order", ro_id=ro_id))
    return _settle_page(_load(ro_id), delivery_form=form, error=outcome.error, status=outcome.status)


def _qr_svg(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=3, border=1)


@bp.get("/ro/<int:ro_id>/print")
def print_repair_order(ro_id: int):
    ro = _load(ro_id)
    return render_template("reception/print.html", ro=ro, bill=settlement.settlement(ro),
                           payments=settlement.payments_of(ro.id), delivery=settlement.delivery_of(ro.id),
                           findings=services.findings_on(ro.id), qr=_qr_svg(ro.number), store=current_store())


@bp.get("/ro/<int:ro_id>/document.pdf")
def repair_order_pdf(ro_id: int):
    ro = _load(ro_id)
    pdf = render_pdf(ro, store=current_store(), bill=settlement.settlement(ro),
                     payments=settlement.payments_of(ro.id), delivery=settlement.delivery_of(ro.id))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{ro.number}.pdf"'
    return response


# ------------------------------------------------------------------ walk-around


def _marks_from(form) -> list[dict]:
    """Damage rows posted as mark-<n>-panel / -kind / -note and file mark-<n>-photo."""
    marks = []
    for key in sorted(k for k in form if k.startswith("mark-") and k.endswith("-panel")):
        n = key[len("mark-"):-len("-panel")]
        if not form.get(key):
            continue
        upload = request.files.get(f"mark-{n}-photo")
        marks.append({"panel": form.get(key), "kind": form.get(f"mark-{n}-kind"), "note": form.get(f"mark-{n}-note"),
                      "photo": upload if upload and upload.filename else None})
    return marks


@bp.route("/ro/<int:ro_id>/walk-around", methods=["GET", "POST"])
def walk_around(ro_id: int):
    import base64

    ro = _load(ro_id)
    check = services.walk_around_of(ro.id)
    error = None
    if request.method == "POST":
        signature = request.form.get("signature", "")
        png = base64.b64decode(signature.split(",", 1)[1]) if signature.startswith("data:image/png;base64,") else None
        fuel = request.form.get("fuel_eighths", "")
        try:
            services.record_walk_around(
                ro.id, store_id=ro.store_id, actor_id=current_user.id,
                fuel_eighths=int(fuel) if fuel.isdigit() else None, valuables=request.form.get("valuables"),
                interior_note=request.form.get("interior_note"), marks=_marks_from(request.form),
                signature_png=png, signed_name=request.form.get("signed_name"),
                photo_folder=current_app.config["PHOTO_FOLDER"])
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(_("Walk-around saved."), "success")
            return redirect(url_for("reception.repair_order", ro_id=ro.id))
    return render_template("reception/walk_around.html", ro=ro, check=check, panels=PANELS, kinds=DAMAGE_KINDS,
                           error=error, ro_total=totals(ro.lines, current_store().tax_rate).gross), (
        422 if error else 200)
