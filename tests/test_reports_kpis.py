"""The management KPIs on fixed data: the exact value, numerator and denominator of every KPI over a
week, "no data" for an empty period, the previous period, targets (default, set, reset, refused),
breakdowns, a series over the days of the week, drill-down rows with their links, agreement with
the figures the workshop and reception pages show, and a query count that does not grow with
the history."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from intranet import clock
from intranet.care.models import CallKind, CallStatus, Complaint, CsiScore, FollowUpCall
from intranet.core.models import RepairOrder, Role, ROStatus
from intranet.director.models import (
    ActionStatus,
    CorrectiveAction,
    InspectionRound,
    InspectionTemplate,
    RoundSlot,
    RoundStatus,
)
from intranet.errors import DomainError
from intranet.parts.models import MovementKind, Part, StockMovement
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.reports import kpis
from intranet.reports.periods import Period, day_of, week_of
from intranet.reports.tables import Table
from intranet.workshop.models import (
    ClockSpan,
    Inspection,
    Job,
    JobStatus,
    PartsRequest,
    Technician,
)
from tests import factories

TZ = "Asia/Shanghai"
MONDAY = date(2025, 3, 10)
SUNDAY = MONDAY + timedelta(days=6)
NOW = datetime(2025, 3, 20, 4, 0)  # Thursday after, 12:00 in Shanghai
WEEK = week_of(MONDAY)
D = Decimal


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


_n = iter(range(1, 100000))


@pytest.fixture
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def shop(db, store, make_user, frozen):
    a = make_user(Role.ADVISOR, display_name="A王")
    b = make_user(Role.ADVISOR, display_name="B李")
    mech = make_user(Role.TECHNICIAN, display_name="机修张")
    body = make_user(Role.TECHNICIAN, display_name="钣金赵")
    director = make_user(Role.DIRECTOR, display_name="总监")
    db.session.add_all([Technician(user_id=mech.id, store_id=store.id, team="mechanical"),
                        Technician(user_id=body.id, store_id=store.id, team="body")])
    db.session.commit()

    def ro(plate, advisor, *, status=ROStatus.DELIVERED, **fields):
        """A past visit of the car with `plate` (lines: kind, quantity, price, team, payer)."""
        return factories.repair_order(store, advisor, plate=plate, status=status, commit=False, **fields)

    return {"store": store, "a": a, "b": b, "mech": mech, "body": body, "director": director, "ro": ro}


@pytest.fixture
def week(db, shop):
    """A week of fixed data; the expected figures are worked out in each test's comments."""
    s, ro, A, B = shop["store"], shop["ro"], shop["a"], shop["b"]
    earlier = ro("沪K00000", A, opened=at(day(-7), 9), delivered=at(day(-6), 16))
    r1 = ro("沪K00001", A, opened=at(day(0), 9), promised=at(day(0), 17), delivered=at(day(0), 16),
            lines=[("labour", "2", "150", "mechanical", "customer"), ("part", "1", "300", None, "customer")])
    r2 = ro("沪K00002", A, opened=at(day(0), 10), promised=at(day(1), 12), delivered=at(day(1), 15),
            lines=[("labour", "3", "200", "body", "insurance"), ("part", "2", "450", None, "insurance"),
                   ("labour", "1", "150", "paint", "insurance")])
    r3 = ro("沪K00003", B, opened=at(day(2), 9), promised=at(day(2), 18), delivered=at(day(2), 17),
            lines=[("labour", "1", "150", "paint", "warranty"), ("part", "0.5", "33.33", None, "customer")])
    r4 = ro("沪K00004", B, opened=at(day(3), 9), delivered=at(day(3), 11),
            lines=[("part", "2", "50", None, "internal")])
    r5 = ro("沪K00000", A, opened=at(day(4), 9), status=ROStatus.IN_WORKSHOP, comeback_of=earlier)
    ro("沪K00006", A, opened=at(day(4), 10), status=ROStatus.CANCELLED,
       lines=[("labour", "5", "150", "mechanical", "customer")])
    r7 = ro("沪K00007", B, opened=at(day(6), 16), status=ROStatus.IN_WORKSHOP)
    ro("沪K00008", B, opened=at(day(7), 9), delivered=at(day(7), 10),
       lines=[("labour", "9", "150", "mechanical", "customer")])  # next week
    db.session.add_all([
        Inspection(store_id=s.id, repair_order_id=r1.id, at=at(day(0), 15), attempt=1, passed=True),
        Inspection(store_id=s.id, repair_order_id=r2.id, at=at(day(0), 18), attempt=1, passed=False),
        Inspection(store_id=s.id, repair_order_id=r2.id, at=at(day(1), 14), attempt=2, passed=True),
        Inspection(store_id=s.id, repair_order_id=r4.id, at=at(day(3), 10), attempt=1, passed=True),
    ])
    # appointments: one arrived (r1), one no-show, one cancelled, one next week
    for starts, status, advisor, linked in ((at(day(0), 9), AppointmentStatus.ARRIVED, A, r1),
                                            (at(day(1), 10), AppointmentStatus.NO_SHOW, B, None),
                                            (at(day(2), 10), AppointmentStatus.CANCELLED, A, None),
                                            (at(day(8), 10), AppointmentStatus.BOOKED, A, None)):
        car = db.session.get(RepairOrder, r1.id).vehicle
        db.session.add(Appointment(store_id=s.id, customer_id=car.customer_id, vehicle_id=car.id,
                                   advisor_id=advisor.id, starts_at=starts, work_wanted="保养", status=status,
                                   repair_order_id=linked.id if linked else None))
    # jobs and clocked time: mechanic sold 2 h / clocked 3 h, body sold 3 h / clocked 3 h
    j1 = Job(store_id=s.id, repair_order_id=r1.id, team="mechanical", title="保养", sold_hours=D("2"),
             status=JobStatus.DONE, technician_id=shop["mech"].id, finished_at=at(day(0), 15))
    j2 = Job(store_id=s.id, repair_order_id=r2.id, team="body", title="钣金", sold_hours=D("3"),
             status=JobStatus.DONE, technician_id=shop["body"].id, finished_at=at(day(1), 11))
    db.session.add_all([j1, j2])
    db.session.flush()
    db.session.add_all([
        ClockSpan(store_id=s.id, job_id=j1.id, technician_id=shop["mech"].id, started_at=at(day(0), 10),
                  ended_at=at(day(0), 12)),
        ClockSpan(store_id=s.id, job_id=j1.id, technician_id=shop["mech"].id, started_at=at(day(0), 13),
                  ended_at=at(day(0), 14)),
        ClockSpan(store_id=s.id, job_id=j2.id, technician_id=shop["body"].id, started_at=at(day(1), 8),
                  ended_at=at(day(1), 11)),
    ])
    # follow-up calls: 2 reached, 1 expired, 1 still due, 1 cancelled
    for n, status in enumerate((CallStatus.DONE, CallStatus.DONE, CallStatus.EXPIRED, CallStatus.DUE,
                                CallStatus.CANCELLED)):
        target = (r1, r2, r3, r4, earlier)[n]
        db.session.add(FollowUpCall(store_id=s.id, customer_id=target.customer_id, repair_order_id=target.id,
                                    kind=CallKind.FIRST, status=status, due_from=day(n), due_until=day(n + 2),
                                    expires_on=day(n + 7),
                                    reached_at=at(day(n), 11) if status == CallStatus.DONE else None))
    # complaints: one in the week, one the week after
    for received in (at(day(2), 15), at(day(8), 9)):
        db.session.add(Complaint(store_id=s.id, number=f"TS-{next(_n):04d}", customer_id=r3.customer_id,
                                 repair_order_id=r3.id, advisor_id=B.id, channel="phone", category="quality",
                                 received_at=received, description="异响"))
    # survey scores: 90 (A) and 97 (B) in the week, 60 the week after
    for target, surveyed, score in ((r1, day(3), "90.0"), (r3, day(5), "97.0"), (r4, day(9), "60.0")):
        db.session.add(CsiScore(store_id=s.id, ro_number=target.number, repair_order_id=target.id,
                                advisor_id=target.advisor_id, surveyed_on=surveyed, score=D(score)))
    # parts requests: 2 of 3 served from stock at once, one cancelled
    for n, (from_stock, status) in enumerate(((True, "issued"), (True, "issued"), (False, "issued"),
                                              (True, "cancelled"))):
        db.session.add(PartsRequest(store_id=s.id, repair_order_id=r2.id, description=f"件{n}", status=status,
                                    requested_at=at(day(1), 9 + n), from_stock=from_stock))
    # stock: 10 on hand at 20 now, 5 issued on Tuesday → 300 at the start, 200 at the end
    part = Part(store_id=s.id, number="P-001", name="机油滤清器", cost=D("20"), on_hand=D("10"))
    db.session.add(part)
    db.session.flush()
    db.session.add(StockMovement(store_id=s.id, part_id=part.id, kind=MovementKind.ISSUE, quantity=D("-5"),
                                 balance=D("10"), unit_cost=D("20"), at=at(day(1), 12)))
    # rounds: 90 and 80 finished in the week, one in progress, one the week after
    template = InspectionTemplate(store_id=s.id, name="巡检")
    db.session.add(template)
    db.session.flush()
    slot = RoundSlot(store_id=s.id, code="am", name="早巡", starts_at=time(8), ends_at=time(9), template_id=template.id)
    db.session.add(slot)
    db.session.flush()
    for n, status, score in ((0, RoundStatus.DONE, "90.0"), (1, RoundStatus.DONE, "80.0"),
                             (2, RoundStatus.IN_PROGRESS, None), (8, RoundStatus.DONE, "50.0")):
        db.session.add(InspectionRound(store_id=s.id, slot_id=slot.id, day=day(n), status=status,
                                       score=D(score) if score else None, started_by_id=shop["director"].id))
    # actions: open and overdue; closed in the week; open, due after the week; opened after the week
    owner = shop["director"].id
    for title, created, due, closed, status in (
            ("地面油污", at(day(0), 9), at(day(2), 18), None, ActionStatus.OPEN),
            ("工具归位", at(day(0), 9), at(day(4), 18), at(day(3), 9), ActionStatus.VERIFIED),
            ("灯管更换", at(day(1), 9), at(day(11), 18), None, ActionStatus.OPEN),
            ("以后的", at(day(8), 9), at(day(9), 18), None, ActionStatus.OPEN),
            ("取消的", at(day(0), 9), at(day(1), 18), None, ActionStatus.CANCELLED)):
        db.session.add(CorrectiveAction(store_id=s.id, title=title, owner_id=owner, due_at=due, created_at=created,
                                        closed_at=closed, status=status))
    db.session.commit()
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r7": r7, "earlier": earlier, "part": part}


