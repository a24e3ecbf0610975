"""The workshop's rules: jobs from repair-order lines, dispatch, clocking, parts requests, the
final inspection and the wash. Functions flush; the caller commits once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.billing import decimal_from
from intranet.core.models import (
    RO_ON_SITE, RepairOrder, RepairOrderLine, Role, ROStatus, User, UserRole,
)
from intranet.core.services import get_owned, transition_repair_order
from intranet.errors import Conflict, DomainError, IllegalTransition, NotFound
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import (
    JOB_TRANSITIONS, OPEN_JOB, Bay, ClockSpan, Inspection, InspectionAnswer, InspectionRework, Job, JobEvent, JobStatus,
    PartsRequest, PauseReason, QCItem, Team, Technician, span_hours,
)

BOARDS = ("today", "workshop")


class StaleJob(Conflict):
    """The board showed an older state of the job (someone reassigned or started it meanwhile)."""


# ------------------------------------------------------------------ jobs from repair-order lines

def line_team(line: RepairOrderLine) -> Team:
    try:
        return Team(line.team) if line.team else Team.MECHANICAL
    except ValueError:
        return Team.MECHANICAL


def _retitle(job: Job, lines: list[RepairOrderLine]) -> None:
    job.title = ("、".join(line.description for line in lines) or job.title)[:200]
    job.sold_hours = sum((Decimal(line.quantity) for line in lines), Decimal("0"))


def attach_line(line: RepairOrderLine) -> Job:
    """A labour line was added: it joins its team's job on this car that has not started yet, or
    makes a new job waiting for dispatch."""
    ro = line.repair_order
    team = line_team(line)
    line.team = team
    job = db.session.scalar(select(Job).where(
        Job.repair_order_id == ro.id, Job.team == team, Job.rework_of_id.is_(None),
        Job.status.in_([JobStatus.WAITING, JobStatus.ASSIGNED])).order_by(Job.id).limit(1))
    if job is None:
        job = Job(store_id=ro.store_id, repair_order_id=ro.id, team=team, title=line.description[:200],
                  sold_hours=Decimal("0"), sequence=team.sequence, status=JobStatus.WAITING, created_at=clock.utcnow())
        db.session.add(job)
        db.session.flush()
        job.events.append(JobEvent(from_status=None, to_status=JobStatus.WAITING, at=clock.utcnow()))
    line.job_id = job.id
    db.session.flush()
    _retitle(job, _lines_of(job))
    bump(ro.store_id, *BOARDS)
    return job


def detach_line(line: RepairOrderLine) -> None:
    """A labour line is being removed: its job shrinks, and a job not yet started with nothing
    left is cancelled."""
    if line.job_id is None:
        return
    job = db.session.get(Job, line.job_id)
    remaining = [other for other in _lines_of(job) if other.id != line.id]
    line.job_id = None
    if remaining:
        _retitle(job, remaining)
    else:
        job.sold_hours = Decimal("0")
        if job.status_enum in (JobStatus.WAITING, JobStatus.ASSIGNED):
            _move(job, JobStatus.CANCELLED, actor_id=None)
    db.session.flush()
    bump(job.store_id, *BOARDS)


def _lines_of(job: Job) -> list[RepairOrderLine]:
    return list(db.session.scalars(select(RepairOrderLine).where(RepairOrderLine.job_id == job.id)
                                   .order_by(RepairOrderLine.position)))


def jobs_of(ro_id: int) -> list[Job]:
    return list(db.session.scalars(select(Job).options(joinedload(Job.technician))
                                   .where(Job.repair_order_id == ro_id).order_by(Job.sequence, Job.id)))


# ------------------------------------------------------------------ moves of a job

def get_job(job_id: int, store_id: int) -> Job:
    return get_owned(Job, job_id, store_id, _l("No such job."))


def _move(job: Job, to: JobStatus, *, actor_id: int | None, technician_id: int | None = None,
          reason: str | None = None, note: str | None = None, token: str | None = None) -> None:
    current = job.status_enum
    if to not in JOB_TRANSITIONS[current]:
        raise IllegalTransition(_l("A job that is “%(current)s” cannot become “%(target)s”.",
                                   current=current.label, target=to.label))
    job.status = to
    job.events.append(JobEvent(from_status=current, to_status=to, actor_id=actor_id, technician_id=technician_id,
                               at=clock.utcnow(), reason=reason, note=note, token=token or None))


def already_done(token: str | None) -> JobEvent | None:
    """The event a resent tap already produced, if any (the tablet lost the first answer)."""
    if not token:
        return None
    return db.session.scalar(select(JobEvent).where(JobEvent.token == token))


def _expect(job: Job, expected_version: int | None) -> None:
    if expected_version is None or job.version == expected_version:
        return
    last = job.events[-1] if job.events else None
    who = last.actor.display_name if last and last.actor else _("a colleague")
    raise StaleJob(_l("This job changed meanwhile (%(who)s: %(status)s). The board is refreshed — check it "
                      "and tap again.", who=who, status=job.status_enum.label))


def _technician(user_id: int, store_id: int) -> Technician:
    tech = next(iter(technicians(store_id, active_only=False, user_id=user_id)), None)
    if tech is None:
        raise NotFound(_l("This person is not a technician of the workshop."))
    return tech


def _ro_to(ro: RepairOrder, target: ROStatus, actor_id: int | None, note: str | None = None) -> None:
    if ro.status_enum != target:
        transition_repair_order(ro.id, target, actor_id=actor_id, note=note)


def assign_job(job_id: int, technician_id: int, *, store_id: int, actor_id: int, expected_version: int | None,
               token: str | None = None) -> Job:
    """Dispatch (or reassign) a job to a technician of its team."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    _expect(job, expected_version)
    tech = _technician(technician_id, store_id)
    if not tech.user.active:
        raise DomainError(_l("%(name)s's account is disabled: choose another technician.",
                             name=tech.user.display_name))
    if tech.team != job.team:
        raise DomainError(_l("%(name)s works in %(team)s, but this is %(job_team)s work.",
                             name=tech.user.display_name, team=tech.team_enum.label, job_team=job.team_enum.label))
    if job.status_enum == JobStatus.RUNNING:
        raise DomainError(_l("%(name)s is working on this job now; it can be reassigned once paused.",
                             name=job.technician.display_name if job.technician else "?"))
    if job.status_enum == JobStatus.ASSIGNED and job.technician_id == technician_id:
        return job
    _move(job, JobStatus.ASSIGNED, actor_id=actor_id, technician_id=technician_id, token=token)
    job.technician, job.assigned_at = tech.user, clock.utcnow()
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum == ROStatus.CHECKED_IN:
        _ro_to(ro, ROStatus.IN_WORKSHOP, actor_id)
    bump(store_id, *BOARDS)
    return job


