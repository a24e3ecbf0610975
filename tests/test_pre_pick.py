"""The appointment's pre-pick (预约备料): a booking names catalogue parts and quantities, the parts
store holds what is free and sees the rest as a shortage, lists the next days' booked cars with
their parts, marks lines picked, and the held parts follow the car onto its repair order; a
cancelled booking gives them back. Reception asks the parts store only through its hooks."""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError
from intranet.parts import ledger, services
from intranet.parts.models import Part, Reservation, ReservationStatus
from intranet.parts.services import reservations
from intranet.reception import appointments as booking
from intranet.reception import pre_pick
from intranet.reception.models import Appointment, AppointmentStatus, PrePickLine
from tests import factories
from tests.conftest import queries_for

MONDAY = date(2026, 11, 23)
MONDAY_0800 = clock.store_local_to_utc(datetime.combine(MONDAY, time(8)), "Asia/Shanghai")


@pytest.fixture
def shop(store, make_user, make_vehicle, db):
    people = factories.people(store, advisor=(Role.ADVISOR, None, "孙顾问"), counter=(Role.PARTS, None, "周库管"))
    parts = {}
    for number, name, bin_code, stock in (("06J115403Q", "机油滤清器", "A-01-1-01", "5"),
                                          ("5Q0698151", "前刹车片", "A-01-2-04", "1"),
                                          ("G052195M4", "机油 5W-40 4L", "B-02-1-01", "10")):
        part = services.save_part(store_id=store.id, number=number, name=name, bin_code=bin_code, cost="50",
                                  price="100")
        services.add_opening_stock(part.id, stock, store_id=store.id, actor_id=people["counter"].id)
        parts[number] = part
    db.session.commit()
    return {"people": people, "parts": parts, "cars": [make_vehicle(plate=f"沪A1000{n}") for n in range(6)]}


def lines(*rows):
    return [pre_pick.TypedLine(number, "", quantity) for number, quantity in rows]


def book(store, shop, car=0, day=MONDAY, at=time(10), **kw):
    advisor = shop["people"]["advisor"]
    return booking.book(store_id=store.id, actor_id=advisor.id, advisor_id=advisor.id,
                        starts_local=datetime.combine(day, at), vehicle_id=shop["cars"][car].id,
                        work_wanted=kw.pop("work", "保养"), **kw)


def part(db, shop, number) -> Part:
    db.session.expire_all()
    return db.session.get(Part, shop["parts"][number].id)


def test_a_booking_holds_its_catalogue_parts_and_flags_what_is_short(db, store, shop):
    with clock.frozen(MONDAY_0800):
        appointment = book(store, shop, pre_pick=lines(("06j115403q", "1"), ("5Q0698151", "2"), ("06J115403Q", "1")),
                           parts_wanted="顺便看看雨刮")
        db.session.commit()
    got = {(ln.part_number, ln.part_name, ln.quantity, ln.reserved) for ln in appointment.pre_pick}
    assert got == {("06J115403Q", "机油滤清器", Decimal("2"), Decimal("2")),  # chosen twice: one line of 2
                   ("5Q0698151", "前刹车片", Decimal("2"), Decimal("1"))}  # only 1 on the shelf
    assert [(ln.part_number, ln.short) for ln in appointment.short_lines] == [("5Q0698151", Decimal("1"))]
    assert appointment.parts_wanted == "顺便看看雨刮"  # the free text stays, as a note
    assert part(db, shop, "06J115403Q").reserved == 2 and part(db, shop, "5Q0698151").reserved == 1
    assert ledger.ledger_drift(store.id) == []


@pytest.mark.parametrize("rows, message", [
    ((("NOSUCH1", "1"),), "NOSUCH1"),
    ((("06J115403Q", ""),), "06J115403Q"),
    ((("06J115403Q", "0"),), "06J115403Q"),
    ((("06J115403Q", "-1"),), "06J115403Q"),
    ((("06J115403Q", "1e309"),), ""),
])
def test_an_unknown_part_or_a_bad_quantity_refuses_the_booking(db, store, shop, rows, message):
    with clock.frozen(MONDAY_0800):
        with pytest.raises(DomainError) as refused:
            book(store, shop, pre_pick=lines(*rows))
        db.session.rollback()
    assert refused.value.field == "pre_pick" and message in str(refused.value.message)
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0


