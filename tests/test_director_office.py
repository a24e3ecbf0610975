"""The director's office: insurer contacts against the month's targets, the repair orders' form
quality (required fields, errors, the nightly job on real Redis), the equipment register with its
maintenance cards, and the closing round's spot checks of those cards. The UI language in tests is
Chinese and the new strings are not translated yet: refusals are matched on their class and field."""
from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from rq import SimpleWorker
from sqlalchemy import event, func, select

from intranet import clock
from intranet.core.models import Role, ROStatus
from intranet.director import equipment, form_quality, insurers
from intranet.director.form_quality import FormError, Missing
from intranet.director.models import (
    CorrectiveAction, Equipment, EquipmentSpotCheck, FormQualityDay, InspectionRound, InspectionTemplate, Insurer,
    InsurerContact, MaintenanceRecord, MaintenanceTask, RoundSlot, RoundStatus,
)
from intranet.director.settings import settings_for
from intranet.errors import Conflict, DomainError
from intranet.jobs import queue
from intranet.reception.models import Delivery, WalkAround
from tests import factories

# Tuesday 24 November 2026, 10:00 in Shanghai
NOW = datetime(2026, 11, 24, 2, 0)
TODAY = date(2026, 11, 24)
_numbers = itertools.count(1)


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


@pytest.fixture
def staff(db, store):
    settings_for(store.id)  # the store's settings row exists (made on first use otherwise)
    db.session.commit()
    return factories.people(store, director="zhao", accident="yang", controller="wu", advisor="sun", advisor2="li")


def count_queries(db, action) -> int:
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


# ================================================================== insurers

def add_insurer(db, store, name, partner=False):
    insurer = insurers.save_insurer(store_id=store.id, name=name, partner=partner)
    db.session.commit()
    return insurer


def contact(db, store, actor, insurer, when_utc, subject="报价沟通"):
    db.session.add(InsurerContact(store_id=store.id, insurer_id=insurer.id, at=when_utc, subject=subject,
                                  by_id=actor.id))
    db.session.flush()


def test_an_insurer_name_is_unique_in_the_store_and_required(db, store):
    add_insurer(db, store, "人保财险", partner=True)
    with pytest.raises(Conflict) as refused:
        insurers.save_insurer(store_id=store.id, name="  人保财险 ")
    assert refused.value.field == "name"
    with pytest.raises(DomainError) as refused:
        insurers.save_insurer(store_id=store.id, name="   ")
    assert refused.value.field == "name"
    other = add_insurer(db, store, "PICC Shanghai")
    with pytest.raises(Conflict):  # neither case nor spacing makes it another insurer
        insurers.save_insurer(store_id=store.id, name="PICC  shanghai")
    renamed = insurers.save_insurer(store_id=store.id, insurer_id=other.id, name="PICC Shanghai", partner=True)
    assert renamed.partner and db.session.scalar(select(func.count()).select_from(Insurer)) == 2


def test_log_contact_refuses_the_future_an_empty_subject_and_a_foreign_insurer(db, store, staff):
    picc = add_insurer(db, store, "人保财险", partner=True)
    args = {"store_id": store.id, "actor_id": staff["director"].id, "insurer_id": picc.id}
    with clock.frozen(NOW):
        with pytest.raises(DomainError) as refused:
            insurers.log_contact(subject="季度价格", at="2026-11-24T10:30", **args)  # 30 min from now
        assert refused.value.field == "at"
        with pytest.raises(DomainError) as refused:
            insurers.log_contact(subject="   ", **args)
        assert refused.value.field == "subject"
        with pytest.raises(DomainError) as refused:
            insurers.log_contact(subject="季度价格", at="24/11 9:00", **args)
        assert refused.value.field == "at"
        with pytest.raises(DomainError) as refused:
            insurers.log_contact(store_id=store.id, actor_id=staff["director"].id, insurer_id=999999, subject="x")
        assert refused.value.field == "insurer_id"
        with pytest.raises(DomainError) as refused:
            insurers.log_contact(subject="季度价格", channel="telepathy", **args)
        assert refused.value.field == "channel"
        now = insurers.log_contact(subject="季度价格", channel="phone", their_person="王经理", **args)
        earlier = insurers.log_contact(subject="定损争议", at="2026-11-24T09:15", **args)
    assert now.at == NOW and now.channel == "phone" and now.their_person == "王经理"
    assert earlier.at == at_local(TODAY, 9, 15)


def test_month_progress_counts_the_store_month_against_each_target(db, store, staff):
    picc = add_insurer(db, store, "人保财险", partner=True)
    ping_an = add_insurer(db, store, "平安产险", partner=True)
    cpic = add_insurer(db, store, "太平洋保险")
    dadi = add_insurer(db, store, "大地保险")
    director = staff["director"]
    for day in (2, 5, 9, 12, 16, 19, 21, 23):  # eight this month: target met
        contact(db, store, director, picc, at_local(date(2026, 11, day), 10))
    contact(db, store, director, ping_an, at_local(date(2026, 11, 3), 10))
    contact(db, store, director, cpic, at_local(date(2026, 11, 1), 0, 10))  # 00:10 on the 1st, local
    contact(db, store, director, cpic, at_local(date(2026, 10, 31), 23, 50))  # October, local
    contact(db, store, director, dadi, at_local(date(2026, 11, 4), 10))
    contact(db, store, director, dadi, at_local(date(2026, 11, 10), 10))
    db.session.commit()
    with clock.frozen(NOW):
        rows = insurers.month_progress(store.id, date(2026, 11, 1), today=TODAY)
    by_name = {r.insurer.name: r for r in rows}
    assert {n: (r.contacts, r.target) for n, r in by_name.items()} == {
        "人保财险": (8, 8), "平安产险": (1, 8), "太平洋保险": (1, 4), "大地保险": (2, 4)}
    assert by_name["人保财险"].state == "met" and by_name["人保财险"].percent == 100
    assert by_name["平安产险"].state == "behind" and by_name["平安产险"].expected == 8 * 24 // 30
    assert by_name["大地保险"].percent == 50
    # the 24th is in the last third: those short of their target first, most short first
    assert [r.insurer.name for r in rows] == ["平安产险", "太平洋保险", "大地保险", "人保财险"]
    # early in the month: partners first, then by name
    early = insurers.month_progress(store.id, date(2026, 11, 1), today=date(2026, 11, 8))
    assert [r.insurer.partner for r in early] == [True, True, False, False]
    # the store's own targets
    settings = settings_for(store.id)
    settings.insurer_contacts_target, settings.partner_contacts_target = 2, 10
    db.session.commit()
    rows = {r.insurer.name: r for r in insurers.month_progress(store.id, date(2026, 11, 1), today=TODAY)}
    assert rows["大地保险"].met and rows["人保财险"].target == 10 and not rows["人保财险"].met