def unassign_job(job_id: int, *, store_id: int, actor_id: int, expected_version: int | None,
                 token: str | None = None) -> Job:
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    _expect(job, expected_version)
    _move(job, JobStatus.WAITING, actor_id=actor_id, token=token)
    job.technician = None
    db.session.flush()
    bump(store_id, *BOARDS)
    return job


def running_span(technician_id: int) -> ClockSpan | None:
    return db.session.scalar(select(ClockSpan).where(ClockSpan.technician_id == technician_id,
                                                     ClockSpan.ended_at.is_(None)))


def _may_work_on(job: Job, actor: User) -> None:
    if job.team_job:
        tech = db.session.get(Technician, actor.id)
        if (tech.team if tech else Team.MECHANICAL) != job.team:
            raise DomainError(_l("This is a %(team)s team job.", team=job.team_enum.label))
    elif job.technician_id != actor.id:
        raise DomainError(_l("This job is assigned to %(name)s.",
                             name=job.technician.display_name if job.technician else _("nobody yet")))


def start_job(job_id: int, *, store_id: int, actor_id: int, token: str | None = None) -> Job:
    """Start (or resume) a job: the technician's clock runs on it."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    if job.status_enum not in (JobStatus.ASSIGNED, JobStatus.PAUSED) and not (
            job.team_job and job.status_enum == JobStatus.RUNNING):
        raise IllegalTransition(_l("This job is “%(status)s”: it cannot be started.", status=job.status_enum.label))
    earlier = db.session.scalar(select(Job).where(
        Job.repair_order_id == job.repair_order_id, Job.sequence < job.sequence,
        Job.status.in_([str(s) for s in OPEN_JOB])).order_by(Job.sequence).limit(1))
    if earlier is not None:
        raise DomainError(_l("The %(team)s work on this car comes first (%(title)s).",
                             team=earlier.team_enum.label, title=earlier.title))
    busy = running_span(actor_id)
    if busy is not None and busy.job_id != job.id:
        other = db.session.get(Job, busy.job_id)
        raise Conflict(_l("You are working on %(plate)s (%(title)s). Pause or finish it first.",
                          plate=other.repair_order.vehicle.plate, title=other.title))
    now = clock.utcnow()
    if busy is None:
        try:
            with db.session.begin_nested():
                db.session.add(ClockSpan(store_id=store_id, job_id=job.id, technician_id=actor_id, started_at=now))
                db.session.flush()
        except IntegrityError:  # a second tap raced the first one to the clock
            raise Conflict(_l("Your clock is already running on another job. Pause or finish it first.")) from None
    if job.status_enum != JobStatus.RUNNING:
        _move(job, JobStatus.RUNNING, actor_id=actor_id, technician_id=actor_id, token=token)
    job.started_at = job.started_at or now
    job.paused_reason = None
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum in (ROStatus.CHECKED_IN, ROStatus.WAITING_PARTS):
        _ro_to(ro, ROStatus.IN_WORKSHOP, actor_id)
    bump(store_id, *BOARDS)
    return job


def _stop_clock(job: Job, technician_id: int | None, reason: str) -> None:
    stmt = select(ClockSpan).where(ClockSpan.job_id == job.id, ClockSpan.ended_at.is_(None))
    if technician_id is not None:
        stmt = stmt.where(ClockSpan.technician_id == technician_id)
    now = clock.utcnow()
    for span in db.session.scalars(stmt):
        span.ended_at, span.end_reason = now, reason
    db.session.flush()


def _someone_still_on(job: Job) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(ClockSpan).where(
        ClockSpan.job_id == job.id, ClockSpan.ended_at.is_(None))))


def pause_job(job_id: int, reason: str, *, store_id: int, actor_id: int, note: str | None = None,
              token: str | None = None) -> Job:
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    try:
        reason = PauseReason(reason)
    except ValueError:
        raise DomainError(_l("Choose why the job is paused."), field="reason") from None
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    if job.status_enum != JobStatus.RUNNING:
        raise IllegalTransition(_l("This job is “%(status)s”: only a job being worked on can be paused.",
                                   status=job.status_enum.label))
    _stop_clock(job, actor_id if job.team_job else None, reason)
    if not _someone_still_on(job):
        _move(job, JobStatus.PAUSED, actor_id=actor_id, reason=reason, note=(note or "").strip() or None, token=token)
        job.paused_reason = reason
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum == ROStatus.IN_WORKSHOP and reason == PauseReason.WAITING_PARTS:
        _ro_to(ro, ROStatus.WAITING_PARTS, actor_id, note=note)
    elif ro.status_enum == ROStatus.IN_WORKSHOP and reason == PauseReason.WAITING_APPROVAL:
        _ro_to(ro, ROStatus.WAITING_APPROVAL, actor_id, note=note)
    bump(store_id, *BOARDS)
    return job


def finish_job(job_id: int, *, store_id: int, actor_id: int, note: str | None = None,
               token: str | None = None) -> Job:
    """The work is done: the clock stops; when it was the car's last open job the car goes to the
    final inspection."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    status = job.status_enum
    if status in (JobStatus.WAITING, JobStatus.ASSIGNED):
        raise IllegalTransition(_l("This job has not been started: start it before finishing it."))
    if status == JobStatus.PAUSED:
        raise IllegalTransition(_l("This job is paused: resume it before finishing it."))
    _stop_clock(job, None, "done")
    _move(job, JobStatus.DONE, actor_id=actor_id, note=(note or "").strip() or None, token=token)
    job.finished_at = clock.utcnow()
    db.session.flush()
    ro = job.repair_order
    still_open = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.repair_order_id == ro.id, Job.status.in_([str(s) for s in OPEN_JOB])))
    if not still_open and ro.status_enum == ROStatus.IN_WORKSHOP:
        _ro_to(ro, ROStatus.QUALITY_CHECK, actor_id)
    bump(store_id, *BOARDS)
    return job