def test_the_held_parts_follow_the_car_and_a_dropped_booking_gives_them_back(db, store, shop):
    with clock.frozen(MONDAY_0800):
        came = book(store, shop, pre_pick=lines(("06J115403Q", "1"), ("5Q0698151", "2")))
        missed = book(store, shop, car=1, at=time(11), pre_pick=lines(("G052195M4", "4")))
        db.session.commit()
        # a brake pad came in after the booking: the arrival holds it too
        services.add_opening_stock(shop["parts"]["5Q0698151"].id, "1", store_id=store.id,
                                   actor_id=shop["people"]["counter"].id)
        db.session.commit()
    with clock.frozen(MONDAY_0800 + timedelta(hours=2)):
        ro = booking.arrive(came.id, store_id=store.id, actor_id=shop["people"]["advisor"].id)
        booking.set_status(missed.id, AppointmentStatus.CANCELLED, store_id=store.id)
        db.session.commit()
    held = sorted((r.part.number, r.quantity) for r in services.reservations_of(repair_order_id=ro.id))
    assert held == [("06J115403Q", Decimal("1")), ("5Q0698151", Decimal("1")), ("5Q0698151", Decimal("1"))]
    assert db.session.scalar(select(func.count()).select_from(Reservation).where(
        Reservation.appointment_id.is_not(None), Reservation.status == ReservationStatus.OPEN)) == 0
    assert part(db, shop, "G052195M4").reserved == 0 and part(db, shop, "5Q0698151").reserved == 2
    assert not db.session.get(Appointment, came.id).short_lines
    assert ledger.ledger_drift(store.id) == []


def test_the_pre_pick_list_shows_the_next_days_and_a_line_is_picked_once(db, store, shop):
    with clock.frozen(MONDAY_0800):
        today = book(store, shop, pre_pick=lines(("06J115403Q", "1")))
        tomorrow = book(store, shop, car=1, day=MONDAY + timedelta(days=1), pre_pick=lines(("5Q0698151", "3")))
        book(store, shop, car=2, day=MONDAY + timedelta(days=2))  # nothing to prepare: not listed
        later = book(store, shop, car=3, day=MONDAY + timedelta(days=5), pre_pick=lines(("G052195M4", "1")))
        db.session.commit()
        listed = reservations.pre_pick_list(store, MONDAY, 3)
        assert [(d.day, [a.id for a in d.appointments]) for d in listed.days] == [
            (MONDAY, [today.id]), (MONDAY + timedelta(days=1), [tomorrow.id]), (MONDAY + timedelta(days=2), [])]
        assert (listed.to_pick, listed.short) == (2, 1)
        assert later.id in [a.id for d in reservations.pre_pick_list(store, MONDAY, 7).days for a in d.appointments]
        line = today.pre_pick[0]
        counter, other = shop["people"]["counter"], factories.user(store, Role.PARTS)
        reservations.mark_picked(line.id, store_id=store.id, actor_id=counter.id)
        db.session.commit()
        reservations.mark_picked(line.id, store_id=store.id, actor_id=other.id)  # a second tap: the first stays
        db.session.commit()
        assert (line.picked_by_id, reservations.pre_pick_list(store, MONDAY, 3).to_pick) == (counter.id, 1)
        short = tomorrow.pre_pick[0]
        with pytest.raises(Conflict):  # nothing came in yet
            reservations.hold_pre_pick_rest(short.id, store_id=store.id, actor_id=counter.id)
        db.session.rollback()
        services.add_opening_stock(shop["parts"]["5Q0698151"].id, "5", store_id=store.id, actor_id=counter.id)
        assert reservations.hold_pre_pick_rest(short.id, store_id=store.id, actor_id=counter.id) == 2
        db.session.commit()
        assert db.session.get(PrePickLine, short.id).short == 0
        booking.set_status(tomorrow.id, AppointmentStatus.CANCELLED, store_id=store.id)
        db.session.commit()
        with pytest.raises(Conflict):  # the booking is gone from the list: its lines are no longer picked
            reservations.mark_picked(short.id, store_id=store.id, actor_id=counter.id)
        db.session.rollback()
    assert ledger.ledger_drift(store.id) == []


