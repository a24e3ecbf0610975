"""Demo data for the customer files: WeChat ids, wishes, registration, insurance and annual
inspection dates on the demo customers and cars — and some files left incomplete, as in life.

Every decision is drawn from the row's id, so a rerun decides the same and only fills what is
still empty: it adds nothing."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intranet import clock
from intranet.care.customer_file import plan_service
from intranet.care.settings import settings_for
from intranet.core.models import Customer, RepairOrder, ROStatus, Store
from intranet.extensions import db

INSURERS = (("中国人保", 34), ("平安保险", 28), ("太平洋保险", 18), ("中华联合", 10), ("大地保险", 10))
WISHES = (
    "只接受上午电话", "保养前请短信提醒", "需要代步车", "周末才有空到店", "请联系爱人（同一号码）",
    "不要推销保险", "希望保养时顺便洗车", "接送孩子时间（15–17点）勿扰", "旧件需要带走", "开发票抬头为公司",
)


def _rng(kind: str, row_id: int) -> random.Random:
    return random.Random(f"files-{kind}-{row_id}")


def _anniversary_after(start: date, today: date, every_years: int = 1) -> date:
    """The first anniversary of `start` (every `every_years`) on or after today."""
    year = start.year + every_years
    while True:
        try:
            day = start.replace(year=year)
        except ValueError:  # 29 February
            day = date(year, 3, 1)
        if day >= today:
            return day
        year += every_years


def seed_files(store: Store, today: date) -> None:
    """Fill the file fields of the store's demo customers and cars (only those still empty) and
    recompute each car's next service. Three queries and one flush for the whole store."""
    settings = settings_for(store.id)
    customers = db.session.scalars(select(Customer).options(selectinload(Customer.vehicles))
                                   .where(Customer.store_id == store.id)).all()
    last_visits = dict(db.session.execute(
        select(RepairOrder.customer_id, func.max(RepairOrder.delivered_at))
        .where(RepairOrder.store_id == store.id, RepairOrder.status.in_([ROStatus.DELIVERED, ROStatus.CLOSED]),
               RepairOrder.customer_id.is_not(None))
        .group_by(RepairOrder.customer_id)).all())
    names, weights = zip(*INSURERS, strict=True)
    for customer in customers:
        rng = _rng("customer", customer.id)
        sparse = rng.random() < 0.15  # a file nobody completed yet
        wechat = rng.random() < (0.25 if sparse else 0.7)
        wish = rng.random() < 0.12
        if customer.wechat is None and wechat:
            customer.wechat = f"wx_{customer.name_initials.lower()}{customer.mobile[-4:]}"
        if customer.wishes is None and wish:
            customer.wishes = rng.choice(WISHES)
        delivered = last_visits.get(customer.id)
        if customer.last_visit_on is None and delivered is not None:
            customer.last_visit_on = clock.to_store_time(delivered, store.timezone).date()
        for vehicle in customer.vehicles:
            # every draw made up front, whatever is filled already: a rerun draws the same
            car = _rng("vehicle", vehicle.id)
            year = vehicle.model_year or today.year - car.randrange(1, 8)
            start = date(year, car.randrange(1, 13), car.randrange(1, 29))
            insurer = car.choices(names, weights)[0]
            skip_registration, skip_insurance, skip_inspection = (sparse and car.random() < p for p in (0.6, 0.5, 0.7))
            service_days_ago = car.randrange(40, 200)
            short_interval = vehicle.model.startswith(("途昂", "帕萨特")) and car.random() < 0.3
            if vehicle.registered_on is None and not skip_registration:
                vehicle.registered_on = min(start, today - timedelta(days=30))
            anchor = vehicle.registered_on or date(year, 6, 15)
            if vehicle.insurance_expires_on is None and not skip_insurance:
                # a policy runs a year and is renewed on the same day: the expiries spread over the next 12 months
                vehicle.insurance_expires_on = _anniversary_after(anchor, today)
                vehicle.insurer_name = vehicle.insurer_name or insurer
            if vehicle.inspection_due_on is None and not skip_inspection:
                age = (today - anchor).days // 365
                # private cars: inspection labels every two years for the first six years, then yearly
                vehicle.inspection_due_on = _anniversary_after(anchor, today, 2 if age < 6 else 1)
            if vehicle.last_service_on is None and not sparse and vehicle.last_odometer_km:
                vehicle.last_service_on = max(today - timedelta(days=service_days_ago), anchor)
            if vehicle.service_interval_km is None and short_interval:
                vehicle.service_interval_km, vehicle.service_interval_months = 7500, 6
            if vehicle.km_per_day is not None and vehicle.km_per_day > 150:
                vehicle.km_per_day = None  # the demo's visits are days apart: judge the driving by the car's age
            plan_service(vehicle, settings)
    db.session.flush()