# ------------------------------------------------------------------ parts requests

def request_part(job_id: int, *, store_id: int, actor_id: int, description: str, quantity=1,
                 part_number: str | None = None, token: str | None = None) -> PartsRequest:
    """Ask the parts counter for a part, always against the job's repair order."""
    if token and (earlier := db.session.scalar(select(PartsRequest).where(PartsRequest.token == token))):
        return earlier
    job = get_job(job_id, store_id)
    ro = job.repair_order
    if ro.status_enum not in RO_ON_SITE:
        raise DomainError(_l("Repair order %(number)s is %(status)s: parts can no longer be requested on it.",
                             number=ro.number, status=ro.status_enum.label))
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Name the part you need."), field="description")
    quantity = decimal_from(quantity or "1", "quantity")
    if quantity <= 0:
        raise DomainError(_l("Hours or quantity must be more than zero."), field="quantity")
    request = PartsRequest(store_id=store_id, repair_order_id=ro.id, job_id=job.id, description=description[:200],
                           part_number=(part_number or "").strip().upper() or None, quantity=quantity,
                           requested_by_id=actor_id, requested_at=clock.utcnow(), token=token or None)
    db.session.add(request)
    db.session.flush()
    bump(store_id, *BOARDS, "parts")
    return request


def parts_requests(store_id: int, *, ro_ids: list[int] | None = None) -> list[PartsRequest]:
    stmt = (select(PartsRequest).options(joinedload(PartsRequest.requested_by),
                                         joinedload(PartsRequest.repair_order).joinedload(RepairOrder.vehicle))
            .where(PartsRequest.store_id == store_id).order_by(PartsRequest.requested_at.desc()))
    if ro_ids is not None:
        stmt = stmt.where(PartsRequest.repair_order_id.in_(ro_ids))
    return list(db.session.scalars(stmt))