def terms(value: kpis.Value):
    return value.value, value.numerator, value.denominator


# ------------------------------------------------------------------ definitions

def test_every_kpi_is_defined_once_with_name_formula_unit_and_group():
    keys = [key for _title, group in kpis.GROUPS for key in group]
    assert sorted(keys) == sorted(kpis.KPIS) and len(keys) == len(set(keys))
    for key, k in kpis.KPIS.items():
        assert k.key == key and str(k.name) and len(str(k.formula)) > 8  # a sentence, in either language
        assert k.unit in ("count", "money", "percent", "hours", "score")
        assert k.better in ("higher", "lower", "none")
        assert set(k.breakdowns) <= set(kpis.BREAKDOWNS)
    required = {"cars_in", "cars_out", "output_value", "output_labour", "output_parts", "output_mechanical",
                "output_body", "output_paint", "ticket_repair", "ticket_insurance", "one_time_fix", "on_time",
                "same_day", "comeback_rate", "tech_efficiency", "appointment_rate", "show_rate", "reach_rate",
                "complaint_rate", "csi", "parts_fill_rate", "parts_turnover", "round_score", "open_actions",
                "overdue_actions"}
    assert required <= set(kpis.KPIS)
    assert kpis.KPIS["cars_in"].default_target == D("20")
    assert kpis.KPIS["ticket_repair"].default_target == D("800")
    assert kpis.KPIS["ticket_insurance"].default_target == D("1800")
    assert kpis.KPIS["comeback_rate"].default_target == D("2") and kpis.KPIS["comeback_rate"].better == "lower"
    assert kpis.KPIS["csi"].default_target == D("93")