def test_month_progress_costs_the_same_queries_for_few_and_many(db, store, staff):
    def run():
        insurers.month_progress(store.id, date(2026, 11, 1), today=TODAY)

    picc = add_insurer(db, store, "人保财险", partner=True)
    contact(db, store, staff["director"], picc, at_local(date(2026, 11, 2), 10))
    db.session.commit()
    db.session.expire_all()
    few = count_queries(db, run)
    for n in range(12):
        other = add_insurer(db, store, f"保险公司{n}", partner=n % 3 == 0)
        for day in range(1, 6):
            contact(db, store, staff["director"], other, at_local(date(2026, 11, day), 10))
    db.session.commit()
    db.session.expire_all()
    assert count_queries(db, run) == few <= 4


# ================================================================== form quality

@pytest.fixture
def make_ro(db, store, staff, make_vehicle):
    """A repair order opened at `opened` (UTC), complete unless told otherwise."""

    def make(opened=None, *, vehicle=None, advisor=None, status=ROStatus.IN_WORKSHOP, odometer=12000,
             complaint="刹车异响", promised=timedelta(hours=4), key_tag="015", signed=True, lines=None, **fields):
        opened = opened or at_local(TODAY, 9)
        with_delivery = fields.pop("_delivery", True)
        if vehicle is None:
            vehicle = make_vehicle()
            vehicle.vin = f"LFV2A21K{next(_numbers):09d}"
        lines = lines if lines is not None else [("labour", "1.0", "150", "customer")]
        ro = factories.repair_order(
            store, advisor or staff["advisor"], car=vehicle, number=f"TS01-{next(_numbers):05d}", status=status,
            opened=opened, promised=opened + promised if promised is not None else None, odometer_km=odometer,
            complaint=complaint, key_tag=key_tag, commit=False, **fields,
            lines=[factories.line(kind, qty, price, None, payer, position=n, description=f"{kind} {n}")
                   for n, (kind, qty, price, payer) in enumerate(lines)])
        if signed:
            db.session.add(WalkAround(repair_order_id=ro.id, signed_at=opened + timedelta(minutes=5),
                                      signed_name="张伟"))
        if status in (ROStatus.DELIVERED, ROStatus.CLOSED) and with_delivery:
            db.session.add(Delivery(repair_order_id=ro.id, old_parts="shown", delivered_at=opened))
        db.session.commit()
        return ro

    return make


def checked(store, ro) -> form_quality.ROCheck:
    day = clock.to_store_time(ro.opened_at, store.timezone).date()
    return next(c for c in form_quality.check_day(store.id, day).ros if c.ro.id == ro.id)


def test_a_complete_repair_order_has_nothing_to_fix(db, store, make_ro):
    result = checked(store, make_ro())
    assert result.complete and not result.has_errors and result.missing == [] and result.errors == {}


@pytest.mark.parametrize("missing, fields", [
    (Missing.ODOMETER, {"odometer": None}),
    (Missing.COMPLAINT, {"complaint": "  "}),
    (Missing.PROMISED, {"promised": None}),
    (Missing.KEY_TAG, {"key_tag": ""}),
    (Missing.WALK_AROUND, {"signed": False}),
    (Missing.LINES, {"lines": []}),
])
def test_each_missing_field_is_found_alone(db, store, make_ro, missing, fields):
    result = checked(store, make_ro(**fields))
    assert result.missing == [missing] and result.errors == {} and not result.complete


def test_missing_customer_mobile_vin_and_advisor(db, store, make_ro, make_vehicle, make_customer):
    no_vin = make_vehicle()
    no_customer = make_vehicle()
    no_customer.customer_id, no_customer.vin = None, "LFV2A21K000000001"
    db.session.commit()
    assert checked(store, make_ro(vehicle=no_vin)).missing == [Missing.VIN]
    ro = make_ro(vehicle=no_customer)
    assert checked(store, ro).missing == [Missing.CUSTOMER_MOBILE]
    ro = make_ro()
    ro.advisor_id = None
    db.session.commit()
    assert checked(store, ro).missing == [Missing.ADVISOR]
    # an unsigned walk-around is not a signed one
    ro = make_ro(signed=False)
    db.session.add(WalkAround(repair_order_id=ro.id, fuel_eighths=4))
    db.session.commit()
    assert checked(store, ro).missing == [Missing.WALK_AROUND]


def test_a_key_tag_of_the_key_board_counts(db, store, make_ro):
    from intranet.keys.models import KeyTag

    ro = make_ro(key_tag=None)
    db.session.add(KeyTag(store_id=store.id, code="A07", repair_order_id=ro.id))
    db.session.commit()
    assert checked(store, ro).complete


