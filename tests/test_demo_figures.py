"""The demo reads as a normal store to a service manager: its history's KPIs — computed by the very
definitions the dashboard uses (`reports.kpis.compute`) — fall where a real 4S store's do (on time
85–95 %, appointment rate 30–50 %, comebacks 1–2 %), nothing is dated before its car arrived, no
car that is ready still waits for a part, the work, the deliveries and the approvals happen in
opening hours, warranty old parts are of several kinds and the night's suggested orders are a
fraction of the stock. Three weeks of history keep the test short (`seed-demo --days 21`); the
seed's draws do not depend on the length, so the full two months read the same."""
from __future__ import annotations

import traceback
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import RepairOrder, RepairOrderEvent, ROStatus, Store
from intranet.parts.models import (
    OldPart, Part, PartsEvent, PendingPart, PendingStatus, PurchaseOrder, PurchaseOrderLine,
)
from intranet.reception.models import Appointment, Finding
from intranet.reports import kpis
from intranet.reports.periods import Period
from intranet.workshop.models import ClockSpan, Inspection, Job, JobEvent, PartsRequest

TZ = "Asia/Shanghai"
DAYS = 21


def local(value: datetime) -> datetime:
    return clock.to_store_time(value, TZ).replace(tzinfo=None)


@pytest.mark.parametrize("at", [datetime(2027, 1, 20, 15, 40), datetime(2027, 1, 21, 7, 10)],
                         ids=["afternoon", "before-opening"])
def test_the_demo_reads_as_a_normal_store(runner, db, at):
    """One seed per clock (seeding is what takes the time), every check on it, then a second run."""
    seeded = clock.store_local_to_utc(at, TZ)
    with clock.frozen(seeded):
        result = runner.invoke(args=["seed-demo", "--days", str(DAYS)])
    assert result.exit_code == 0, "".join(traceback.format_exception(result.exception)) + result.output
    check_the_kpis(seeded, db)
    check_nothing_before_arrival_or_outside_hours(seeded, db)
    check_warranty_parts_and_the_nights_suggestion(db)
    check_a_second_run_adds_nothing(seeded, runner, db)


def _figures(store: Store, now: datetime) -> dict:
    today = clock.to_store_time(now, TZ).date()
    with clock.frozen(now):
        values = kpis.compute(store, Period(today - timedelta(days=DAYS), today - timedelta(days=1)))
    return {key: value.value for key, value in values.items()}


def check_the_kpis(seeded, db):
    store = db.session.scalar(select(Store))
    figures = _figures(store, seeded)
    print(figures)
    assert Decimal(85) <= figures["on_time"] <= Decimal(95), figures
    assert Decimal(30) <= figures["appointment_rate"] <= Decimal(50), figures
    assert Decimal("1") <= figures["comeback_rate"] <= Decimal("2"), figures
    assert Decimal(80) <= figures["show_rate"] <= Decimal(97), figures
    assert Decimal(90) <= figures["one_time_fix"] <= Decimal(98), figures
    assert Decimal(5) <= figures["cars_in"] <= Decimal(25), figures