# ------------------------------------------------------------------ every KPI on the fixed week

def test_every_kpi_of_the_week(shop, week):
    v = kpis.compute(shop["store"], WEEK)
    assert list(v) == list(kpis.KPIS)
    # opened in the week, not cancelled: r1 r2 r3 r4 r5 r7 — over the 7 days
    assert terms(v["cars_in"]) == (D("0.9"), 6, 7)
    # delivered in the week: r1 r2 r3 r4
    assert terms(v["cars_out"]) == (D("0.6"), 4, 7)
    # 600 + 1650 + 166.67 (0.5 × 33.33 = 16.665 → 16.67) + 100
    assert terms(v["output_value"]) == (D("2516.67"), D("2516.67"), None)
    assert terms(v["output_labour"]) == (D("1200.00"), D("1200.00"), None)
    assert terms(v["output_parts"]) == (D("1316.67"), D("1316.67"), None)
    assert v["output_mechanical"].value == D("300.00")
    assert v["output_body"].value == D("600.00")
    assert v["output_paint"].value == D("300.00")
    # not insured: r1 600 + r3 166.67 + r4 100 over 3 cars; insured: r2 1650
    assert terms(v["ticket_repair"]) == (D("288.89"), D("866.67"), 3)
    assert terms(v["ticket_insurance"]) == (D("1650.00"), D("1650.00"), 1)
    # first inspection passed: r1, r4 (r2 failed first, r3 never inspected)
    assert terms(v["one_time_fix"]) == (D("50.0"), 2, 4)
    # promised: r1 r2 r3; on time r1 r3
    assert terms(v["on_time"]) == (D("66.7"), 2, 3)
    # in and out the same day: r1 r3 r4 of the 6 in
    assert terms(v["same_day"]) == (D("50.0"), 3, 6)
    assert terms(v["comeback_rate"]) == (D("16.7"), 1, 6)
    # sold 2 + 3 over clocked 3 + 3
    assert terms(v["tech_efficiency"]) == (D("83.3"), D("5.00"), D("6.00"))
    assert terms(v["appointment_rate"]) == (D("16.7"), 1, 6)
    assert terms(v["show_rate"]) == (D("50.0"), 1, 2)
    assert terms(v["reach_rate"]) == (D("66.7"), 2, 3)
    assert terms(v["complaint_rate"]) == (D("25.0"), 1, 4)
    assert terms(v["csi"]) == (D("93.5"), D("187.0"), 2)
    assert terms(v["parts_fill_rate"]) == (D("66.7"), 2, 3)
    # 100 issued × 365 / 7 ÷ ((300 + 200) / 2) = 20.857…
    assert terms(v["parts_turnover"]) == (D("20.9"), D("100.00"), D("250.00"))
    assert terms(v["round_score"]) == (D("85.0"), D("170.0"), 2)
    assert terms(v["open_actions"]) == (D("2"), 2, None)
    assert terms(v["overdue_actions"]) == (D("1"), 1, None)