@pytest.mark.parametrize("error, fields", [
    (FormError.PROMISE_BEFORE_OPENING, {"promised": timedelta(hours=-1)}),
    (FormError.INSURANCE_CLAIM, {"lines": [("labour", "2", "150", "insurance")], "insurer": "人保财险"}),
    (FormError.INSURANCE_CLAIM, {"lines": [("part", "1", "800", "insurance")], "claim_number": "BA001"}),
    (FormError.WARRANTY_REF, {"lines": [("part", "1", "1320", "warranty")]}),
    (FormError.ZERO_HOURS, {"lines": [("labour", "0", "150", "customer"), ("labour", "0", "150", "customer")]}),
    (FormError.ZERO_PRICE, {"lines": [("labour", "1", "150", "customer"), ("part", "1", "0", "customer")]}),
    (FormError.NO_DELIVERY_RECORD, {"status": ROStatus.DELIVERED, "_delivery": False}),
])
def test_each_error_is_found_once(db, store, make_ro, error, fields):
    result = checked(store, make_ro(**fields))
    assert list(result.errors) == [error] and result.complete and result.has_errors


def test_what_is_not_an_error(db, store, make_ro):
    fine = [
        make_ro(lines=[("labour", "2", "150", "insurance")], insurer="人保财险", claim_number="BA001"),
        make_ro(lines=[("part", "1", "1320", "warranty")], warranty_claim_ref="WC2611"),
        make_ro(lines=[("part", "1", "0", "warranty"), ("labour", "1", "0", "internal")],
                warranty_claim_ref="WC2612"),  # free to the customer, not on their bill
        make_ro(status=ROStatus.DELIVERED),  # with its delivery record
    ]
    assert [checked(store, ro).errors for ro in fine] == [{}, {}, {}, {}]


def test_odometer_lower_than_the_cars_previous_repair_order(db, store, make_ro, make_vehicle):
    car = make_vehicle()
    make_ro(at_local(TODAY - timedelta(days=40), 9), vehicle=car, odometer=15300, status=ROStatus.CLOSED)
    make_ro(at_local(TODAY - timedelta(days=20), 9), vehicle=car, odometer=99999, status=ROStatus.CANCELLED)
    typo = make_ro(vehicle=car, odometer=1580)
    result = checked(store, typo)
    assert list(result.errors) == [FormError.ODOMETER_BACKWARDS] and "15,300" in result.errors[
        FormError.ODOMETER_BACKWARDS]
    other = make_vehicle()
    make_ro(at_local(TODAY - timedelta(days=40), 9), vehicle=other, odometer=15300, status=ROStatus.CLOSED)
    assert checked(store, make_ro(vehicle=other, odometer=15300)).errors == {}  # the same reading is no error


def test_day_rates_count_each_ro_once_and_leave_cancelled_and_other_days_out(db, store, make_ro):
    make_ro()
    make_ro(key_tag=None, complaint=None)  # two fields missing: one incomplete RO
    make_ro(lines=[("labour", "0", "150", "customer"), ("part", "1", "0", "customer")],
            promised=timedelta(hours=-2))  # three errors: one RO with errors
    make_ro(signed=False, lines=[("part", "1", "1320", "warranty")])  # both
    make_ro(status=ROStatus.CANCELLED, signed=False)
    make_ro(at_local(TODAY - timedelta(days=1), 23, 59), signed=False)  # yesterday, local
    make_ro(at_local(TODAY + timedelta(days=1), 0, 0), signed=False)  # tomorrow
    result = form_quality.check_day(store.id, TODAY)
    assert (result.checked, result.complete, result.with_errors) == (4, 2, 2)
    assert result.fill_rate == Decimal("50.0") and result.error_rate == Decimal("50.0")
    assert result.fill_off and result.errors_off and len(result.problems) == 3
    empty = form_quality.check_day(store.id, TODAY - timedelta(days=5))
    assert empty.checked == 0 and empty.fill_rate is None and not empty.fill_off and not empty.errors_off


def test_targets_come_from_the_store_settings(db, store, make_ro):
    for _ in range(15):
        make_ro()
    make_ro(lines=[("labour", "0", "150", "customer")])
    result = form_quality.check_day(store.id, TODAY)
    assert result.error_rate == Decimal("6.3") and result.errors_off  # 1 of 16 is above 6%
    settings_for(store.id).form_error_limit = Decimal("7")
    db.session.commit()
    assert not form_quality.check_day(store.id, TODAY).errors_off


def test_the_check_costs_the_same_queries_for_few_and_many(db, store, make_ro, make_vehicle):
    make_ro()
    make_ro(signed=False)
    db.session.expire_all()
    few = count_queries(db, lambda: form_quality.check_day(store.id, TODAY))
    for n in range(12):
        car = make_vehicle()
        make_ro(at_local(TODAY - timedelta(days=30), 9), vehicle=car, status=ROStatus.CLOSED)
        make_ro(at_local(TODAY, 10), vehicle=car, status=ROStatus.DELIVERED if n % 2 else ROStatus.IN_WORKSHOP,
                lines=[("labour", "1", "150", "customer"), ("part", "1", "50", "insurance")], signed=n % 3 == 0)
    db.session.expire_all()
    assert count_queries(db, lambda: form_quality.check_day(store.id, TODAY)) == few <= 8


def test_record_day_writes_one_row_and_a_rerun_updates_it(db, store, make_ro):
    make_ro()
    form_quality.record_day(store.id, TODAY)
    db.session.commit()
    make_ro(signed=False)
    form_quality.record_day(store.id, TODAY)
    db.session.commit()
    rows = db.session.execute(select(FormQualityDay.day, FormQualityDay.checked, FormQualityDay.complete,
                                     FormQualityDay.with_errors)).all()
    assert rows == [(TODAY, 2, 1, 0)]