# ------------------------------------------------------------------ boards

def technicians(store_id: int, *, active_only: bool = True, user_id: int | None = None) -> list[Technician]:
    """Everyone holding the technician role (or just `user_id`), with their workshop profile (a new
    technician without one yet shows as mechanical until the controller sets their team)."""
    stmt = (select(User, Technician).outerjoin(Technician, Technician.user_id == User.id)
            .where(User.store_id == store_id, User.role_rows.any(UserRole.role == Role.TECHNICIAN.value))
            .order_by(User.display_name))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    found = []
    for user, tech in db.session.execute(stmt):
        if tech is None:
            tech = Technician(user_id=user.id, store_id=store_id, team=Team.MECHANICAL, lead=False)
            tech.user = user
        found.append(tech)
    order = {team: n for n, team in enumerate(Team)}
    return sorted(found, key=lambda t: (order[t.team_enum], not t.lead, t.user.display_name))


def save_technician(user_id: int, *, store_id: int, team: str, skills: str | None, lead: bool,
                    shift_starts, shift_ends) -> Technician:
    user = get_owned(User, user_id, store_id, _l("No such person."))
    if not user.has_role(Role.TECHNICIAN):
        raise DomainError(_l("Give %(name)s the technician role first.", name=user.display_name))
    try:
        team = Team(team)
    except ValueError:
        raise DomainError(_l("Choose a team."), field="team") from None
    if shift_starts and shift_ends and shift_ends <= shift_starts:
        raise DomainError(_l("The shift must end after it starts."), field="shift_ends")
    tech = db.session.get(Technician, user_id) or Technician(user_id=user_id, store_id=store_id)
    db.session.add(tech)
    busy = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.technician_id == user_id, Job.team != team, Job.status.in_([JobStatus.ASSIGNED, JobStatus.RUNNING,
                                                                         JobStatus.PAUSED])))
    if busy:
        raise DomainError(_l("%(name)s still has %(count)s jobs of the old team: reassign them first.",
                             name=user.display_name, count=busy), field="team")
    tech.team, tech.skills, tech.lead = team, (skills or "").strip()[:200] or None, bool(lead)
    if shift_starts:
        tech.shift_starts = shift_starts
    if shift_ends:
        tech.shift_ends = shift_ends
    db.session.flush()
    bump(store_id, "workshop")
    return tech


