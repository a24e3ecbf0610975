"""End of day in the workshop: every car not finished, with how far it is, when it will be done
and the overtime planned — what the director's closing round and the key collection read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.billing import decimal_from
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import EndOfDayNote, Job, JobStatus
from intranet.workshop.services import clocked_hours

UNFINISHED = (ROStatus.CHECKED_IN, ROStatus.IN_WORKSHOP, ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS,
              ROStatus.QUALITY_CHECK, ROStatus.WASHING)


@dataclass
class UnfinishedCar:
    ro: RepairOrder
    note: EndOfDayNote | None
    sold_hours: float
    clocked_hours: float
    jobs: list[Job]

    @property
    def progress_percent(self) -> int:
        if not self.sold_hours:
            return 0
        return min(100, round(100 * self.clocked_hours / self.sold_hours))


def unfinished_cars(store: Store, day: date, *, ro_id: int | None = None) -> list[UnfinishedCar]:
    """Every unfinished car (or just `ro_id`, for one row). Four queries whatever the number of cars."""
    stmt = (select(RepairOrder).options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor))
            .where(RepairOrder.store_id == store.id, RepairOrder.status.in_([str(s) for s in UNFINISHED]))
            .order_by(RepairOrder.promised_at.is_(None), RepairOrder.promised_at, RepairOrder.id))
    if ro_id is not None:
        stmt = stmt.where(RepairOrder.id == ro_id)
    ros = list(db.session.scalars(stmt))
    ids = [ro.id for ro in ros]
    notes = {note.repair_order_id: note for note in db.session.scalars(
        select(EndOfDayNote).options(joinedload(EndOfDayNote.overtime_technician))
        .where(EndOfDayNote.repair_order_id.in_(ids), EndOfDayNote.day == day))} if ids else {}
    jobs: dict[int, list[Job]] = {ro_id: [] for ro_id in ids}
    if ids:
        for job in db.session.scalars(select(Job).options(joinedload(Job.technician)).where(
                Job.repair_order_id.in_(ids), Job.status != JobStatus.CANCELLED).order_by(Job.sequence, Job.id)):
            jobs[job.repair_order_id].append(job)
    clocked = clocked_hours([job.id for js in jobs.values() for job in js], clock.utcnow())
    return [UnfinishedCar(ro=ro, note=notes.get(ro.id), jobs=jobs[ro.id],
                          sold_hours=float(sum(j.sold_hours for j in jobs[ro.id])),
                          clocked_hours=sum(clocked.get(j.id, 0.0) for j in jobs[ro.id])) for ro in ros]


def save_note(ro_id: int, *, store: Store, day: date, actor_id: int, progress: str | None,
              expected_finish: str | None, overtime_hours, overtime_technician_id: int | None) -> EndOfDayNote:
    ro = get_owned(RepairOrder, ro_id, store.id, _l("No such repair order."))
    if ro.status_enum not in UNFINISHED:
        raise DomainError(_l("Repair order %(number)s is “%(status)s”: it is not an unfinished car.",
                             number=ro.number, status=ro.status_enum.label))
    finish_at = None
    if expected_finish:
        try:
            finish_at = clock.store_local_to_utc(datetime.strptime(expected_finish, "%Y-%m-%dT%H:%M"), store.timezone)
        except ValueError:
            raise DomainError(_l("Enter the expected finish as a date and time."), field="expected_finish") from None
        if finish_at < clock.utcnow():
            raise DomainError(_l("The expected finish is already past."), field="expected_finish")
    overtime = decimal_from(overtime_hours or "0", "overtime_hours")
    if not Decimal("0") <= overtime <= Decimal("12"):
        raise DomainError(_l("Overtime is between 0 and 12 hours."), field="overtime_hours")
    if overtime > 0 and not overtime_technician_id:
        raise DomainError(_l("Who works the overtime?"), field="overtime_technician_id")
    note = db.session.scalar(select(EndOfDayNote).where(EndOfDayNote.repair_order_id == ro.id,
                                                        EndOfDayNote.day == day))
    if note is None:
        note = EndOfDayNote(store_id=store.id, repair_order_id=ro.id, day=day)
        db.session.add(note)
    note.progress = (progress or "").strip() or None
    note.expected_finish_at = finish_at
    note.overtime_hours = overtime
    note.overtime_technician_id = overtime_technician_id if overtime > 0 else None
    note.recorded_by_id, note.recorded_at = actor_id, clock.utcnow()
    db.session.flush()
    bump(store.id, "workshop")
    return note