def test_the_nightly_job_records_yesterday_on_real_redis_once(db, store, make_ro, redis_conn):
    yesterday = TODAY - timedelta(days=1)
    make_ro(at_local(yesterday, 9))
    make_ro(at_local(yesterday, 11), signed=False)
    make_ro(at_local(TODAY, 0, 10), signed=False)  # today: not the job's day

    def run_at(moment):
        with clock.frozen(moment):
            queue.enqueue("director-form-quality")
            db.session.commit()
            assert SimpleWorker(["low"], connection=redis_conn).work(burst=True)
        db.session.remove()

    run_at(at_local(TODAY, 0, 20))  # 00:20 in Shanghai: 16:20 UTC the day before
    run_at(at_local(TODAY, 0, 25))  # run again by hand
    rows = db.session.execute(select(FormQualityDay.day, FormQualityDay.checked, FormQualityDay.complete)).all()
    assert rows == [(yesterday, 2, 1)]


def test_history_marks_days_without_a_check_and_totals_the_period(db, store, make_ro):
    for offset, (checked_n, complete, errors) in {1: (10, 10, 0), 2: (8, 6, 1), 4: (5, 5, 1)}.items():
        db.session.add(FormQualityDay(store_id=store.id, day=TODAY - timedelta(days=offset), checked=checked_n,
                                      complete=complete, with_errors=errors))
    db.session.commit()
    days, total = form_quality.history(store.id, TODAY - timedelta(days=1), days=5)
    assert [d.day.day for d in days] == [23, 22, 21, 20, 19]
    assert [d.recorded for d in days] == [True, True, False, True, False]
    assert [(d.fill_off, d.errors_off) for d in days if d.recorded] == [(False, False), (True, True), (False, True)]
    assert (total.checked, total.complete, total.with_errors) == (23, 21, 2)
    assert total.fill_rate == Decimal("91.3") and total.error_rate == Decimal("8.7")


def test_ros_to_fix_are_grouped_by_advisor_with_the_viewer_first(db, store, staff, make_ro):
    mine = make_ro(advisor=staff["advisor"], signed=False)
    theirs = [make_ro(at_local(TODAY - timedelta(days=d), 9), advisor=staff["advisor2"], key_tag=None)
              for d in (1, 3)]
    make_ro(at_local(TODAY - timedelta(days=7), 9), advisor=staff["advisor2"], key_tag=None)  # too old
    make_ro(advisor=staff["advisor"])  # complete
    groups = form_quality.ros_to_fix(store.id, TODAY, viewer_id=staff["advisor"].id)
    assert [(g.advisor.username, [c.ro.id for c in g.checks]) for g in groups] == [
        ("sun", [mine.id]), ("li", [theirs[0].id, theirs[1].id])]
    groups = form_quality.ros_to_fix(store.id, TODAY, viewer_id=staff["director"].id)
    assert [g.advisor.username for g in groups] == ["li", "sun"]  # most to fix first


# ================================================================== equipment

def add_equipment(db, store, name="举升机1号", kind="lift", hours=None, tasks=()):
    piece = equipment.save_equipment(store_id=store.id, name=name, kind=kind, location="机修车间")
    piece.hours_reading = hours
    for task in tasks:
        equipment.save_task(store_id=store.id, equipment_id=piece.id, **task)
    db.session.commit()
    return piece


def test_when_a_check_is_due_by_date_and_by_hours(db, store):
    piece = add_equipment(db, store, "空压机", "compressor", hours=1480, tasks=[
        {"name": "排放储气罐积水", "every_days": "7", "last_done_on": TODAY - timedelta(days=8)},
        {"name": "检查安全阀", "every_days": "30", "last_done_on": TODAY - timedelta(days=25)},
        {"name": "更换机油", "every_hours": "500", "last_done_hours": "1000"},
        {"name": "更换空滤", "every_hours": "1000", "last_done_hours": "1000"},
        {"name": "清洁冷却器", "every_days": "90", "every_hours": "200", "last_done_on": TODAY,
         "last_done_hours": "1300"},
        {"name": "新加的检查", "every_days": "30"},
    ])
    state = equipment.card_state(piece, TODAY)
    due = {d.task.name: d for d in state.tasks}
    assert (due["排放储气罐积水"].status, due["排放储气罐积水"].days_left) == ("overdue", -1)
    assert (due["检查安全阀"].status, due["检查安全阀"].days_left) == ("due_soon", 5)
    assert (due["更换机油"].status, due["更换机油"].hours_left) == ("due_soon", 20)  # the last tenth
    assert (due["更换空滤"].status, due["更换空滤"].hours_left) == ("ok", 520)
    assert (due["清洁冷却器"].status, due["清洁冷却器"].hours_left) == ("due_soon", 20)
    assert due["新加的检查"].status == "overdue" and due["新加的检查"].never_done
    assert state.status == "overdue" and state.next_due.task.name == "新加的检查"
    piece.hours_reading = 1500  # the cooler is now due by hours though far from its date
    assert equipment.task_due(due["清洁冷却器"].task, piece, TODAY).status == "overdue"


def test_register_puts_overdue_first_then_due_soon(db, store):
    ok = add_equipment(db, store, "四轮定位仪", "alignment", tasks=[
        {"name": "校准", "every_days": "180", "last_done_on": TODAY - timedelta(days=10)}])
    late = add_equipment(db, store, "举升机2号", tasks=[
        {"name": "检查保险锁", "every_days": "7", "last_done_on": TODAY - timedelta(days=9)}])
    soon = add_equipment(db, store, "举升机1号", tasks=[
        {"name": "检查保险锁", "every_days": "7", "last_done_on": TODAY - timedelta(days=6)}])
    retired = add_equipment(db, store, "旧烤漆房", "paint_booth")
    retired.active = False
    db.session.commit()
    rows = equipment.register(store.id, TODAY)
    assert [r.equipment.id for r in rows] == [late.id, soon.id, ok.id]
    assert [r.equipment.id for r in equipment.register(store.id, TODAY, include_inactive=True)][-1] == retired.id
    db.session.expire_all()
    overdue = equipment.overdue_maintenance(store.id, TODAY)
    assert count_queries(db, lambda: [(d.equipment.name, d.task.equipment.name) for d in overdue]) == 0
    assert [(d.equipment.name, d.task.name, d.days_left) for d in overdue] == [("举升机2号", "检查保险锁", -2)]