def test_targets_and_on_target(shop, week):
    v = kpis.compute(shop["store"], WEEK)
    assert v["cars_in"].target == D("20") and v["cars_in"].on_target is False
    assert v["csi"].target == D("93") and v["csi"].on_target is True
    assert v["comeback_rate"].on_target is False  # 16.7 % > 2 %: lower is better
    assert v["ticket_repair"].on_target is False and v["ticket_insurance"].on_target is False
    assert v["overdue_actions"].on_target is False
    assert v["output_value"].target is None and v["output_value"].on_target is None


def test_only_the_keys_asked(shop, week):
    v = kpis.compute(shop["store"], WEEK, ["csi", "cars_in"])
    assert list(v) == ["cars_in", "csi"]
    with pytest.raises(DomainError):
        kpis.compute(shop["store"], WEEK, ["nonsense"])


def test_an_empty_period_has_no_data_for_every_rate(shop, week):
    v = kpis.compute(shop["store"], week_of(date(2024, 6, 3)))
    for key, value in v.items():
        k = kpis.KPIS[key]
        if k.unit in ("percent", "score") or key.startswith("ticket_"):
            assert value.value is None and not value.has_data and value.on_target is None, key
    assert terms(v["cars_in"]) == (D("0.0"), 0, 7)
    assert v["output_value"].value == D("0.00")
    assert v["open_actions"].value == 0
    assert v["one_time_fix"].denominator == 0
    assert terms(v["parts_turnover"]) == (D("0.0"), D("0.00"), D("300.00"))  # stock held, nothing issued