def check_nothing_before_arrival_or_outside_hours(seeded, db):
    store = db.session.scalar(select(Store))
    opened = RepairOrder.opened_at
    before_arrival = {
        "repair order events": select(func.count()).select_from(RepairOrderEvent).join(
            RepairOrder, RepairOrder.id == RepairOrderEvent.repair_order_id).where(RepairOrderEvent.at < opened),
        "job events": select(func.count()).select_from(JobEvent).join(Job, Job.id == JobEvent.job_id).join(
            RepairOrder, RepairOrder.id == Job.repair_order_id).where(JobEvent.at < opened),
        "parts requests": select(func.count()).select_from(PartsRequest).join(
            RepairOrder, RepairOrder.id == PartsRequest.repair_order_id).where(PartsRequest.requested_at < opened),
        "shortages": select(func.count()).select_from(PendingPart).join(
            RepairOrder, RepairOrder.id == PendingPart.repair_order_id).where(PendingPart.created_at < opened),
        "findings": select(func.count()).select_from(Finding).join(
            RepairOrder, RepairOrder.id == Finding.repair_order_id).where(Finding.reported_at < opened),
        "inspections": select(func.count()).select_from(Inspection).join(
            RepairOrder, RepairOrder.id == Inspection.repair_order_id).where(Inspection.at < opened),
    }
    assert {name: db.session.scalar(q) for name, q in before_arrival.items()} == dict.fromkeys(before_arrival, 0)

    # a car still waits for a part only while it is in the workshop (not ready, washed or handed back)
    waiting = db.session.scalars(select(RepairOrder.status).join(PendingPart, PendingPart.repair_order_id == RepairOrder.id)
                                 .where(PendingPart.status.not_in([PendingStatus.RECEIVED, PendingStatus.CANCELLED]))).all()
    assert waiting and set(waiting) <= {ROStatus.CHECKED_IN, ROStatus.IN_WORKSHOP, ROStatus.WAITING_PARTS,
                                        ROStatus.WAITING_APPROVAL}, waiting

    opens, closes = store.opens_at, store.closes_at

    def in_hours(value: datetime | None) -> bool:
        return value is None or opens <= local(value).time() <= closes

    approvals = [e.at for e in db.session.scalars(select(PartsEvent).where(PartsEvent.to_status == "approved"))]
    approvals += list(db.session.scalars(select(PurchaseOrder.approved_at).where(PurchaseOrder.approved_at.is_not(None))))
    approvals += list(db.session.scalars(select(Finding.answered_at).where(Finding.answered_at.is_not(None))))
    assert approvals and [local(a) for a in approvals if not in_hours(a)] == []
    bookings = list(db.session.scalars(select(Appointment.booked_at)))
    assert bookings and [local(b) for b in bookings if not in_hours(b)] == []
    # the history's work and hand-backs (today's cars are seeded up to now, whatever the hour of the seed)
    today = clock.store_day_bounds_utc(local(seeded).date(), TZ)[0]
    deliveries = list(db.session.scalars(select(RepairOrder.delivered_at).where(
        RepairOrder.delivered_at.is_not(None), RepairOrder.opened_at < today)))
    assert deliveries and [local(d) for d in deliveries if not in_hours(d)] == []
    spans = db.session.execute(select(ClockSpan.started_at, ClockSpan.ended_at).join(Job, Job.id == ClockSpan.job_id)
                               .join(RepairOrder, RepairOrder.id == Job.repair_order_id)
                               .where(RepairOrder.opened_at < today)).all()
    assert [(local(s), e and local(e)) for s, e in spans if not (in_hours(s) and in_hours(e))] == []


def check_warranty_parts_and_the_nights_suggestion(db):
    warranty = db.session.scalars(select(OldPart.description).where(OldPart.warranty.is_(True))).all()
    assert len(warranty) >= 5 and len(set(warranty)) >= 4, warranty
    stock = db.session.scalar(select(func.sum(Part.on_hand * Part.cost)))
    suggested = db.session.scalar(
        select(func.coalesce(func.sum(PurchaseOrderLine.quantity * PurchaseOrderLine.unit_cost), 0))
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrder.suggested.is_(True), PurchaseOrder.status == "draft"))
    # what tonight's job suggests (the drafts still waiting) is a small share of the stock
    assert Decimal(suggested) <= Decimal(stock) * Decimal("0.08"), (suggested, stock)


def check_a_second_run_adds_nothing(seeded, runner, db):
    counted = (RepairOrder, Appointment, PartsRequest, PurchaseOrder, Finding)

    def counts():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in counted}

    first = counts()
    with clock.frozen(seeded + timedelta(minutes=20)):
        result = runner.invoke(args=["seed-demo", "--days", str(DAYS)])
    assert result.exit_code == 0, result.output
    assert counts() == first
