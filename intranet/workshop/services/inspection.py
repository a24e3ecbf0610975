"""The final inspection and the wash: the checklist a car is inspected on, a pass sending it to
the wash (or straight to ready, the advisor told), a fail sending rework jobs back to the
technicians who did the work."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.models import RepairOrder, ROStatus
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import Inspection, InspectionAnswer, InspectionRework, Job, JobEvent, JobStatus, QCItem
from intranet.workshop.services.lines import jobs_of
from intranet.workshop.services.moves import BOARDS, _ro_to


def qc_items(store_id: int, teams: set[str] | None = None) -> list[QCItem]:
    stmt = select(QCItem).where(QCItem.store_id == store_id, QCItem.active.is_(True))
    if teams is not None:
        stmt = stmt.where(or_(QCItem.team.is_(None), QCItem.team.in_(teams)))
    return list(db.session.scalars(stmt.order_by(QCItem.team.is_not(None), QCItem.team, QCItem.position,
                                                 QCItem.id)))


def checklist(store_id: int, ro_id: int) -> tuple[list[Job], list[QCItem]]:
    """The car's finished jobs, and the points it is inspected on: every car's, and its teams'."""
    done = [job for job in jobs_of(ro_id) if job.status_enum == JobStatus.DONE]
    return done, qc_items(store_id, {job.team for job in done})


def inspections_of(ro_id: int) -> list[Inspection]:
    return list(db.session.scalars(select(Inspection).options(joinedload(Inspection.inspector))
                                   .where(Inspection.repair_order_id == ro_id).order_by(Inspection.id)))


def inspect(ro_id: int, *, store_id: int, actor_id: int, passed: bool, failed_item_ids: set[int] = frozenset(),
            reason: str | None = None, rework_job_ids: set[int] | None = None, wash: bool = True,
            token: str | None = None) -> Inspection:
    """Record the final inspection. A fail sends rework jobs back to the technicians who did the
    work, with the reason; a pass sends the car to the wash (or straight to ready)."""
    if token and (earlier := db.session.scalar(select(Inspection).where(Inspection.token == token))):
        return earlier
    ro = get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))
    if ro.status_enum != ROStatus.QUALITY_CHECK:
        raise Conflict(_l("Repair order %(number)s is “%(status)s”, not waiting for the final inspection.",
                          number=ro.number, status=ro.status_enum.label))
    jobs, items = checklist(store_id, ro.id)
    if set(failed_item_ids) - {item.id for item in items}:
        raise Conflict(_l("The checklist changed meanwhile; reload the page."))
    if passed and failed_item_ids:
        raise DomainError(_l("%(count)s points are marked as failed: the car cannot pass. Tap “Fail” or clear "
                             "them.", count=len(failed_item_ids)), field="reason")
    reason = (reason or "").strip()
    if not passed and not reason:
        raise DomainError(_l("Say what is wrong, so the technician knows what to redo."), field="reason")
    attempt = 1 + (db.session.scalar(select(func.count()).select_from(Inspection)
                                     .where(Inspection.repair_order_id == ro.id)) or 0)
    inspection = Inspection(store_id=store_id, repair_order_id=ro.id, inspector_id=actor_id, at=clock.utcnow(),
                            attempt=attempt, passed=passed, reason=reason or None, token=token or None,
                            answers=[InspectionAnswer(text=item.text, ok=item.id not in failed_item_ids)
                                     for item in items])
    db.session.add(inspection)
    if passed:
        db.session.flush()
        if wash:
            _ro_to(ro, ROStatus.WASHING, actor_id)
        else:
            _ro_to(ro, ROStatus.READY, actor_id)
            _tell_advisor_ready(ro)
        bump(store_id, *BOARDS)
        return inspection
    latest = {job.team: job for job in jobs}  # the last done job of each team (a rework of a rework too)
    failed_teams = {item.team for item in items if item.id in failed_item_ids} - {None}
    chosen = [job for job in jobs if job.id in (rework_job_ids or set())] or [
        latest[team] for team in failed_teams if team in latest] or list(latest.values())[-1:]
    if not chosen:
        raise DomainError(_l("Choose the job to redo."), field="rework")
    db.session.flush()
    for job in chosen:
        rework = Job(store_id=store_id, repair_order_id=ro.id, team=job.team, sequence=job.sequence,
                     title=job.title, sold_hours=Decimal("0"),
                     status=JobStatus.ASSIGNED if job.technician_id else JobStatus.WAITING,
                     technician_id=job.technician_id, assigned_at=clock.utcnow(), rework_of_id=job.id,
                     rework_reason=reason, created_at=clock.utcnow())
        rework.events.append(JobEvent(from_status=None, to_status=rework.status, actor_id=actor_id,
                                      technician_id=job.technician_id, at=clock.utcnow(), note=reason))
        db.session.add(rework)
        db.session.flush()
        db.session.add(InspectionRework(inspection_id=inspection.id, job_id=rework.id))
        if job.technician_id:
            notices.notify(store_id, [job.technician_id], "rework",
                           {"plate": ro.vehicle.plate, "title": job.title, "reason": reason}, link="/workshop/my")
    _ro_to(ro, ROStatus.IN_WORKSHOP, actor_id, note=reason)
    bump(store_id, *BOARDS)
    return inspection


def _tell_advisor_ready(ro: RepairOrder) -> None:
    if ro.advisor_id:
        notices.notify(ro.store_id, [ro.advisor_id], "car_ready", {"plate": ro.vehicle.plate, "number": ro.number},
                       link=f"/reception/ro/{ro.id}")


def car_washed(ro_id: int, *, store_id: int, actor_id: int) -> RepairOrder:
    ro = get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))
    if ro.status_enum == ROStatus.READY:
        return ro  # a second tap
    if ro.status_enum != ROStatus.WASHING:
        raise Conflict(_l("Repair order %(number)s is “%(status)s”, not at the wash.", number=ro.number,
                          status=ro.status_enum.label))
    _ro_to(ro, ROStatus.READY, actor_id)
    _tell_advisor_ready(ro)
    bump(store_id, *BOARDS)
    return ro


def cars_in(store_id: int, statuses: set[ROStatus]) -> list[RepairOrder]:
    return list(db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor))
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in statuses]))
        .order_by(RepairOrder.status_changed_at)))


def _notice_texts() -> None:
    notices.register("car_ready", lambda p: _("%(plate)s (%(number)s) passed the final inspection and is ready "
                                              "to hand back.", plate=p.get("plate"), number=p.get("number")))
    notices.register("rework", lambda p: _("Rework on %(plate)s — %(title)s: %(reason)s", plate=p.get("plate"),
                                           title=p.get("title"), reason=p.get("reason")))


_notice_texts()
