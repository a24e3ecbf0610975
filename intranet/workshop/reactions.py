"""How the workshop reacts to the repair order (`intranet.core.hooks`): a labour line joins a job,
a removed one shrinks it, and the repair order's page and its print show the car's progress."""
from __future__ import annotations

from sqlalchemy import select

from intranet import clock
from intranet.core import hooks
from intranet.core.models import LineKind, RepairOrder, RepairOrderLine, User
from intranet.extensions import db
from intranet.workshop import services
from intranet.workshop.models import ClockSpan


def line_added(*, line: RepairOrderLine, **_) -> None:
    if line.kind == LineKind.LABOUR:
        services.attach_line(line)


def line_removed(*, line: RepairOrderLine) -> None:
    services.detach_line(line)


def progress(*, repair_order: RepairOrder) -> dict:
    """The car's jobs with their technicians (and who clocked on them) and clocked hours, its parts
    requests and inspections."""
    jobs = services.jobs_of(repair_order.id)
    return {"jobs": [job for job in jobs if job.status != "cancelled"],
            "clocked": services.clocked_hours([job.id for job in jobs], clock.utcnow()),
            "technicians": _clocked_by([job.id for job in jobs]),
            "requests": services.parts_requests(repair_order.store_id, ro_ids=[repair_order.id]),
            "inspections": services.inspections_of(repair_order.id)}


def _clocked_by(job_ids: list[int]) -> dict[int, list[str]]:
    """Who clocked on each job (a team job has several technicians), in the order they started."""
    names: dict[int, list[str]] = {}
    if job_ids:
        for job_id, name in db.session.execute(
                select(ClockSpan.job_id, User.display_name).join(User, User.id == ClockSpan.technician_id)
                .where(ClockSpan.job_id.in_(job_ids)).order_by(ClockSpan.started_at, ClockSpan.id)):
            if name not in names.setdefault(job_id, []):
                names[job_id].append(name)
    return names


def connect() -> None:
    hooks.line_added.connect(line_added)
    hooks.line_removed.connect(line_removed)
    hooks.repair_order_progress.connect(progress)
