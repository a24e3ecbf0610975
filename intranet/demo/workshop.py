"""The workshop's part of the demo store: teams, bays and the checklist, and the work on every
repair order run through the real services — dispatched, clocked, paused, inspected (sometimes
failed and reworked), washed — with the clock frozen at each step."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.demo.hours import LAST_WORK, day_end, local, morning, on_shift

SHORT_STEP = timedelta(minutes=10)  # an inspection or a wash starts until ten minutes before closing
from intranet.extensions import db
from intranet.reception.services import add_line
from intranet.workshop import services
from intranet.workshop.models import Bay, JobStatus, QCItem, Team, Technician

# username → (team, skills, lead)
TEAMS = {
    "tech1": (Team.MECHANICAL, "保养, 发动机, 电气", True),
    "tech2": (Team.MECHANICAL, "保养, 底盘, 四轮定位", False),
    "tech3": (Team.MECHANICAL, "保养, 空调", False),
    "tech6": (Team.MECHANICAL, "电气, 诊断", False),
    "tech4": (Team.BODY, "钣金, 校正", True),
    "tech5": (Team.PAINT, "调漆, 喷漆", True),
}
BAYS = [
    (Team.MECHANICAL, "M1", "举升机 1（两柱）"), (Team.MECHANICAL, "M2", "举升机 2（两柱）"),
    (Team.MECHANICAL, "M3", "举升机 3（剪式）"), (Team.MECHANICAL, "A1", "四轮定位工位"),
    (Team.BODY, "B1", "钣金工位 1（大梁校正）"), (Team.BODY, "B2", "钣金工位 2"),
    (Team.PAINT, "P1", "烤漆房"), (Team.PAINT, "P2", "打磨工位"),
]
CHECKLIST = [
    (None, "维修项目全部完成，与委托书一致"),
    (None, "车内清洁：座椅、脚垫、方向盘无油污"),
    (None, "仪表无故障灯，路试正常"),
    (Team.MECHANICAL, "机油液位、各油液液位正常"),
    (Team.MECHANICAL, "车轮螺栓按规定力矩紧固"),
    (Team.MECHANICAL, "保养灯已复位"),
    (Team.BODY, "缝隙均匀，门、盖开关顺畅"),
    (Team.PAINT, "漆面无流挂、橘皮、色差"),
    (Team.PAINT, "遮蔽已清除，无飞漆"),
]
QC_FAIL_REASONS = ["车轮螺栓力矩未复核", "保养灯未复位", "漆面有轻微橘皮", "门缝不均", "脚垫有油污"]


def seed_setup(store: Store, users: dict[str, int]) -> None:
    """Teams, bays and the checklist (once)."""
    for username, (team, skills, lead) in TEAMS.items():
        user_id = users.get(username)
        if user_id and db.session.get(Technician, user_id) is None:
            db.session.add(Technician(user_id=user_id, store_id=store.id, team=team, skills=skills, lead=lead,
                                      shift_starts=time(8, 0), shift_ends=time(17, 30)))
    if not db.session.scalar(select(func.count()).select_from(Bay).where(Bay.store_id == store.id)):
        db.session.add_all(Bay(store_id=store.id, team=team, code=code, name=name) for team, code, name in BAYS)
    if not db.session.scalar(select(func.count()).select_from(QCItem).where(QCItem.store_id == store.id)):
        db.session.add_all(QCItem(store_id=store.id, team=team, text=text, position=n)
                           for n, (team, text) in enumerate(CHECKLIST, start=1))
    db.session.flush()


class Crew:
    """Who works when: picks a technician of the team who is free at the moment."""

    def __init__(self, store: Store, rng: random.Random):
        self.rng = rng
        self.by_team: dict[str, list[int]] = {}
        for tech in services.technicians(store.id):
            self.by_team.setdefault(tech.team, []).append(tech.user_id)
        self.free_at: dict[int, datetime] = {}
        # today's cars are seeded up to now, at whatever hour the seed runs: their work is never moved
        # past it into the store's next morning
        self.until: datetime | None = None

    def shift(self, store: Store, at: datetime, margin: timedelta = LAST_WORK) -> datetime:
        """`at`, or the next working moment (`hours.on_shift`) when that is not past `until`."""
        moved = on_shift(store, at, margin)
        return moved if self.until is None or moved <= self.until else at

    def pick(self, team: str, at: datetime, *, idle_only: bool = False) -> int | None:
        people = self.by_team.get(team) or []
        if not people:
            return None
        free = [p for p in people if self.free_at.get(p, at) <= at]
        if idle_only:
            return self.rng.choice(free) if free else None
        # nobody free: the controller gives the job to whoever finishes first
        return self.rng.choice(free) if free else min(people, key=lambda p: self.free_at.get(p, at))


def run_job(job_id: int, *, store: Store, crew: Crew, controller_id: int, at: datetime, rng: random.Random,
            stop: str = "done", technician_id: int | None = None) -> datetime:
    """Dispatch and work one job from `at`; `stop` says where to leave it: "assigned", "running",
    "paused_parts", "paused_approval" or "done". Returns when the technician is free again."""
    job = services.get_job(job_id, store.id)
    tech = technician_id or job.technician_id or crew.pick(job.team, at)
    if tech is None:
        return at
    with clock.frozen(at):
        if job.status_enum == JobStatus.WAITING:
            services.assign_job(job.id, tech, store_id=store.id, actor_id=controller_id, expected_version=None)
    if stop == "assigned":
        return at
    start = crew.shift(store, max(at + timedelta(minutes=rng.randrange(5, 40)), crew.free_at.get(tech, at)))
    with clock.frozen(start):
        services.start_job(job.id, store_id=store.id, actor_id=tech)
    sold = float(job.sold_hours or 0) or 0.5
    if stop == "running":
        crew.free_at[tech] = datetime.max
        return start
    if stop in ("paused_parts", "paused_approval"):
        at_pause = start + timedelta(minutes=rng.randrange(15, 50))
        if crew.until is None:  # the history's technicians stop at the end of the day at the latest
            at_pause = min(at_pause, max(day_end(store, start), start))
        with clock.frozen(at_pause):
            if stop == "paused_parts":
                services.request_part(job.id, store_id=store.id, actor_id=tech, description="前减震器（右）",
                                      part_number="5QD413031")
            services.pause_job(job.id, "waiting_parts" if stop == "paused_parts" else "waiting_approval",
                               store_id=store.id, actor_id=tech)
        crew.free_at[tech] = at_pause
        return at_pause
    worked = timedelta(hours=sold * rng.uniform(0.7, 1.35))
    if rng.random() < 0.1:  # a break in the middle
        middle = work_for(job.id, tech, store=store, crew=crew, start=start, duration=worked / 2)
        with clock.frozen(middle):
            services.pause_job(job.id, "break", store_id=store.id, actor_id=tech)
        start_again = crew.shift(store, middle + timedelta(minutes=rng.randrange(10, 30)))
        with clock.frozen(start_again):
            services.start_job(job.id, store_id=store.id, actor_id=tech)
        end = work_for(job.id, tech, store=store, crew=crew, start=start_again, duration=worked / 2)
    else:
        end = work_for(job.id, tech, store=store, crew=crew, start=start, duration=worked)
    with clock.frozen(end):
        services.finish_job(job.id, store_id=store.id, actor_id=tech)
    crew.free_at[tech] = end
    return end


def work_for(job_id: int, tech: int, *, store: Store, crew: Crew, start: datetime, duration: timedelta) -> datetime:
    """The job runs from `start` for `duration` of working time: at the end of the working day the
    technician stops the clock (end of day) and starts it again the next morning. Returns when the
    time is worked."""
    at, left = start, duration
    while crew.until is None and at + left > day_end(store, at) and at < day_end(store, at):
        stop = day_end(store, at)
        left -= max(stop - at, timedelta(0))
        with clock.frozen(stop):
            services.pause_job(job_id, "end_of_day", store_id=store.id, actor_id=tech)
        at = morning(store, local(store, stop).date() + timedelta(days=1))
        with clock.frozen(at):
            services.start_job(job_id, store_id=store.id, actor_id=tech)
    return at + left


def work_through(ro_id: int, *, store: Store, crew: Crew, controller_id: int, at: datetime,
                 rng: random.Random) -> datetime:
    """Run every open job of the car, team after team. Returns when the last one finished."""
    end = at
    for _ in range(12):
        open_jobs = [job for job in services.jobs_of(ro_id) if job.status_enum in
                     (JobStatus.WAITING, JobStatus.ASSIGNED, JobStatus.PAUSED)]
        if not open_jobs:
            break
        job = open_jobs[0]
        if job.status_enum == JobStatus.PAUSED:
            resumed = crew.shift(store, end + timedelta(minutes=5))
            with clock.frozen(resumed):
                services.start_job(job.id, store_id=store.id, actor_id=job.technician_id)
            finish = work_for(job.id, job.technician_id, store=store, crew=crew, start=resumed,
                              duration=timedelta(minutes=int(float(job.sold_hours or 0.5) * 30)))
            with clock.frozen(finish):
                services.finish_job(job.id, store_id=store.id, actor_id=job.technician_id)
            end = finish
            continue
        end = run_job(job.id, store=store, crew=crew, controller_id=controller_id, at=end, rng=rng)
    return end


def inspect_and_wash(ro_id: int, *, store: Store, crew: Crew, controller_id: int, inspector_id: int,
                     at: datetime, rng: random.Random, fail_rate: float = 0.05, wash: bool = True) -> datetime:
    """The final inspection (failing now and then, with the rework done), then the wash."""
    at = crew.shift(store, at + timedelta(minutes=rng.randrange(10, 45)), SHORT_STEP)
    ro = db.session.get(RepairOrder, ro_id)
    if ro.status_enum != ROStatus.QUALITY_CHECK:
        return at
    if rng.random() < fail_rate:
        with clock.frozen(at):
            services.inspect(ro_id, store_id=store.id, actor_id=inspector_id, passed=False,
                             reason=rng.choice(QC_FAIL_REASONS))
        at = work_through(ro_id, store=store, crew=crew, controller_id=controller_id, at=at, rng=rng)
        at = crew.shift(store, at + timedelta(minutes=rng.randrange(10, 30)), SHORT_STEP)
    with clock.frozen(at):
        services.inspect(ro_id, store_id=store.id, actor_id=inspector_id, passed=True, wash=wash)
    if not wash:
        return at
    at = crew.shift(store, at + timedelta(minutes=rng.randrange(15, 40)), SHORT_STEP)
    with clock.frozen(at):
        services.car_washed(ro_id, store_id=store.id, actor_id=controller_id)
    return at


def paint_job_lines(ro_id: int, *, store_id: int, actor_id: int, rng: random.Random, pay_type: str) -> None:
    """An accident car: body work, then paint, then the mechanical reassembly."""
    add_line(ro_id, store_id=store_id, actor_id=actor_id, kind="labour", description="前保险杠、翼子板钣金修复",
             quantity=str(rng.choice((2, 3, 4))), pay_type=pay_type, team=Team.BODY)
    add_line(ro_id, store_id=store_id, actor_id=actor_id, kind="labour", description="前保险杠、翼子板喷漆",
             quantity=str(rng.choice((2, 3))), pay_type=pay_type, team=Team.PAINT)