def test_equipment_and_task_refusals(db, store):
    piece = add_equipment(db, store)
    with pytest.raises(Conflict) as refused:
        equipment.save_equipment(store_id=store.id, name=" 举升机1号", kind="lift")
    assert refused.value.field == "name"
    with pytest.raises(DomainError) as refused:
        equipment.save_equipment(store_id=store.id, name="X", kind="spaceship")
    assert refused.value.field == "kind"
    base = {"store_id": store.id, "equipment_id": piece.id, "name": "检查钢丝绳"}
    with pytest.raises(DomainError) as refused:
        equipment.save_task(**base, every_days="", every_hours=" ")
    assert refused.value.field == "every_days"
    with pytest.raises(DomainError) as refused:
        equipment.save_task(**base, every_days="a week")
    assert refused.value.field == "every_days"
    with pytest.raises(DomainError) as refused:
        equipment.save_task(**base, every_hours="0")
    assert refused.value.field == "every_hours"
    with clock.frozen(NOW):
        with pytest.raises(DomainError) as refused:
            equipment.save_task(**base, every_days="30", last_done_on="2026-12-01")
    assert refused.value.field == "last_done_on"
    with pytest.raises(DomainError) as refused:
        equipment.save_task(**{**base, "name": " "}, every_days="30")
    assert refused.value.field == "name"


def test_recording_a_check_moves_the_card_and_refuses_bad_dates_and_readings(db, store, staff):
    piece = add_equipment(db, store, "空压机", "compressor", hours=1480, tasks=[
        {"name": "更换机油", "every_hours": "500", "last_done_hours": "1000"},
        {"name": "排放储气罐积水", "every_days": "7", "last_done_on": TODAY - timedelta(days=8)}])
    oil, water = piece.tasks
    args = {"store_id": store.id, "actor_id": staff["controller"].id}
    with clock.frozen(NOW):
        with pytest.raises(DomainError) as refused:
            equipment.record_check(task_id=water.id, done_on="2026-11-25", **args)
        assert refused.value.field == "done_on"
        with pytest.raises(DomainError) as refused:
            equipment.record_check(task_id=oil.id, done_on="2026-11-24", **args)  # by hours: reading needed
        assert refused.value.field == "hours_reading"
        with pytest.raises(DomainError) as refused:
            equipment.record_check(task_id=oil.id, hours_reading="1470", **args)
        assert refused.value.field == "hours_reading"
        with pytest.raises(DomainError) as refused:
            equipment.record_check(task_id=oil.id, hours_reading="many", **args)
        assert refused.value.field == "hours_reading"
        equipment.record_check(task_id=oil.id, hours_reading="1502", note="嘉实多 4L", **args)
        equipment.record_check(task_id=water.id, **args)
        # a check of last week copied from the paper card: an earlier, lower reading is fine then
        equipment.record_check(task_id=water.id, done_on="2026-11-17", hours_reading="1400", **args)
        db.session.commit()
    db.session.refresh(piece)
    assert (oil.last_done_hours, piece.hours_reading, piece.hours_read_on) == (1502, 1502, TODAY)
    assert water.last_done_on == TODAY  # the back-dated record did not move it back
    assert equipment.card_state(piece, TODAY).status == "ok"
    assert db.session.scalar(select(func.count()).select_from(MaintenanceRecord)) == 3


def test_the_hours_reading_never_goes_back(db, store):
    piece = add_equipment(db, store, "烤漆房", "paint_booth", hours=800)
    with clock.frozen(NOW):
        with pytest.raises(DomainError) as refused:
            equipment.update_hours(store_id=store.id, equipment_id=piece.id, reading="799")
        assert refused.value.field == "reading"
        with pytest.raises(DomainError):
            equipment.update_hours(store_id=store.id, equipment_id=piece.id, reading="")
        equipment.update_hours(store_id=store.id, equipment_id=piece.id, reading="812")
    assert (piece.hours_reading, piece.hours_read_on) == (812, TODAY)


def test_the_register_costs_the_same_queries_for_few_and_many(db, store):
    add_equipment(db, store, tasks=[{"name": "检查保险锁", "every_days": "7", "last_done_on": TODAY}])
    db.session.expire_all()
    few = count_queries(db, lambda: equipment.register(store.id, TODAY))
    for n in range(15):
        add_equipment(db, store, f"设备{n}", hours=100 * n, tasks=[
            {"name": "日检", "every_days": "1", "last_done_on": TODAY - timedelta(days=n)},
            {"name": "换油", "every_hours": "500", "last_done_hours": "0"}])
    db.session.expire_all()
    assert count_queries(db, lambda: equipment.register(store.id, TODAY)) == few <= 3


# ------------------------------------------------------------------ spot checks in the closing round

@pytest.fixture
def closing_round(db, store, staff):
    template = InspectionTemplate(store_id=store.id, name="收班巡检")
    db.session.add(template)
    db.session.flush()
    slot = RoundSlot(store_id=store.id, code="closing", name="收班巡检", starts_at=time(17, 30), ends_at=time(18, 30),
                     template_id=template.id, closing=True)
    db.session.add(slot)
    db.session.flush()

    def make(day=TODAY):
        found = InspectionRound(store_id=store.id, slot_id=slot.id, day=day, started_by_id=staff["director"].id,
                                started_at=at_local(day, 17, 40))
        db.session.add(found)
        db.session.commit()
        return found

    return make