@dataclass
class TechLoad:
    tech: Technician
    assigned_hours: Decimal = Decimal("0")  # open jobs plus jobs finished today
    clocked_today: float = 0.0
    current: Job | None = None  # the job being worked on now
    queue: list[Job] = field(default_factory=list)  # assigned or paused, not running


def _load_jobs(stmt) -> list[Job]:
    return list(db.session.scalars(stmt.options(
        joinedload(Job.repair_order).joinedload(RepairOrder.vehicle), joinedload(Job.technician))))


def dispatch_board(store, now: datetime) -> dict:
    """What the controller dispatches from: jobs to assign, and each team's technicians with the
    hours on them today. A fixed number of queries whatever the size of the workshop."""
    day_start, _day_end = clock.store_day_bounds_utc(clock.store_today(store.timezone), store.timezone)
    open_jobs = _load_jobs(select(Job).where(Job.store_id == store.id, Job.status.in_([str(s) for s in OPEN_JOB]))
                           .order_by(Job.created_at, Job.id))
    done_today = dict(db.session.execute(
        select(Job.technician_id, func.sum(Job.sold_hours)).where(
            Job.store_id == store.id, Job.status == JobStatus.DONE, Job.finished_at >= day_start)
        .group_by(Job.technician_id)).all())
    spans = db.session.execute(select(ClockSpan.technician_id, ClockSpan.started_at, ClockSpan.ended_at).where(
        ClockSpan.store_id == store.id, or_(ClockSpan.ended_at.is_(None), ClockSpan.ended_at >= day_start))).all()
    running_on = dict(db.session.execute(select(ClockSpan.technician_id, ClockSpan.job_id).where(
        ClockSpan.store_id == store.id, ClockSpan.ended_at.is_(None))).all())
    loads = {t.user_id: TechLoad(t, assigned_hours=Decimal(done_today.get(t.user_id) or 0))
             for t in technicians(store.id)}
    for tech_id, started, ended in spans:
        if tech_id in loads:
            loads[tech_id].clocked_today += span_hours(max(started, day_start), ended, now)
    blocked = _blocked(open_jobs)
    waiting = []
    jobs_by_id = {job.id: job for job in open_jobs}
    for job in open_jobs:
        if job.status_enum == JobStatus.WAITING:
            waiting.append(job)
            continue
        load = loads.get(job.technician_id)
        if load is None:
            continue
        load.assigned_hours += Decimal(job.sold_hours)
        if running_on.get(job.technician_id) == job.id:
            load.current = job
        else:
            load.queue.append(job)
    for tech_id, job_id in running_on.items():  # a team job someone joined
        if tech_id in loads and loads[tech_id].current is None and job_id in jobs_by_id:
            loads[tech_id].current = jobs_by_id[job_id]
    teams = {team: [load for load in loads.values() if load.tech.team == team] for team in Team}
    return {"waiting": waiting, "teams": teams, "blocked": blocked}