def test_turnover_without_stock_has_no_data(shop):
    assert kpis.compute(shop["store"], WEEK, ["parts_turnover"])["parts_turnover"].value is None


def test_a_period_wholly_in_the_future_has_no_throughput(shop, week):
    v = kpis.compute(shop["store"], week_of(date(2025, 4, 7)), ["cars_in"])
    assert terms(v["cars_in"]) == (None, 0, 0)


def test_previous_period_and_change(shop, week):
    store = shop["store"]
    now, before = kpis.compute(store, WEEK), kpis.compute(store, WEEK.previous())
    assert WEEK.previous() == Period(day(-7), day(-1), "week")
    assert terms(before["cars_in"]) == (D("0.1"), 1, 7)  # the earlier visit
    assert now["cars_in"].change(before["cars_in"]) == D("0.8")
    assert terms(before["one_time_fix"]) == (D("0.0"), 0, 1)  # delivered, never inspected
    assert now["one_time_fix"].change(before["one_time_fix"]) == D("50.0")
    assert before["show_rate"].value is None
    assert now["show_rate"].change(before["show_rate"]) is None


def test_a_running_period_counts_its_days_so_far(shop, week):
    with clock.frozen(at(day(2), 12)):  # Wednesday
        v = kpis.compute(shop["store"], WEEK, ["cars_in"])
    assert terms(v["cars_in"]) == (D("2.0"), 6, 3)  # the week's 6 cars over Monday–Wednesday


# ------------------------------------------------------------------ targets

def test_targets_default_set_and_reset(db, shop):
    sid = shop["store"].id
    assert kpis.target_for(sid, "cars_in") == D("20")
    assert kpis.target_for(sid, "output_value") is None
    kpis.set_target(sid, "cars_in", D("25"))
    kpis.set_target(sid, "output_value", "500000")
    db.session.commit()
    assert kpis.target_for(sid, "cars_in") == D("25")
    table = kpis.targets(sid)
    assert table["cars_in"] == D("25") and table["output_value"] == D("500000") and table["csi"] == D("93")
    assert set(table) == set(kpis.KPIS)
    assert kpis.compute(shop["store"], WEEK, ["cars_in"])["cars_in"].target == D("25")
    kpis.set_target(sid, "cars_in", D("30"))
    assert kpis.target_for(sid, "cars_in") == D("30")
    kpis.set_target(sid, "cars_in", None)
    db.session.commit()
    assert kpis.target_for(sid, "cars_in") == D("20")
    kpis.set_target(sid, "output_value", None)  # twice back to the default is fine
    kpis.set_target(sid, "output_value", None)
    assert kpis.target_for(sid, "output_value") is None


@pytest.mark.parametrize("key,value", [("cars_in", D("-1")), ("cars_in", "abc"), ("cars_in", "NaN"),
                                       ("nonsense", D("1"))])
def test_a_bad_target_is_refused(db, shop, key, value):
    with pytest.raises(DomainError):
        kpis.set_target(shop["store"].id, key, value)
    assert kpis.target_for(shop["store"].id, "cars_in") == D("20")