@pytest.fixture
def workshop_kit(db, store):
    return [add_equipment(db, store, name, kind, tasks=[
        {"name": "日常检查", "every_days": "30", "last_done_on": TODAY - timedelta(days=days)}])
        for name, kind, days in (("举升机1号", "lift", 3), ("举升机2号", "lift", 40), ("空压机", "compressor", 10),
                                 ("烤漆房", "paint_booth", 28))]


def test_spot_checks_pick_the_least_recently_checked_and_stay_the_same(db, store, staff, closing_round,
                                                                       workshop_kit):
    lift1, lift2, compressor, booth = workshop_kit
    yesterday = closing_round(TODAY - timedelta(days=1))
    for piece in (lift1, lift2):
        equipment.record_spot_check(store.id, yesterday.id, piece.id, card_ok=True, note=None,
                                    actor_id=staff["director"].id)
    db.session.commit()
    today = closing_round()
    rows = equipment.spot_check_list(store.id, today.id, TODAY)
    assert [r.equipment.id for r in rows] == [compressor.id, booth.id]  # never spot-checked: first
    assert [r.status for r in rows] == ["ok", "due_soon"] and [r.check for r in rows] == [None, None]
    equipment.record_spot_check(store.id, today.id, booth.id, card_ok=True, note="", actor_id=staff["director"].id)
    db.session.commit()
    rows = equipment.spot_check_list(store.id, today.id, TODAY)
    assert [r.equipment.id for r in rows] == [compressor.id, booth.id] and rows[1].check.card_ok
    settings_for(store.id).spot_checks_per_day = 3
    db.session.commit()
    assert [r.equipment.id for r in equipment.spot_check_list(store.id, today.id, TODAY)] == [
        lift1.id, compressor.id, booth.id]


def test_answering_twice_updates_and_a_card_not_up_to_date_opens_one_action(db, store, staff, closing_round,
                                                                            workshop_kit):
    lift2 = workshop_kit[1]
    today = closing_round()
    director = staff["director"].id
    with clock.frozen(at_local(TODAY, 17, 45)):
        equipment.record_spot_check(store.id, today.id, lift2.id, card_ok=True, note=None, actor_id=director)
        equipment.record_spot_check(store.id, today.id, lift2.id, card_ok=False, note="上月检查未签字",
                                    actor_id=director)
        equipment.record_spot_check(store.id, today.id, lift2.id, card_ok=False, note="上月检查未签字，已拍照",
                                    actor_id=director)
        db.session.commit()
    checks = db.session.execute(select(EquipmentSpotCheck.card_ok, EquipmentSpotCheck.note)).all()
    assert checks == [(False, "上月检查未签字，已拍照")]
    action = db.session.scalars(select(CorrectiveAction)).one()
    assert (action.owner_id, action.round_id, action.created_by_id) == (staff["controller"].id, today.id, director)
    assert "举升机2号" in action.title and "上月检查未签字" in action.detail and "日常检查" in action.detail


def test_without_a_controller_the_action_is_the_directors(db, store, staff, closing_round, workshop_kit):
    director = staff["director"]
    staff["controller"].active = False
    today = closing_round()
    equipment.record_spot_check(store.id, today.id, workshop_kit[0].id, card_ok=False, note=None,
                                actor_id=director.id)
    db.session.commit()
    assert db.session.scalars(select(CorrectiveAction.owner_id)).one() == director.id


def test_spot_checks_refuse_another_stores_round_or_equipment_and_a_finished_round(db, store, staff, closing_round,
                                                                                    workshop_kit):
    today = closing_round()
    yesterday = closing_round(TODAY - timedelta(days=1))
    yesterday.status = RoundStatus.DONE
    db.session.commit()
    with pytest.raises(Conflict):
        equipment.record_spot_check(store.id, yesterday.id, workshop_kit[0].id, card_ok=True, note=None,
                                    actor_id=staff["director"].id)
    with pytest.raises(DomainError):
        equipment.record_spot_check(store.id, 999999, workshop_kit[0].id, card_ok=True, note=None,
                                    actor_id=staff["director"].id)
    with pytest.raises(DomainError):
        equipment.record_spot_check(store.id, today.id, 999999, card_ok=True, note=None,
                                    actor_id=staff["director"].id)


def test_the_spot_check_list_costs_the_same_queries_for_few_and_many(db, store, staff, closing_round,
                                                                     workshop_kit):
    today = closing_round()
    store_id, round_id = store.id, today.id
    db.session.expire_all()
    few = count_queries(db, lambda: equipment.spot_check_list(store_id, round_id, TODAY))
    for n in range(12):
        piece = add_equipment(db, store, f"设备{n}", tasks=[{"name": "日检", "every_days": "1", "last_done_on": TODAY}])
        equipment.record_spot_check(store.id, today.id, piece.id, card_ok=n % 2 == 0, note=None,
                                    actor_id=staff["director"].id)
    db.session.commit()
    db.session.expire_all()
    assert count_queries(db, lambda: equipment.spot_check_list(store_id, round_id, TODAY)) == few <= 5


# ================================================================== pages

def page_queries(db, client, url) -> int:
    result = {}

    def run():
        result["response"] = client.get(url)

    n = count_queries(db, run)
    assert result["response"].status_code == 200, url
    return n


