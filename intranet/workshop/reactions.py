"""How the workshop reacts to the repair order (`intranet.core.hooks`): a labour line joins a job,
a removed one shrinks it, and the repair order's page shows the car's progress."""
from __future__ import annotations

from intranet import clock
from intranet.core import hooks
from intranet.core.models import LineKind, RepairOrder, RepairOrderLine
from intranet.workshop import services


def line_added(*, line: RepairOrderLine, **_) -> None:
    if line.kind == LineKind.LABOUR:
        services.attach_line(line)


def line_removed(*, line: RepairOrderLine) -> None:
    services.detach_line(line)


def progress(*, repair_order: RepairOrder) -> dict:
    """The car's jobs with their technicians and clocked hours, its parts requests and inspections."""
    jobs = services.jobs_of(repair_order.id)
    return {"jobs": [job for job in jobs if job.status != "cancelled"],
            "clocked": services.clocked_hours([job.id for job in jobs], clock.utcnow()),
            "requests": services.parts_requests(repair_order.store_id, ro_ids=[repair_order.id]),
            "inspections": services.inspections_of(repair_order.id)}


def connect() -> None:
    hooks.line_added.connect(line_added)
    hooks.line_removed.connect(line_removed)
    hooks.repair_order_progress.connect(progress)
