"""Appointments: slots within opening hours, capacity per advisor and per workshop day, refusals
with the next free slots, one tap from arrival to repair order, no-shows and the show rate."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import RepairOrder, Role
from intranet.errors import DomainError
from intranet.jobs import queue
from intranet.reception import appointments as booking
from intranet.reception.models import Appointment, AppointmentStatus

MONDAY_0800_SHANGHAI = datetime(2026, 11, 23, 0, 0)  # UTC
MONDAY = date(2026, 11, 23)


@pytest.fixture
def setup(store, make_user, make_vehicle, db):
    store.advisor_slot_capacity = 1
    store.workshop_hours_per_day = Decimal("4")
    db.session.commit()
    return {"advisor": make_user(Role.ADVISOR, username="sun"), "car": make_vehicle(plate="沪A12345"),
            "car2": make_vehicle(plate="沪B12345"), "car3": make_vehicle(plate="沪C12345")}


def _book(store, setup, at: time, car="car", **kw):
    return booking.book(store_id=store.id, actor_id=setup["advisor"].id, advisor_id=setup["advisor"].id,
                        starts_local=datetime.combine(MONDAY, at), vehicle_id=setup[car].id,
                        work_wanted=kw.pop("work", "保养"), **kw)


def test_slots_follow_opening_hours(store):
    slots = booking.slots_of_day(store, MONDAY)
    assert slots[0].time() == time(8, 0) and slots[-1].time() == time(17, 30) and len(slots) == 20


def test_full_slot_is_refused_with_the_next_free_ones(store, setup):
    with clock.frozen(MONDAY_0800_SHANGHAI):
        _book(store, setup, time(9, 0))
        with pytest.raises(booking.SlotFull) as full:
            _book(store, setup, time(9, 0), car="car2")
    assert [slot.strftime("%H:%M") for slot in full.value.free] == ["09:30", "10:00", "10:30", "11:00", "11:30", "12:00"]


def test_workshop_hours_per_day_are_respected(store, setup):
    with clock.frozen(MONDAY_0800_SHANGHAI):
        _book(store, setup, time(9, 0), estimated_hours="3")
        with pytest.raises(booking.SlotFull) as full:
            _book(store, setup, time(11, 0), car="car2", estimated_hours="2")
    assert all(slot.date() > MONDAY for slot in full.value.free)  # only 1 h left that day


@pytest.mark.parametrize("at, field", [(time(7, 30), "slot"), (time(17, 45), "slot"), (time(8, 0), "slot")])
def test_outside_opening_hours_or_in_the_past_is_refused(store, setup, at, field):
    with clock.frozen(MONDAY_0800_SHANGHAI + timedelta(minutes=5)):  # 08:05: the 08:00 slot has passed
        with pytest.raises(DomainError) as refused:
            _book(store, setup, at)
    assert refused.value.field == field


def test_a_car_is_booked_once_a_day(store, setup):
    with clock.frozen(MONDAY_0800_SHANGHAI):
        _book(store, setup, time(9, 0))
        with pytest.raises(DomainError):
            _book(store, setup, time(14, 0))


def test_new_car_on_the_phone_is_created_with_its_owner(store, db):
    car = booking.find_or_create_car(store_id=store.id, plate="沪D54321", name="王五", mobile="13700001111",
                                     model="宝来")
    assert car.customer.name == "王五"
    assert booking.find_or_create_car(store_id=store.id, plate="沪d54321").id == car.id
    with pytest.raises(DomainError) as refused:
        booking.find_or_create_car(store_id=store.id, plate="沪E54321", model="宝来")
    assert refused.value.field == "name"


def test_arrival_opens_the_repair_order_with_the_menu_item_once(store, setup, db):
    from intranet.core.models import CannedJob, CannedJobLine

    job = CannedJob(store_id=store.id, code="FS", name="首保", lines=[
        CannedJobLine(position=1, kind="labour", description="首保工时", quantity=Decimal("1"))])
    db.session.add(job)
    db.session.flush()
    with clock.frozen(MONDAY_0800_SHANGHAI):
        appointment = _book(store, setup, time(9, 0), work="", canned_job_id=job.id)
        assert appointment.work_wanted == "首保" and appointment.estimated_hours == Decimal("1")
        ro = booking.arrive(appointment.id, store_id=store.id, actor_id=setup["advisor"].id)
        again = booking.arrive(appointment.id, store_id=store.id, actor_id=setup["advisor"].id)
    assert ro.id == again.id and ro.complaint == "首保" and [ln.description for ln in ro.lines] == ["首保工时"]
    assert appointment.status == AppointmentStatus.ARRIVED
    assert db.session.scalar(select(func.count()).select_from(RepairOrder)) == 1


def test_no_show_job_runs_on_real_redis_and_is_idempotent(store, setup, redis_conn, db):
    with clock.frozen(MONDAY_0800_SHANGHAI):
        late = _book(store, setup, time(9, 0))
        later = _book(store, setup, time(16, 0), car="car2")
        db.session.commit()
        late_id, later_id, store_id = late.id, later.id, store.id
    with clock.frozen(MONDAY_0800_SHANGHAI + timedelta(hours=4)):  # 12:00: 09:00 + 2 h grace has passed
        for _ in range(2):
            queue.enqueue("appointment-no-shows")
            db.session.commit()
            SimpleWorker(["low"], connection=redis_conn).work(burst=True)
    db.session.expire_all()
    assert db.session.get(Appointment, late_id).status == AppointmentStatus.NO_SHOW
    assert db.session.get(Appointment, later_id).status == AppointmentStatus.BOOKED
    start, end = MONDAY_0800_SHANGHAI - timedelta(days=1), MONDAY_0800_SHANGHAI + timedelta(days=1)
    assert booking.show_rate(store_id, start, end) == (0, 1, 0.0)


def test_booking_by_phone_in_the_browser_flow(client, login_as, store, db):
    advisor = login_as(Role.ADVISOR)
    tomorrow = clock.store_today(store.timezone) + timedelta(days=1)
    page = client.get("/reception/appointments/new")
    assert page.status_code == 200
    # changing the day or the advisor reloads the slots (htmx attributes written with hyphens)
    assert page.get_data(as_text=True).count('hx-get="/reception/appointments/slots"') == 2
    slots = client.get(f"/reception/appointments/slots?day={tomorrow.isoformat()}&advisor_id={advisor.id}")
    assert "<option" in slots.get_data(as_text=True) and "08:00" in slots.get_data(as_text=True)
    form = {"plate": "沪F11111", "name": "赵六", "mobile": "13600002222", "model": "速腾", "day": tomorrow.isoformat(),
            "advisor_id": advisor.id, "slot": "09:00", "canned_job_id": "", "work_wanted": "空调不凉",
            "estimated_hours": "1.5", "parts_wanted": "空调滤芯 1 个"}
    assert client.post("/reception/appointments/new", data=form).status_code == 302
    day_view = client.get(f"/reception/appointments?day={tomorrow.isoformat()}").get_data(as_text=True)
    assert "沪F11111" in day_view and "空调滤芯" in day_view
    store.advisor_slot_capacity = 1
    db.session.commit()
    full = client.post("/reception/appointments/new", data={**form, "plate": "沪F22222", "mobile": "13600003333"})
    body = full.get_data(as_text=True)
    assert full.status_code == 409 and 'name="pick"' in body and 'value="沪F22222"' in body
    mangled = client.post("/reception/appointments/new", data={**form, "plate": "沪F22222", "mobile": "13600003333",
                                                                "pick": "2026-13-45 09:00"})
    assert mangled.status_code == 409  # a mangled free-slot pick is ignored (it was a 500), the form kept
    week = client.get(f"/reception/appointments?day={tomorrow.isoformat()}&view=week")
    assert week.status_code == 200
    appointment = db.session.scalar(select(Appointment))
    arrived = client.post(f"/reception/appointments/{appointment.id}/arrive")
    assert arrived.status_code == 302 and "/reception/ro/" in arrived.location