def test_insurer_pages_and_the_quick_contact_form(client, login_as, db, store):
    clerk = login_as(Role.ACCIDENT, username="tablet")
    picc = add_insurer(db, store, "人保财险", partner=True)
    with clock.frozen(NOW):
        page = client.get("/director/insurers/").get_data(as_text=True)
        assert "人保财险" in page and 'data-testid="contact-form"' in page and 'type="datetime-local"' in page
        refused = client.post("/director/insurers/contacts/new", data={
            "insurer_id": str(picc.id), "subject": "季度价格谈判", "channel": "visit", "at": "2026-11-30T09:00",
            "their_person": "王经理", "next": "/director/insurers/"})
        assert refused.status_code == 422
        body = refused.get_data(as_text=True)
        assert 'value="季度价格谈判"' in body and 'value="王经理"' in body and 'value="2026-11-30T09:00"' in body
        done = client.post("/director/insurers/contacts/new", data={
            "insurer_id": str(picc.id), "subject": "季度价格谈判", "channel": "meeting", "at": "2026-11-24T09:00",
            "next": f"/director/insurers/{picc.id}"})
        assert done.status_code == 302 and done.headers["Location"].endswith(f"/director/insurers/{picc.id}")
        assert client.post("/director/insurers/contacts/new", data={
            "insurer_id": str(picc.id), "subject": "x", "next": "https://evil.example/"}).headers[
            "Location"] == "/director/insurers/"
        insurer_page = client.get(f"/director/insurers/{picc.id}").get_data(as_text=True)
        assert "季度价格谈判" in insurer_page and 'data-testid="month-contacts">2<' in insurer_page
        assert client.get("/director/insurers/999999").status_code == 404
        assert client.get("/director/insurers/999999/edit").status_code == 404
        duplicate = client.post("/director/insurers/new", data={"name": "人保财险", "partner": "y", "active": "y"})
        assert duplicate.status_code == 422 and 'value="人保财险"' in duplicate.get_data(as_text=True)
        added = client.post("/director/insurers/new", data={"name": "中华联合", "active": "y"})
        assert added.status_code == 302
        assert client.get("/director/insurers/?month=2026-10").status_code == 200
        few = page_queries(db, client, "/director/insurers/")
        for n in range(10):
            insurer = add_insurer(db, store, f"保险{n}")
            for day in range(1, 4):
                contact(db, store, clerk, insurer,
                        at_local(date(2026, 11, day), 10))
        db.session.commit()
        assert page_queries(db, client, "/director/insurers/") == few


def test_form_quality_page_shows_the_rule_today_history_and_ros_to_fix(client, login_as, db, store, staff,
                                                                       make_ro):
    advisor = login_as(Role.ADVISOR, username="tablet", display_name="平板顾问")
    with clock.frozen(NOW):
        mine = make_ro(advisor=advisor, key_tag=None)
        other = make_ro(at_local(TODAY - timedelta(days=2), 9), lines=[("labour", "0", "150", "customer")])
        db.session.add(FormQualityDay(store_id=store.id, day=TODAY - timedelta(days=1), checked=10, complete=9,
                                      with_errors=1))
        db.session.commit()
        page = client.get("/director/form-quality/").get_data(as_text=True)
        assert f'href="/reception/ro/{mine.id}"' in page and f'data-testid="fix-{other.id}"' in page
        assert page.index(f"fix-{mine.id}") < page.index(f"fix-{other.id}")  # the advisor's own first
        assert "ofc-off" in page and 'data-testid="fq-history"' in page
        few = page_queries(db, client, "/director/form-quality/")
        for n in range(8):
            make_ro(at_local(TODAY - timedelta(days=n % 5), 9), signed=n % 2 == 0,
                    lines=[("part", "1", "0", "customer")])
        assert page_queries(db, client, "/director/form-quality/") == few


def test_the_manager_sees_form_quality_with_links_that_open(client, login_as, db, store, make_ro):
    """Management reads every repair order (issue 16, item 10): the form-quality list links each one,
    and the link opens."""
    login_as(Role.MANAGER, username="boss")
    with clock.frozen(NOW):
        ro = make_ro(key_tag=None)
        page = client.get("/director/form-quality/").get_data(as_text=True)
        assert ro.number in page and f'href="/reception/ro/{ro.id}"' in page
        assert client.get(f"/reception/ro/{ro.id}").status_code == 200


def test_equipment_pages_record_a_check_and_keep_what_was_typed(client, login_as, db, store):
    login_as(Role.CONTROLLER, username="tablet")
    piece = add_equipment(db, store, "空压机", "compressor", hours=1480, tasks=[
        {"name": "更换机油", "every_hours": "500", "last_done_hours": "1000"}])
    task = piece.tasks[0]
    with clock.frozen(NOW):
        page = client.get("/director/equipment/").get_data(as_text=True)
        assert "空压机" in page and 'data-testid="overdue-count"' in page
        refused = client.post(f"/director/equipment/tasks/{task.id}/done", data={
            f"task{task.id}-done_on": "2026-11-24", f"task{task.id}-hours_reading": "1400",
            f"task{task.id}-note": "换了嘉实多"})
        assert refused.status_code == 422
        body = refused.get_data(as_text=True)
        assert 'value="1400"' in body and 'value="换了嘉实多"' in body
        done = client.post(f"/director/equipment/tasks/{task.id}/done", data={
            f"task{task.id}-done_on": "2026-11-24", f"task{task.id}-hours_reading": "1500"})
        assert done.status_code == 302
        lower = client.post(f"/director/equipment/{piece.id}/hours", data={"reading": "1490"})
        assert lower.status_code == 422 and 'value="1490"' in lower.get_data(as_text=True)
        no_interval = client.post(f"/director/equipment/{piece.id}/tasks", data={"name": "检查皮带"})
        assert no_interval.status_code == 422 and 'value="检查皮带"' in no_interval.get_data(as_text=True)
        assert client.post(f"/director/equipment/{piece.id}/tasks", data={
            "name": "检查皮带", "every_days": "30"}).status_code == 302
        assert client.get(f"/director/equipment/tasks/{task.id}/edit").status_code == 200
        assert client.post("/director/equipment/new", data={"name": "空压机", "kind": "compressor"}).status_code == 422
        for url in ("/director/equipment/999999", "/director/equipment/999999/edit",
                    "/director/equipment/tasks/999999/edit"):
            assert client.get(url).status_code == 404
        assert client.post("/director/equipment/tasks/999999/done", data={}).status_code == 404
        card = client.get(f"/director/equipment/{piece.id}").get_data(as_text=True)
        assert 'data-testid="hours-reading">1500<' in card and "检查皮带" in card
        few = page_queries(db, client, "/director/equipment/")
        for n in range(10):
            add_equipment(db, store, f"举升机{n}号", tasks=[{"name": "日检", "every_days": "7", "last_done_on": TODAY}])
        assert page_queries(db, client, "/director/equipment/") == few


