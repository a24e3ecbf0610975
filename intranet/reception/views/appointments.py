"""Appointments: the day and week views, booking with free slots, arrival, no-shows."""
from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from intranet import clock
from intranet.core.models import Role, Vehicle
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception import appointments as booking
from intranet.reception import pre_pick, services
from intranet.reception.forms import BookingForm
from intranet.reception.models import AppointmentStatus
from intranet.reception.views.common import bp
from intranet.web import current_store, run_action, run_form
from intranet.web.filters import qty


# ------------------------------------------------------------------ appointments


def _day_arg(name: str = "day"):
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return clock.store_today(current_store().timezone)


@bp.get("/appointments")
def appointments():
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
    pick = (form.pick.data or "") if request.method == "POST" else ""  # a free slot offered after a refusal
    if " " in pick:
        day_text, slot = pick.split(" ", 1)
        with contextlib.suppress(ValueError):  # a mangled pick is ignored: the form keeps what it had
            form.day.data, form.slot.data = date.fromisoformat(day_text), slot
    form.slot.choices = _slot_choices(store, form.day.data or clock.store_today(store.timezone),
                                      form.advisor_id.data)
    free: list = []  # when the slot is full: the next free ones, offered as buttons
    lines = pre_pick.typed_lines(request.form.getlist("pre_pick_number"), request.form.getlist("pre_pick_name"),
                                 request.form.getlist("pre_pick_qty")) if request.method == "POST" else []

    def book():
        car = booking.find_or_create_car(store_id=store.id, plate=form.plate.data, name=form.name.data,
                                         mobile=form.mobile.data, model=form.model.data)
        starts = datetime.combine(form.day.data, datetime.strptime(form.slot.data, "%H:%M").time())
        try:
            return booking.book(
                store_id=store.id, actor_id=current_user.id, advisor_id=form.advisor_id.data, starts_local=starts,
                vehicle_id=car.id, work_wanted=form.work_wanted.data, estimated_hours=form.estimated_hours.data,
                canned_job_id=form.canned_job_id.data, parts_wanted=form.parts_wanted.data, pre_pick=lines)
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
        if booked.short_lines:
            flash(_("Not enough free stock of %(parts)s: the booking is saved, and the parts store sees the "
                    "shortage on its pre-pick list.", parts=_(", ").join(
                        _("%(name)s (%(number)s, %(short)s short)", name=line.part_name, number=line.part_number,
                          short=qty(line.short)) for line in booked.short_lines)), "warning")
        return redirect(url_for("reception.appointments", day=form.day.data.isoformat()))
    return render_template("reception/book.html", form=form, error=outcome.error, free=free, lines=lines), (
        409 if free else outcome.status)


@bp.get("/appointments/parts")
def pre_pick_search():
    """The booking form's catalogue search: matching parts, each with a button that adds its line."""
    store = current_store()
    text = request.args.get("part_q", "")
    return render_template("reception/_part_hits.html", hits=pre_pick.search_catalogue(store.id, text),
                           text=text.strip())


@bp.get("/appointments/parts/line")
def pre_pick_line():
    """One pre-pick row for the booking form (empty without a part: the row's remove button)."""
    number = (request.args.get("number") or "").strip().upper()[:32]
    if not number:
        return ""
    line = pre_pick.TypedLine(number, (request.args.get("name") or "")[:100], "1")
    return render_template("reception/_pre_pick_row.html", line=line)


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