def test_targets_is_one_query(db, shop):
    sid = shop["store"].id
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        kpis.targets(sid)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1


# ------------------------------------------------------------------ breakdowns

def test_breakdown_by_advisor(shop, week):
    store, A, B = shop["store"], shop["a"], shop["b"]
    rows = {member: value for _label, member, value in kpis.breakdown(store, WEEK, "output_value", "advisor")}
    assert rows[A.id].value == D("2250.00") and rows[B.id].value == D("266.67")
    labels = [label for label, _m, _v in kpis.breakdown(store, WEEK, "output_value", "advisor")]
    assert labels == ["A王", "B李"]
    same_day = {m: terms(v) for _l, m, v in kpis.breakdown(store, WEEK, "same_day", "advisor")}
    assert same_day[A.id] == (D("33.3"), 1, 3) and same_day[B.id] == (D("66.7"), 2, 3)
    csi = {m: terms(v) for _l, m, v in kpis.breakdown(store, WEEK, "csi", "advisor")}
    assert csi == {A.id: (D("90.0"), D("90.0"), 1), B.id: (D("97.0"), D("97.0"), 1)}
    shows = {m: terms(v) for _l, m, v in kpis.breakdown(store, WEEK, "show_rate", "advisor")}
    assert shows == {A.id: (D("100.0"), 1, 1), B.id: (D("0.0"), 0, 1)}


def test_breakdown_by_pay_type_and_team(shop, week):
    store = shop["store"]
    payers = {label: v.value for label, _m, v in kpis.breakdown(store, WEEK, "output_value", "pay_type")}
    assert payers == {"客户": D("616.67"), "保修": D("150.00"), "保险": D("1650.00"), "内部": D("100.00")}
    assert sum(payers.values()) == D("2516.67")
    parts = {label: v.value for label, _m, v in kpis.breakdown(store, WEEK, "output_parts", "pay_type")}
    assert parts["保险"] == D("900.00") and parts["客户"] == D("316.67")
    teams = [(label, v.value) for label, _m, v in kpis.breakdown(store, WEEK, "output_labour", "team")]
    assert teams == [("机修", D("300.00")), ("钣金", D("600.00")), ("喷漆", D("300.00"))]


def test_breakdown_by_technician_and_team(shop, week):
    store = shop["store"]
    people = {m: terms(v) for _l, m, v in kpis.breakdown(store, WEEK, "tech_efficiency", "technician")}
    assert people == {shop["mech"].id: (D("66.7"), D("2.00"), D("3.00")),
                      shop["body"].id: (D("100.0"), D("3.00"), D("3.00"))}
    teams = [(label, v.value) for label, _m, v in kpis.breakdown(store, WEEK, "tech_efficiency", "team")]
    assert teams == [("机修", D("66.7")), ("钣金", D("100.0")), ("喷漆", None)]


def test_a_breakdown_the_kpi_does_not_list_is_refused(shop, week):
    with pytest.raises(DomainError):
        kpis.breakdown(shop["store"], WEEK, "reach_rate", "advisor")
    with pytest.raises(DomainError):
        kpis.breakdown(shop["store"], WEEK, "cars_in", "technician")


# ------------------------------------------------------------------ series

def test_series_over_the_days_of_the_week(shop, week):
    days = [day_of(d) for d in WEEK.each_day()]
    cars = kpis.series(shop["store"], "cars_in", days)
    assert [v.value for v in cars] == [D("2.0"), D("0.0"), D("1.0"), D("1.0"), D("1.0"), D("0.0"), D("1.0")]
    out = kpis.series(shop["store"], "output_value", days)
    assert [v.value for v in out] == [D("600.00"), D("1650.00"), D("166.67"), D("100.00"), D("0.00"), D("0.00"),
                                      D("0.00")]
    csi = kpis.series(shop["store"], "csi", days)
    assert [v.value for v in csi] == [None, None, None, D("90.0"), None, D("97.0"), None]
    assert kpis.series(shop["store"], "csi", []) == []
    # the series of one period is the period's own value
    assert kpis.series(shop["store"], "on_time", [WEEK])[0] == kpis.compute(shop["store"], WEEK)["on_time"]