def test_the_spot_check_fragment_answers_with_its_row(client, login_as, db, store, closing_round, workshop_kit,
                                                      app):
    director = login_as(Role.DIRECTOR, username="tablet")
    today = closing_round()
    lift2 = workshop_kit[1]
    url = f"/director/spot-checks/{today.id}/{lift2.id}"
    with clock.frozen(at_local(TODAY, 17, 50)):
        with app.test_request_context():
            from flask import render_template

            from intranet.extensions import db as _db
            from flask_login import login_user

            login_user(_db.session.get(type(director), director.id))
            html = render_template("director/office/_spot_checks.html",
                                   spot_checks=equipment.spot_check_list(store.id, today.id, TODAY), round=today)
        assert f'hx-post="{url}"' in html and html.count('<li class="ofc-spot') == 2
        missing = client.post(url, data={"note": "x"}, headers={"HX-Request": "true"})
        assert missing.status_code == 422 and "toast" in missing.headers["HX-Trigger"]
        answered = client.post(url, data={"card_ok": "0", "note": "未签字"}, headers={"HX-Request": "true"})
        assert answered.status_code == 200
        body = answered.get_data(as_text=True)
        assert body.lstrip().startswith("<li") and "is-not-ok" in body and "<html" not in body
        assert "toast" in answered.headers["HX-Trigger"]
        again = client.post(url, data={"card_ok": "1"}, headers={"HX-Request": "true"})
        assert "is-ok" in again.get_data(as_text=True)
        assert client.post(f"/director/spot-checks/999999/{lift2.id}", data={"card_ok": "1"},
                           headers={"HX-Request": "true"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(EquipmentSpotCheck)) == 1
    assert db.session.scalar(select(func.count()).select_from(CorrectiveAction)) == 1


@pytest.mark.parametrize("role, url, allowed", [
    (Role.DIRECTOR, "/director/insurers/", True), (Role.ACCIDENT, "/director/insurers/", True),
    (Role.MANAGER, "/director/insurers/", True), (Role.ADVISOR, "/director/insurers/", False),
    (Role.ADVISOR, "/director/form-quality/", True), (Role.TECHNICIAN, "/director/form-quality/", False),
    (Role.CONTROLLER, "/director/equipment/", True), (Role.ADMIN, "/director/equipment/", True),
    (Role.ADVISOR, "/director/equipment/", False),
])
def test_who_opens_the_office_pages(client, login_as, role, url, allowed):
    login_as(role)
    assert (client.get(url).status_code == 200) is allowed
    nav = client.get("/").get_data(as_text=True)
    assert (f'href="{url}"' in nav) is allowed


def test_only_the_director_answers_spot_checks(client, login_as, db, store, closing_round, workshop_kit):
    login_as(Role.CONTROLLER)
    today = closing_round()
    assert client.post(f"/director/spot-checks/{today.id}/{workshop_kit[0].id}",
                       data={"card_ok": "1"}).status_code == 403


# ================================================================== demo

def test_the_office_demo_is_realistic_and_adds_nothing_when_run_again(db, store, staff, make_ro, make_vehicle,
                                                                     closing_round):
    from intranet.demo import director_office as demo_office

    for back in range(1, 15):
        done = closing_round(TODAY - timedelta(days=back))
        done.status = RoundStatus.DONE
        for n in range(4):
            make_ro(at_local(TODAY - timedelta(days=back), 9 + n), status=ROStatus.CLOSED, key_tag=None, signed=False)
    db.session.commit()
    tables = (Insurer, InsurerContact, Equipment, MaintenanceTask, MaintenanceRecord, EquipmentSpotCheck,
              FormQualityDay, WalkAround)

    def counts():
        return [db.session.scalar(select(func.count()).select_from(t)) for t in tables]

    with clock.frozen(at_local(TODAY, 10)):
        demo_office.seed_office(store, TODAY, history_days=14)
        db.session.commit()
        first = counts()
        figures = db.session.execute(select(FormQualityDay.day, FormQualityDay.complete,
                                            FormQualityDay.with_errors).order_by(FormQualityDay.day)).all()
        demo_office.seed_office(store, TODAY, history_days=14)
        db.session.commit()
        assert counts() == first
        assert db.session.execute(select(FormQualityDay.day, FormQualityDay.complete, FormQualityDay.with_errors)
                                  .order_by(FormQualityDay.day)).all() == figures
        progress = {p.insurer.name: p for p in insurers.month_progress(store.id, date(2026, 11, 1), today=TODAY)}
        overdue = equipment.overdue_maintenance(store.id, TODAY)
    assert first[:3] == [6, first[1], 11] and first[1] > 40 and first[5] == 14 * 2 and first[6] == 14
    assert progress["太平洋保险"].contacts == 0 and progress["太平洋保险"].state == "behind"
    assert progress["人保财险"].target == 8 and progress["人保财险"].contacts >= 5
    assert [(d.equipment.name, d.task.name) for d in overdue] == [("举升机3号", "检查钢丝绳、链条并润滑")]
    assert sum(complete for _day, complete, _errors in figures) > 0.85 * 4 * 14