def test_reception_reaches_the_catalogue_only_through_its_hooks(db, store, shop):
    hits = pre_pick.search_catalogue(store.id, "机油")
    assert {(h.number, h.available) for h in hits} == {("06J115403Q", Decimal("5")), ("G052195M4", Decimal("10"))}
    assert pre_pick.search_catalogue(store.id, "  ") == []
    source = open(pre_pick.__file__, encoding="utf-8").read() + open(booking.__file__, encoding="utf-8").read()
    assert "intranet.parts" not in source


def english(client):
    client.post("/language/en", data={"next": "/"})


def test_booking_with_parts_on_the_form_and_the_counter_list(db, store, shop, client, login_as):
    advisor = login_as(Role.ADVISOR)
    english(client)
    with clock.frozen(MONDAY_0800):
        search = client.get("/reception/appointments/parts?part_q=5Q06").get_data(as_text=True)
        assert "前刹车片" in search and 'data-testid="add-5Q0698151"' in search
        row = client.get("/reception/appointments/parts/line?number=5Q0698151&name=前刹车片").get_data(as_text=True)
        assert 'name="pre_pick_number" value="5Q0698151"' in row and 'name="pre_pick_qty" value="1"' in row
        form = {"plate": "沪A10000", "day": MONDAY.isoformat(), "advisor_id": advisor.id, "slot": "10:00",
                "canned_job_id": "", "work_wanted": "刹车异响", "estimated_hours": "1", "parts_wanted": "",
                "pre_pick_number": ["5Q0698151", "06J115403Q"], "pre_pick_name": ["前刹车片", "机油滤清器"],
                "pre_pick_qty": ["2", "x"]}
        refused = client.post("/reception/appointments/new", data=form)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "Enter a number." in body
        assert 'value="5Q0698151"' in body and 'value="x"' in body  # what was typed is kept
        done = client.post("/reception/appointments/new", data={**form, "pre_pick_qty": ["2", "1"]},
                           follow_redirects=True)
        page = done.get_data(as_text=True)
        assert done.status_code == 200 and "Not enough free stock" in page and "1 short" in page
        appointment = db.session.scalar(select(Appointment))
        assert {(ln.part_number, ln.reserved) for ln in appointment.pre_pick} == {
            ("5Q0698151", Decimal("1")), ("06J115403Q", Decimal("1"))}
        client.post("/logout")
        login_as(Role.PARTS)
        english(client)
        counter = client.get("/parts/").get_data(as_text=True)
        assert 'data-testid="pre-pick-summary"' in counter and "2 lines to pick" in counter
        listed = client.get("/parts/pre-pick").get_data(as_text=True)
        assert "沪A10000" in listed and advisor.display_name in listed and "刹车异响" in listed
        assert f'data-testid="pre-pick-car-{appointment.id}"' in listed and "1 held, 1 short" in listed
        line = appointment.pre_pick[0]
        picked = client.post(f"/parts/pre-pick/{line.id}/picked", data={"picked": "1", "days": "3"},
                             headers={"HX-Request": "true"})
        assert picked.status_code == 200 and "toast" in picked.headers.get("HX-Trigger", "")
        assert 'id="pre-pick-board"' in picked.get_data(as_text=True)
        again = client.post(f"/parts/pre-pick/{line.id}/picked", data={"picked": "1"})
        assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(PrePickLine, line.id).picked_at is not None


def test_the_pre_pick_list_reads_in_fixed_queries(db, store, shop, client, login_as):
    login_as(Role.PARTS)
    with clock.frozen(MONDAY_0800):
        book(store, shop, pre_pick=lines(("06J115403Q", "1")))
        db.session.commit()
        few = queries_for(db, client, "/parts/pre-pick")
        for n in range(1, 5):
            book(store, shop, car=n, day=MONDAY + timedelta(days=n % 3), at=time(9 + n),
                 pre_pick=lines(("G052195M4", "1"), ("5Q0698151", "1")))
        db.session.commit()
        many = queries_for(db, client, "/parts/pre-pick")
    assert few == many


def test_only_the_parts_store_opens_the_pre_pick_list(client, login_as):
    login_as(Role.ADVISOR)
    assert client.get("/parts/pre-pick").status_code == 403
