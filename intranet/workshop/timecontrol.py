"""Time control (时间控制): each stage of a car's way through the workshop has a standard time;
a car stuck past it is flagged, the person responsible is told, and if it stays stuck the
workshop controller and then the director hear of it. The workshop board reads the same rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.models import (
    LineKind, RepairOrder, RepairOrderLine, Role, ROStatus, Store, User, UserRole, Vehicle,
)
from intranet.workshop.promise import promise_risk
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.web import minutes_text
from intranet.workshop.models import (
    DEFAULT_STAGE_MINUTES, OPEN_JOB, STAGE_OF_STATUS, ClockSpan, Job, JobStatus, Stage, StageFlag, StageStandard,
    span_hours,
)

PROMISE = "promise"  # the flag kind for a promise at risk (not a stage)
LEVEL_NAMES = {0: _l("person responsible"), 1: _l("workshop controller"), 2: _l("director")}


def stage_standards(store_id: int) -> dict[Stage, int]:
    rows = dict(db.session.execute(select(StageStandard.stage, StageStandard.minutes)
                                   .where(StageStandard.store_id == store_id)).all())
    return {stage: int(rows.get(stage, DEFAULT_STAGE_MINUTES[stage])) for stage in Stage}


def _minutes(value, lowest: int) -> int | None:
    value = str(value if value is not None else "").strip()
    return int(value) if value.isdigit() and lowest <= int(value) <= 24 * 60 else None


def set_stage_standards(store_id: int, minutes: dict[str, object], escalation_minutes) -> None:
    """Save the standard minutes per stage and the escalation step, as typed in the settings form."""
    for stage in Stage:
        value = _minutes(minutes.get(stage), 1)
        if value is None:
            raise DomainError(_l("Standard times are minutes between 1 and 1440."), field=f"stage_{stage}")
        row = db.session.get(StageStandard, (store_id, str(stage)))
        if row is None:
            db.session.add(StageStandard(store_id=store_id, stage=stage, minutes=value))
        else:
            row.minutes = value
    escalation = _minutes(escalation_minutes, 5)
    if escalation is None:
        raise DomainError(_l("Escalate after 5 to 1440 minutes."), field="escalation_minutes")
    db.session.get(Store, store_id).escalation_minutes = escalation
    db.session.flush()


@dataclass
class CarOnBoard:
    ro: RepairOrder
    stage: Stage | None  # None: ready, waiting for the customer
    since: datetime | None
    minutes_in_stage: int
    standard_minutes: int | None
    jobs: list[Job]
    risk: str | None  # "late" / "at_risk" / None

    @property
    def over(self) -> bool:
        return self.standard_minutes is not None and self.minutes_in_stage > self.standard_minutes

    @property
    def teams(self) -> list[str]:
        return list(dict.fromkeys(job.team for job in self.jobs if job.status != JobStatus.CANCELLED))

    @property
    def technicians(self) -> list[str]:
        return list(dict.fromkeys(job.technician.display_name for job in self.jobs
                                  if job.technician and job.status_enum in OPEN_JOB))


BOARD_STATUSES = (*STAGE_OF_STATUS, ROStatus.READY)


def stage_limit(stage: Stage, standards: dict[Stage, int], sold_hours: Decimal | float) -> int:
    """Minutes a car may spend in `stage`: the standard, plus the sold labour while in repair."""
    limit = standards[stage]
    if stage == Stage.IN_REPAIR:
        limit += int(float(sold_hours or 0) * 60)
    return limit


def workshop_cars(store_id: int, now: datetime, team: str | None = None) -> list[CarOnBoard]:
    """Every car in the workshop with its stage, team, technicians, time in stage against the
    standard and the promise risk. A fixed number of queries whatever the number of cars."""
    # The people (advisor, technicians) come without their roles: nothing here asks them, and loading
    # them cost a query and a row per person; they load if something later does ask.
    ros = list(db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle),
                                    joinedload(RepairOrder.advisor).lazyload(User.role_rows))
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in BOARD_STATUSES]))
        .order_by(RepairOrder.promised_at.is_(None), RepairOrder.promised_at, RepairOrder.id)))
    jobs_by_ro: dict[int, list[Job]] = {ro.id: [] for ro in ros}
    if ros:
        for job in db.session.scalars(select(Job).options(joinedload(Job.technician).lazyload(User.role_rows)).where(
                Job.repair_order_id.in_(list(jobs_by_ro))).order_by(Job.sequence, Job.id)):
            jobs_by_ro[job.repair_order_id].append(job)
    return _on_board(ros, jobs_by_ro, promise_risk(ros, now), stage_standards(store_id), now, team)


def _on_board(ros, jobs_by_ro, risk, standards, now: datetime, team: str | None) -> list[CarOnBoard]:
    cars = []
    for ro in ros:
        jobs = jobs_by_ro[ro.id]
        if team and not any(job.team == team and job.status != JobStatus.CANCELLED for job in jobs):
            continue
        stage = STAGE_OF_STATUS.get(ro.status_enum)
        since = ro.status_changed_at or ro.opened_at
        sold = sum((Decimal(j.sold_hours) for j in jobs if j.status in OPEN_JOB), Decimal("0"))
        cars.append(CarOnBoard(
            ro=ro, stage=stage, since=since, minutes_in_stage=max(0, int((now - since).total_seconds() // 60)),
            standard_minutes=stage_limit(stage, standards, sold) if stage else None, jobs=jobs,
            risk=risk.get(ro.id)))
    return cars


@dataclass(frozen=True, slots=True)
class BoardCar:
    """A repair order as the wall board prints it."""
    id: int
    status: str
    status_changed_at: datetime | None
    opened_at: datetime
    promised_at: datetime | None
    plate: str
    model: str

    @property
    def status_enum(self) -> ROStatus:
        return ROStatus(self.status)


@dataclass(frozen=True, slots=True)
class BoardJob:
    """A job as the wall board prints it."""
    id: int
    repair_order_id: int
    team: str
    status: str
    sold_hours: Decimal
    rework_of_id: int | None
    technician_name: str | None


def _board_statements():
    """The wall board's reads, built once: the cars, their jobs, the labour sold and the clock spans
    of their open jobs — each joined to the cars on the board, so no list of ids is sent."""
    ro, vehicle, job, user = (RepairOrder.__table__, Vehicle.__table__, Job.__table__, User.__table__)
    line, span = RepairOrderLine.__table__, ClockSpan.__table__
    on_board = (ro.c.store_id == bindparam("store_id"), ro.c.status.in_([str(s) for s in BOARD_STATUSES]))
    cars = (select(ro.c.id, ro.c.status, ro.c.status_changed_at, ro.c.opened_at, ro.c.promised_at, vehicle.c.plate,
                   vehicle.c.model)
            .join(vehicle, vehicle.c.id == ro.c.vehicle_id).where(*on_board)
            .order_by(ro.c.promised_at.is_(None), ro.c.promised_at, ro.c.id))
    jobs = (select(job.c.id, job.c.repair_order_id, job.c.team, job.c.status, job.c.sold_hours, job.c.rework_of_id,
                   user.c.display_name)
            .join(ro, ro.c.id == job.c.repair_order_id).outerjoin(user, user.c.id == job.c.technician_id)
            .where(*on_board).order_by(job.c.sequence, job.c.id))
    labour = (select(line.c.repair_order_id, func.sum(line.c.quantity))
              .join(ro, ro.c.id == line.c.repair_order_id)
              .where(*on_board, line.c.kind == str(LineKind.LABOUR)).group_by(line.c.repair_order_id))
    spans = (select(span.c.job_id, span.c.started_at, span.c.ended_at)
             .join(job, job.c.id == span.c.job_id).join(ro, ro.c.id == job.c.repair_order_id)
             .where(*on_board, job.c.status.in_([str(s) for s in OPEN_JOB])))
    return cars, jobs, labour, spans


_BOARD = _board_statements()


def board_cars(store_id: int, now: datetime, team: str | None = None) -> list[CarOnBoard]:
    """`workshop_cars` as the wall board shows them: the columns it prints read as plain rows (no
    repair orders, cars and people built as objects), in five queries whatever the number of cars:
    the cars, their jobs, the labour sold and the hours clocked (promise risk), the standards."""
    cars_stmt, jobs_stmt, labour_stmt, spans_stmt = _BOARD
    session = db.session  # (its execute flushes what the unit of work has pending first)
    params = {"store_id": store_id}
    ros = [BoardCar(*row) for row in session.execute(cars_stmt, params)]
    jobs_by_ro: dict[int, list[BoardJob]] = {ro.id: [] for ro in ros}
    jobs: list[BoardJob] = []
    labour: dict = {}
    clocked: dict[int, float] = {}
    if ros:
        jobs = [BoardJob(*row) for row in session.execute(jobs_stmt, params)]
        for job in jobs:
            jobs_by_ro[job.repair_order_id].append(job)
        labour = dict(session.execute(labour_stmt, params).all())
        for job_id, started, ended in session.execute(spans_stmt, params):
            clocked[job_id] = clocked.get(job_id, 0.0) + span_hours(started, ended, now)
    risk = promise_risk(ros, now, jobs=[(j.id, j.repair_order_id, j.sold_hours, j.status) for j in jobs],
                        labour=labour, clocked=clocked)
    return _on_board(ros, jobs_by_ro, risk, stage_standards(store_id), now, team)


# ------------------------------------------------------------------ the recurring check

def _holders_of(store_id: int):
    """Who holds a role in the store, asked once per role per run of the check."""
    found: dict[Role, list[User]] = {}

    def holders(role: Role) -> list[User]:
        if role not in found:
            found[role] = list(db.session.scalars(select(User).where(
                User.store_id == store_id, User.active.is_(True),
                User.role_rows.any(UserRole.role == role.value)).order_by(User.id)))
        return found[role]

    return holders


def _responsible(car: CarOnBoard, level: int, holders) -> list[User]:
    if level == 1:
        return holders(Role.CONTROLLER)
    if level >= 2:
        return holders(Role.DIRECTOR)
    if car.stage == Stage.IN_REPAIR:
        people = [job.technician for job in car.jobs if job.technician and job.status_enum in OPEN_JOB]
        return people or holders(Role.CONTROLLER)
    if car.stage == Stage.WAITING_APPROVAL:
        return [car.ro.advisor] if car.ro.advisor else holders(Role.ADVISOR)
    if car.stage == Stage.WAITING_PARTS:
        return holders(Role.PARTS)
    if car.stage == Stage.QUALITY_CHECK:
        return holders(Role.INSPECTOR)
    return holders(Role.CONTROLLER)  # waiting for dispatch, washing


def check_stage_times(store_id: int, now: datetime) -> list[StageFlag]:
    """Flag and escalate stuck cars, close the flags of cars that moved on, and warn advisors of
    promises at risk. Safe to run as often as wanted: each flag is raised once."""
    store = db.session.get(Store, store_id)
    local = clock.to_store_time(now, store.timezone).time()
    if not store.opens_at <= local <= store.closes_at:
        return []  # the workshop is closed: nobody to tell; cars still stuck are flagged at opening
    cars = workshop_cars(store_id, now)
    step = store.escalation_minutes or 30
    holders = _holders_of(store_id)
    raised: list[StageFlag] = []
    current = {(car.ro.id, str(car.stage), car.since) for car in cars if car.stage}
    promises = {(car.ro.id, PROMISE, car.ro.promised_at) for car in cars if car.risk and car.ro.promised_at}
    for flag in db.session.scalars(select(StageFlag).where(StageFlag.store_id == store_id,
                                                           StageFlag.resolved_at.is_(None))):
        if (flag.repair_order_id, flag.stage, flag.stage_since) not in current | promises:
            flag.resolved_at = now
    known = {(ro_id, stage, since, level) for ro_id, stage, since, level in db.session.execute(
        select(StageFlag.repair_order_id, StageFlag.stage, StageFlag.stage_since, StageFlag.level)
        .where(StageFlag.store_id == store_id, StageFlag.resolved_at.is_(None)))}
    for car in cars:
        if car.stage and car.over:
            over = car.minutes_in_stage - car.standard_minutes
            for level in range(0, min(2, over // step) + 1):
                if (car.ro.id, str(car.stage), car.since, level) in known:
                    continue
                raised.append(_raise(car, str(car.stage), car.since, level, over, now, holders))
        if car.risk and car.ro.promised_at and (car.ro.id, PROMISE, car.ro.promised_at, 0) not in known:
            raised.append(_raise(car, PROMISE, car.ro.promised_at, 0, 0, now, holders))
    db.session.flush()
    if raised:
        bump(store_id, "workshop")
    return raised


def _raise(car: CarOnBoard, stage: str, since: datetime, level: int, over: int, now: datetime,
           holders) -> StageFlag:
    ro = car.ro
    people = [ro.advisor] if stage == PROMISE and ro.advisor else _responsible(car, level, holders)
    flag = StageFlag(store_id=ro.store_id, repair_order_id=ro.id, stage=stage, stage_since=since, level=level,
                     minutes_over=over, flagged_at=now, responsible_id=people[0].id if people else None,
                     notified=", ".join(p.display_name for p in people)[:400] or None)
    db.session.add(flag)
    params = {"plate": ro.vehicle.plate, "number": ro.number, "stage": stage, "minutes": car.minutes_in_stage,
              "standard": car.standard_minutes, "level": level, "risk": car.risk}
    notices.notify(ro.store_id, [p.id for p in people], "promise_risk" if stage == PROMISE else "stage_overdue",
                   params, link="/workshop/board")
    return flag


def open_flags(store_id: int) -> list[StageFlag]:
    return list(db.session.scalars(
        select(StageFlag).options(joinedload(StageFlag.repair_order).joinedload(RepairOrder.vehicle),
                                  joinedload(StageFlag.responsible))
        .where(StageFlag.store_id == store_id).order_by(StageFlag.flagged_at.desc()).limit(100)))


def floor_summary(store_id: int) -> dict[str, int]:
    """The controller's home: jobs waiting for dispatch, and cars flagged as stuck right now."""
    return {
        "jobs_to_dispatch": db.session.scalar(select(func.count()).select_from(Job).where(
            Job.store_id == store_id, Job.status == JobStatus.WAITING)),
        "cars_flagged": db.session.scalar(select(func.count(StageFlag.repair_order_id.distinct())).where(
            StageFlag.store_id == store_id, StageFlag.resolved_at.is_(None), StageFlag.stage != PROMISE)),
    }


def _stage_label(code: str) -> str:
    try:
        return str(Stage(code).label)
    except ValueError:
        return code


def _overdue_text(p: dict) -> str:
    text = _("%(plate)s has been “%(stage)s” for %(time)s (standard %(standard)s).",
             plate=p.get("plate"), stage=_stage_label(p.get("stage", "")), time=minutes_text(p.get("minutes")),
             standard=minutes_text(p.get("standard")))
    if p.get("level", 0) >= 1:
        text = _("Escalated to you: %(text)s", text=text)
    return text


notices.register("stage_overdue", _overdue_text)
notices.register("promise_risk", lambda p: (
    _("%(plate)s (%(number)s) is past its promised time.", plate=p.get("plate"), number=p.get("number"))
    if p.get("risk") == "late" else
    _("%(plate)s (%(number)s) may miss its promised time: call the customer or speed it up.",
      plate=p.get("plate"), number=p.get("number"))))
