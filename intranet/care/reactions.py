"""How customer care reacts to the kernel (`intranet.core.hooks`): a car's file changed → its next
service is replanned; a car delivered → the visit is recorded and the first follow-up call made."""
from __future__ import annotations

from datetime import date

from intranet.care.calls import on_delivered
from intranet.care.customer_file import plan_service
from intranet.care.settings import settings_for
from intranet.core import hooks
from intranet.core.models import Vehicle


def vehicle_file_changed(*, vehicle: Vehicle, before: tuple[int | None, date | None] | None) -> None:
    """A new last service restarts the count; a new interval moves the kilometre target by the
    difference."""
    settings = settings_for(vehicle.store_id)
    interval_was = None
    if before is not None:
        old_interval_km, old_last_service = before
        if vehicle.last_service_on != old_last_service:
            vehicle.next_service_km = None
        else:
            interval_was = old_interval_km or settings.service_interval_km
    plan_service(vehicle, settings, interval_was=interval_was)


def delivered(*, repair_order_id: int, **_) -> None:
    on_delivered(repair_order_id)


def connect() -> None:
    hooks.vehicle_file_changed.connect(vehicle_file_changed)
    hooks.repair_order_delivered.connect(delivered)