def test_series_of_weeks(shop, week):
    weeks = [WEEK.previous(), WEEK]
    assert [v.numerator for v in kpis.series(shop["store"], "cars_out", weeks)] == [1, 4]


# ------------------------------------------------------------------ drill-down

def _links(table: Table) -> dict[str, tuple[str, str]]:
    return {c.key: (c.link, c.link_arg) for c in table.columns if c.link}


def test_drill_repair_orders(shop, week):
    store = shop["store"]
    table = kpis.drill(store, WEEK, "on_time")
    assert isinstance(table, Table) and table.note == kpis.KPIS["on_time"].formula
    assert _links(table) == {"number": ("reception.repair_order", "ro_id")}
    assert [(r["ro_id"], r["flag"]) for r in table.rows] == [(week["r1"].id, "是"), (week["r2"].id, "否"),
                                                              (week["r3"].id, "是")]
    assert [r["ro_id"] for r in kpis.drill(store, WEEK, "cars_in").rows] == [
        week[k].id for k in ("r1", "r2", "r3", "r4", "r5", "r7")]
    insured = kpis.drill(store, WEEK, "ticket_insurance").rows
    assert [(r["ro_id"], r["total"], r["labour"], r["parts"]) for r in insured] == [
        (week["r2"].id, D("1650.00"), D("750.00"), D("900.00"))]
    mine = kpis.drill(store, WEEK, "output_value", by="advisor", member=str(shop["b"].id)).rows
    assert [r["ro_id"] for r in mine] == [week["r3"].id, week["r4"].id]
    paint = kpis.drill(store, WEEK, "output_paint").rows
    assert [r["team_labour"] for r in paint] == [D("0.00"), D("150.00"), D("150.00"), D("0.00")]


def test_drill_other_rows(shop, week):
    store = shop["store"]
    calls = kpis.drill(store, WEEK, "reach_rate")
    assert _links(calls) == {"due_from": ("calls.call", "call_id")} and len(calls.rows) == 3
    complaints = kpis.drill(store, WEEK, "complaint_rate")
    assert _links(complaints) == {"number": ("complaints.page", "complaint_id")} and len(complaints.rows) == 1
    rounds = kpis.drill(store, WEEK, "round_score")
    assert _links(rounds) == {"day": ("rounds.report", "round_id")}
    assert [r["score"] for r in rounds.rows] == [D("90.0"), D("80.0")]
    actions = kpis.drill(store, WEEK, "open_actions")
    assert _links(actions) == {"title": ("actions.detail", "action_id")}
    assert [r["title"] for r in actions.rows] == ["地面油污", "灯管更换"]
    assert [r["title"] for r in kpis.drill(store, WEEK, "overdue_actions").rows] == ["地面油污"]
    surveys = kpis.drill(store, WEEK, "csi")
    assert _links(surveys) == {"number": ("reception.repair_order", "ro_id")}
    assert [r["score"] for r in surveys.rows] == [D("90.0"), D("97.0")]
    assert len(kpis.drill(store, WEEK, "csi", by="advisor", member=str(shop["a"].id)).rows) == 1
    requests = kpis.drill(store, WEEK, "parts_fill_rate")
    assert [r["from_stock"] for r in requests.rows] == ["是", "是", "否"]
    jobs = kpis.drill(store, WEEK, "tech_efficiency")
    assert {(r["technician"], r["efficiency"]) for r in jobs.rows} == {("机修张", D("66.7")), ("钣金赵", D("100.0"))}
    shows = kpis.drill(store, WEEK, "show_rate")
    assert [r["status"] for r in shows.rows] == [str(AppointmentStatus.ARRIVED.label),
                                                 str(AppointmentStatus.NO_SHOW.label)]
    assert [r["ro_id"] for r in shows.rows] == [week["r1"].id, None]
    assert kpis.drill(store, WEEK, "parts_turnover").rows == []
    for key in kpis.KPIS:
        assert isinstance(kpis.drill(store, WEEK, key), Table)


