"""Reception rules: a car arrives and is checked in."""
from __future__ import annotations

from intranet.core.models import RepairOrder
from intranet.core.services import find_vehicle_by_plate, open_repair_order
from intranet.live.services import bump


def check_in(*, store_id: int, actor_id: int, vehicle_id: int | None = None, plate: str | None = None,
             odometer_km: int | None = None, odometer_reason: str | None = None,
             complaint: str | None = None) -> RepairOrder:
    """Open a repair order for the car (by id, or by its plate) and announce it on the boards."""
    if vehicle_id is None:
        vehicle_id = find_vehicle_by_plate(store_id, plate or "").id
    ro = open_repair_order(store_id=store_id, vehicle_id=vehicle_id, actor_id=actor_id, odometer_km=odometer_km,
                           odometer_reason=odometer_reason, complaint=complaint)
    bump(store_id, "today")
    return ro