def _blocked(jobs: list[Job]) -> dict[int, Job]:
    """Jobs that must wait for an earlier team on the same car (body before paint before mechanical)."""
    first_open: dict[int, Job] = {}
    for job in sorted(jobs, key=lambda j: (j.repair_order_id, j.sequence, j.id)):
        first_open.setdefault(job.repair_order_id, job)
    return {job.id: first_open[job.repair_order_id] for job in jobs
            if first_open[job.repair_order_id].sequence < job.sequence}


def my_jobs(store_id: int, technician_id: int) -> dict:
    tech = db.session.get(Technician, technician_id)
    mine = _load_jobs(select(Job).where(Job.store_id == store_id, Job.status.in_(
        [JobStatus.ASSIGNED, JobStatus.RUNNING, JobStatus.PAUSED]), Job.technician_id == technician_id)
        .order_by(Job.assigned_at, Job.id))
    team_jobs = []
    if tech is not None:
        team_jobs = _load_jobs(select(Job).where(
            Job.store_id == store_id, Job.team_job.is_(True), Job.team == tech.team,
            Job.technician_id != technician_id, Job.status.in_([JobStatus.ASSIGNED, JobStatus.RUNNING,
                                                                 JobStatus.PAUSED])))
    span = running_span(technician_id)
    jobs = mine + team_jobs
    clocked = clocked_hours([job.id for job in jobs], clock.utcnow())
    current = next((job for job in jobs if span and job.id == span.job_id), None)
    cars = list({job.repair_order_id for job in jobs})
    # the other open jobs on these cars, only to know which of mine must wait for another team
    blocked = _blocked(list(db.session.scalars(select(Job).where(
        Job.repair_order_id.in_(cars), Job.status.in_([str(s) for s in OPEN_JOB]))))) if jobs else {}
    requests = parts_requests(store_id, ro_ids=cars) if jobs else []
    return {"current": current, "queue": [j for j in jobs if j is not current], "clocked": clocked,
            "blocked": blocked, "requests": requests}


def clocked_hours(job_ids: list[int], now: datetime) -> dict[int, float]:
    if not job_ids:
        return {}
    hours: dict[int, float] = defaultdict(float)
    for job_id, started, ended in db.session.execute(select(ClockSpan.job_id, ClockSpan.started_at,
                                                            ClockSpan.ended_at).where(ClockSpan.job_id.in_(job_ids))):
        hours[job_id] += span_hours(started, ended, now)
    return hours


# ------------------------------------------------------------------ final inspection and wash

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


# ------------------------------------------------------------------ settings: checklist and bays

def add_qc_item(store_id: int, team: str | None, text: str) -> QCItem:
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Write the checklist point."), field="text")
    if team is not None:
        try:
            team = Team(team)
        except ValueError:
            raise DomainError(_l("Choose a team."), field="team") from None
    position = 1 + (db.session.scalar(select(func.max(QCItem.position)).where(QCItem.store_id == store_id)) or 0)
    item = QCItem(store_id=store_id, team=team, text=text[:200], position=position)
    db.session.add(item)
    db.session.flush()
    return item


def remove_qc_item(store_id: int, item_id: int) -> None:
    """Inspections already done keep the point's text; the point just leaves the checklist."""
    get_owned(QCItem, item_id, store_id, _l("No such checklist point.")).active = False
    db.session.flush()


def bays(store_id: int) -> list[Bay]:
    return list(db.session.scalars(select(Bay).where(Bay.store_id == store_id, Bay.active.is_(True))
                                   .order_by(Bay.team, Bay.code)))


def add_bay(store_id: int, team: str, code: str, name: str) -> Bay:
    try:
        team = Team(team)
    except ValueError:
        raise DomainError(_l("Choose a team."), field="team") from None
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or not name:
        raise DomainError(_l("A bay needs a code and a name."), field="code")
    if db.session.scalar(select(Bay.id).where(Bay.store_id == store_id, Bay.code == code)):
        raise Conflict(_l("Bay %(code)s already exists.", code=code), field="code")
    bay = Bay(store_id=store_id, team=team, code=code[:16], name=name[:64])
    db.session.add(bay)
    db.session.flush()
    return bay