# ------------------------------------------------------------------ the same figures as the other pages

def test_the_same_figures_as_the_workshop_and_reception_pages(shop, week):
    from intranet.reception.services import comeback_rate
    from intranet.workshop.figures import daily_figures

    store = shop["store"]
    v = kpis.compute(store, WEEK)
    total = daily_figures(store, MONDAY, SUNDAY)[-1]
    assert (total.cars_in, total.cars_out) == (v["cars_in"].numerator, v["cars_out"].numerator)
    assert (total.on_time, total.promised) == (v["on_time"].numerator, v["on_time"].denominator)
    assert (total.in_and_out, total.cars_in) == (v["same_day"].numerator, v["same_day"].denominator)
    since, _ = clock.store_day_bounds_utc(MONDAY, TZ)
    _, until = clock.store_day_bounds_utc(SUNDAY, TZ)
    comebacks, opened, _rate = comeback_rate(store.id, since, until)
    assert (comebacks, opened) == (v["comeback_rate"].numerator, v["comeback_rate"].denominator)
    from intranet.director.day import output_value

    output = output_value(store, MONDAY, SUNDAY)
    assert output.total == v["output_value"].value and output.labour == v["output_labour"].value
    assert output.by_team.get("paint") == v["output_paint"].value


# ------------------------------------------------------------------ queries

def _count(db, fn) -> int:
    statements = []
    listener = lambda *args: statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def _history(db, shop, n: int):
    for i in range(n):
        opened = at(day(i % 7), 9)
        ro = shop["ro"](f"沪Q{i:05d}", shop["a"] if i % 2 else shop["b"], opened=opened, promised=opened + timedelta(hours=6),
                        delivered=opened + timedelta(hours=5 + i % 3),
                        lines=[("labour", "1", "150", "mechanical", "customer"),
                               ("part", "1", "80", None, "insurance" if i % 4 == 0 else "customer")])
        db.session.add(Inspection(store_id=shop["store"].id, repair_order_id=ro.id, at=opened + timedelta(hours=4),
                                  attempt=1, passed=bool(i % 5)))
    db.session.commit()


def test_compute_sends_the_same_number_of_queries_for_3_and_30_repair_orders(db, shop):
    _history(db, shop, 3)
    few = _count(db, lambda: kpis.compute(shop["store"], WEEK))
    db.session.expire_all()
    _history(db, shop, 27)
    db.session.expire_all()
    many = _count(db, lambda: kpis.compute(shop["store"], WEEK))
    assert few == many
    assert kpis.compute(shop["store"], WEEK)["cars_in"].numerator == 30


def test_a_repair_order_series_is_a_fixed_number_of_queries(db, shop):
    _history(db, shop, 10)
    assert shop["store"].timezone == TZ
    days = [day_of(d) for d in WEEK.each_day()]
    # with the days not summarised: one query to find that out, then the repair orders (targets, rows, lines)
    assert _count(db, lambda: kpis.series(shop["store"], "output_value", days)) <= 4
    month = [day_of(MONDAY - timedelta(days=n)) for n in range(30)]
    assert _count(db, lambda: kpis.series(shop["store"], "same_day", month)) <= 4


def test_the_csi_target_is_customer_cares_setting(db, store):
    from intranet.care.settings import settings_for

    assert kpis.target_for(store.id, "csi") == Decimal("93.0") == kpis.targets(store.id)["csi"]
    kpis.set_target(store.id, "csi", "95")
    db.session.commit()
    assert settings_for(store.id).csi_target == Decimal("95")  # the CSI pages show the same target
    assert kpis.targets(store.id)["csi"] == Decimal("95") == kpis.target_for(store.id, "csi")
    kpis.set_target(store.id, "csi", None)
    db.session.commit()
    assert kpis.targets(store.id)["csi"] == Decimal("93")
