"""When a car is next due for service: by date (last service + the interval in months) and by
projected mileage (the kilometres left to the next service, at the car's own kilometres a day as
its odometer readings show). The earlier of the two is the reminder date."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from intranet.care.models import CareSettings
from intranet.core.models import RepairOrder, Vehicle
from intranet.extensions import db

# readings closer together than this say little about how much the car is driven
MIN_DAYS_FOR_RATE = 14


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ServiceDue:
    interval_km: int
    interval_months: int
    by_date: date | None  # last service + interval months
    km: int | None  # the odometer reading the next service is due at
    by_km: date | None  # the day the car is projected to reach `km`
    km_per_day: Decimal | None

    @property
    def next_on(self) -> date | None:
        days = [d for d in (self.by_date, self.by_km) if d is not None]
        return min(days) if days else None


def intervals(vehicle: Vehicle, settings: CareSettings) -> tuple[int, int]:
    return (vehicle.service_interval_km or settings.service_interval_km,
            vehicle.service_interval_months or settings.service_interval_months)


def km_per_day(readings: list[tuple[date, int]]) -> Decimal | None:
    """Kilometres a day between the first and the last reading (date, km), if far enough apart."""
    if len(readings) < 2:
        return None
    readings = sorted(readings)
    (first_day, first_km), (last_day, last_km) = readings[0], readings[-1]
    days = (last_day - first_day).days
    if days < MIN_DAYS_FOR_RATE or last_km <= first_km:
        return None
    return (Decimal(last_km - first_km) / days).quantize(Decimal("0.1"), ROUND_HALF_UP)


def service_due(vehicle: Vehicle, settings: CareSettings) -> ServiceDue:
    interval_km, interval_months = intervals(vehicle, settings)
    by_date = add_months(vehicle.last_service_on, interval_months) if vehicle.last_service_on else None
    km = vehicle.next_service_km
    by_km = None
    rate = vehicle.km_per_day
    if km is not None and rate and vehicle.last_odometer_km is not None and vehicle.last_odometer_at is not None:
        left = max(km - vehicle.last_odometer_km, 0)
        by_km = vehicle.last_odometer_at.date() + timedelta(days=int(Decimal(left) / rate))
    return ServiceDue(interval_km, interval_months, by_date, km, by_km, rate)


def odometer_readings(vehicle_id: int) -> list[tuple[date, int]]:
    rows = db.session.execute(select(RepairOrder.opened_at, RepairOrder.odometer_km).where(
        RepairOrder.vehicle_id == vehicle_id, RepairOrder.odometer_km.is_not(None))).all()
    return [(opened.date(), km) for opened, km in rows]


def record_service(vehicle: Vehicle, settings: CareSettings, day: date) -> ServiceDue:
    """A visit was delivered on `day`: the next service counts from it, and the car's rate of
    kilometres a day is refreshed from its readings."""
    interval_km, _ = intervals(vehicle, settings)
    vehicle.last_service_on = day
    if vehicle.last_odometer_km is not None:
        vehicle.next_service_km = vehicle.last_odometer_km + interval_km
    vehicle.km_per_day = km_per_day(odometer_readings(vehicle.id)) or vehicle.km_per_day
    return refresh(vehicle, settings)


def refresh(vehicle: Vehicle, settings: CareSettings) -> ServiceDue:
    """Recompute the stored next-service date after any of its inputs changed (an edit, an import)."""
    due = service_due(vehicle, settings)
    vehicle.next_service_on = due.next_on
    return due
