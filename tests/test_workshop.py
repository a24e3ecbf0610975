"""The workshop's rules: jobs from labour lines, dispatch, clocking, pauses, parts requests, the
final inspection with rework, the wash, time control (run as a job on real Redis), the end of
day and the figures. Refusals are matched on their Chinese text, the default language."""
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Notice, Role, ROStatus
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.jobs import queue
from intranet.reception import services as reception
from intranet.workshop import closing, figures, services, timecontrol
from intranet.workshop.models import ClockSpan, Job, JobStatus, QCItem, StageFlag, Team
from tests import factories

# 10:00 in Shanghai on a working day
MORNING = datetime(2026, 11, 23, 2, 0)


@pytest.fixture
def crew(store, db):
    # display names are the user names: the time control's flags are asserted by them
    people = factories.people(store, controller=(Role.CONTROLLER, "wu"), director=(Role.DIRECTOR, "zhao"),
                              advisor=(Role.ADVISOR, "sun"), inspector=(Role.INSPECTOR, "jiang"),
                              mech=(Role.TECHNICIAN, "zheng"), mech2=(Role.TECHNICIAN, "wang"),
                              body=(Role.TECHNICIAN, "chen"), paint=(Role.TECHNICIAN, "chu"))
    for key, team in (("mech", Team.MECHANICAL), ("mech2", Team.MECHANICAL), ("body", Team.BODY),
                      ("paint", Team.PAINT)):
        factories.technician(store, people[key], team)
    db.session.add_all([QCItem(store_id=store.id, team=None, text="路试正常", position=1),
                        QCItem(store_id=store.id, team=Team.MECHANICAL, text="车轮螺栓力矩", position=2),
                        QCItem(store_id=store.id, team=Team.PAINT, text="漆面无流挂", position=3)])
    db.session.commit()
    return people


def _car(store, crew, make_vehicle, db, *lines, promised_hours=4):
    """A car checked in at MORNING with labour `lines` (description, hours, team)."""
    lines = lines or (("更换前刹车片", "1.0", "mechanical"),)
    return factories.checked_in(store, crew["advisor"], at=MORNING,
                                promised_at=MORNING + timedelta(hours=promised_hours),
                                lines=[factories.labour(description, hours, team=team) for description, hours, team in lines])


def test_labour_lines_become_one_job_per_team_waiting_for_dispatch(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db, ("钣金修复", "3", "body"), ("喷漆", "2", "paint"),
              ("四轮定位", "1", "mechanical"), ("更换雨刮", "0.5", "mechanical"))
    jobs = services.jobs_of(ro.id)
    assert [(j.team, j.sold_hours, j.status) for j in jobs] == [
        ("body", Decimal("3"), "waiting"), ("paint", Decimal("2"), "waiting"), ("mechanical", Decimal("1.5"), "waiting")]
    assert "四轮定位" in jobs[2].title and "更换雨刮" in jobs[2].title
    # a part line makes no job; removing the last line of a waiting job cancels it
    reception.add_line(ro.id, store_id=store.id, actor_id=crew["advisor"].id, kind="part", description="雨刮片",
                       quantity="1", unit_price="80")
    paint_line = next(line for line in ro.lines if line.team == "paint")
    reception.remove_line(ro.id, paint_line.id, store_id=store.id, actor_id=crew["advisor"].id)
    db.session.commit()
    assert [j.status for j in services.jobs_of(ro.id)] == ["waiting", "cancelled", "waiting"]


def test_a_job_from_dispatch_to_finish_with_a_pause_for_parts(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db)
    job = services.jobs_of(ro.id)[0]
    tech = crew["mech"]
    with clock.frozen(MORNING + timedelta(minutes=5)):
        services.assign_job(job.id, tech.id, store_id=store.id, actor_id=crew["controller"].id,
                            expected_version=job.version)
    assert ro.status == ROStatus.IN_WORKSHOP  # dispatched: the car is in the workshop
    with clock.frozen(MORNING + timedelta(minutes=10)):
        services.start_job(job.id, store_id=store.id, actor_id=tech.id)
    with clock.frozen(MORNING + timedelta(minutes=40)):
        services.request_part(job.id, store_id=store.id, actor_id=tech.id, description="前刹车片", quantity="1")
        services.pause_job(job.id, "waiting_parts", store_id=store.id, actor_id=tech.id)
    assert (job.status, job.paused_reason, ro.status) == ("paused", "waiting_parts", ROStatus.WAITING_PARTS)
    with clock.frozen(MORNING + timedelta(minutes=70)):
        services.start_job(job.id, store_id=store.id, actor_id=tech.id)
    assert ro.status == ROStatus.IN_WORKSHOP
    with clock.frozen(MORNING + timedelta(minutes=100)):
        services.finish_job(job.id, store_id=store.id, actor_id=tech.id)
    db.session.commit()
    assert ro.status == ROStatus.QUALITY_CHECK  # the last job done: to the final inspection
    hours = services.clocked_hours([job.id], MORNING + timedelta(hours=5))
    assert hours[job.id] == pytest.approx(1.0)  # 30 min + 30 min, the pause not counted
    assert [e.to_status for e in job.events] == ["waiting", "assigned", "running", "paused", "running", "done"]
    assert [r.description for r in services.parts_requests(store.id, ro_ids=[ro.id])] == ["前刹车片"]


def test_refusals_on_the_tablet_and_the_board(store, crew, make_vehicle, make_user, db):
    first = services.jobs_of(_car(store, crew, make_vehicle, db).id)[0]
    second = services.jobs_of(_car(store, crew, make_vehicle, db).id)[0]
    body_job = services.jobs_of(_car(store, crew, make_vehicle, db, ("钣金", "2", "body")).id)[0]
    tech, boss = crew["mech"], crew["controller"].id
    for job in (first, second):
        services.assign_job(job.id, tech.id, store_id=store.id, actor_id=boss, expected_version=job.version)
    # finishing a job not started
    with pytest.raises(IllegalTransition, match="尚未开工"):
        services.finish_job(first.id, store_id=store.id, actor_id=tech.id)
    services.start_job(first.id, store_id=store.id, actor_id=tech.id)
    # a second job while one runs
    with pytest.raises(Conflict, match="请先暂停或完工"):
        services.start_job(second.id, store_id=store.id, actor_id=tech.id)
    # someone else's job
    with pytest.raises(DomainError, match="已派给"):
        services.start_job(second.id, store_id=store.id, actor_id=crew["mech2"].id)
    # the wrong team, and a disabled technician
    with pytest.raises(DomainError, match="属于"):
        services.assign_job(body_job.id, tech.id, store_id=store.id, actor_id=boss, expected_version=None)
    crew["mech2"].active = False
    with pytest.raises(DomainError, match="已停用"):
        services.assign_job(second.id, crew["mech2"].id, store_id=store.id, actor_id=boss, expected_version=None)
    crew["mech2"].active = True
    # a stale board: the job moved since the board was drawn
    stale_version = second.version
    services.assign_job(second.id, crew["mech2"].id, store_id=store.id, actor_id=boss, expected_version=stale_version)
    with pytest.raises(services.StaleJob, match="已被修改"):
        services.assign_job(second.id, tech.id, store_id=store.id, actor_id=boss, expected_version=stale_version)
    # reassigning a running job
    with pytest.raises(DomainError, match="正在做这项作业"):
        services.assign_job(first.id, crew["mech2"].id, store_id=store.id, actor_id=boss, expected_version=None)


def test_the_database_refuses_two_running_clocks_for_one_technician(store, crew, make_vehicle, db):
    from sqlalchemy.exc import IntegrityError

    jobs = [services.jobs_of(_car(store, crew, make_vehicle, db).id)[0] for _ in range(2)]
    now = clock.utcnow()
    db.session.add(ClockSpan(store_id=store.id, job_id=jobs[0].id, technician_id=crew["mech"].id, started_at=now))
    db.session.commit()
    db.session.add(ClockSpan(store_id=store.id, job_id=jobs[1].id, technician_id=crew["mech"].id, started_at=now))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_resent_tap_is_applied_once(store, crew, make_vehicle, db):
    job = services.jobs_of(_car(store, crew, make_vehicle, db).id)[0]
    services.assign_job(job.id, crew["mech"].id, store_id=store.id, actor_id=crew["controller"].id,
                        expected_version=None)
    db.session.commit()
    for _ in range(2):  # the tablet lost the first answer and sends the same tap again
        services.start_job(job.id, store_id=store.id, actor_id=crew["mech"].id, token="tap-1")
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ClockSpan).where(ClockSpan.job_id == job.id)) == 1


def test_body_then_paint_then_mechanical(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db, ("钣金", "2", "body"), ("喷漆", "2", "paint"))
    body, paint = services.jobs_of(ro.id)
    boss = crew["controller"].id
    services.assign_job(paint.id, crew["paint"].id, store_id=store.id, actor_id=boss, expected_version=None)
    services.assign_job(body.id, crew["body"].id, store_id=store.id, actor_id=boss, expected_version=None)
    with pytest.raises(DomainError, match="须先完成"):
        services.start_job(paint.id, store_id=store.id, actor_id=crew["paint"].id)
    services.start_job(body.id, store_id=store.id, actor_id=crew["body"].id)
    services.finish_job(body.id, store_id=store.id, actor_id=crew["body"].id)
    services.start_job(paint.id, store_id=store.id, actor_id=crew["paint"].id)
    assert paint.status == JobStatus.RUNNING


def _worked(store, crew, make_vehicle, db, *lines):
    ro = _car(store, crew, make_vehicle, db, *lines)
    for job in services.jobs_of(ro.id):
        tech = crew["mech"] if job.team == "mechanical" else crew[job.team]
        services.assign_job(job.id, tech.id, store_id=store.id, actor_id=crew["controller"].id, expected_version=None)
        services.start_job(job.id, store_id=store.id, actor_id=tech.id)
        services.finish_job(job.id, store_id=store.id, actor_id=tech.id)
    db.session.commit()
    return ro


def test_failed_inspection_sends_rework_to_the_technician_then_pass_wash_ready(store, crew, make_vehicle, db):
    ro = _worked(store, crew, make_vehicle, db)
    inspector = crew["inspector"].id
    items = services.qc_items(store.id, {"mechanical"})
    assert [i.text for i in items] == ["路试正常", "车轮螺栓力矩"]  # the car's teams' points, not paint's
    with pytest.raises(DomainError, match="问题所在"):
        services.inspect(ro.id, store_id=store.id, actor_id=inspector, passed=False, failed_item_ids={items[1].id})
    with pytest.raises(DomainError, match="不能通过"):
        services.inspect(ro.id, store_id=store.id, actor_id=inspector, passed=True, failed_item_ids={items[1].id})
    services.inspect(ro.id, store_id=store.id, actor_id=inspector, passed=False, failed_item_ids={items[1].id},
                     reason="螺栓未按力矩紧固")
    db.session.commit()
    rework = services.jobs_of(ro.id)[-1]
    assert (rework.status, rework.technician_id, rework.rework_reason) == ("assigned", crew["mech"].id, "螺栓未按力矩紧固")
    assert ro.status == ROStatus.IN_WORKSHOP
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == crew["mech"].id)) == "rework"
    services.start_job(rework.id, store_id=store.id, actor_id=crew["mech"].id)
    services.finish_job(rework.id, store_id=store.id, actor_id=crew["mech"].id)
    services.inspect(ro.id, store_id=store.id, actor_id=inspector, passed=True)
    assert ro.status == ROStatus.WASHING
    services.car_washed(ro.id, store_id=store.id, actor_id=crew["controller"].id)
    services.car_washed(ro.id, store_id=store.id, actor_id=crew["controller"].id)  # a second tap is harmless
    db.session.commit()
    assert ro.status == ROStatus.READY
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == crew["advisor"].id)) == "car_ready"
    assert [i.passed for i in services.inspections_of(ro.id)] == [False, True]


def test_time_control_job_flags_then_escalates_once_each_on_real_redis(store, crew, make_vehicle, db, redis_conn):
    """A car left waiting for dispatch: at its standard time the controller is told; after the
    escalation step again the controller (level 1), then the director. Reruns tell nobody twice."""
    ro = _car(store, crew, make_vehicle, db, promised_hours=8)
    ro_id, ids = ro.id, {key: user.id for key, user in crew.items()}
    store_id = store.id

    def run_job_at(minutes_after_check_in):
        with clock.frozen(MORNING + timedelta(minutes=minutes_after_check_in)):
            queue.enqueue("workshop-time-control")
            db.session.commit()
            assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
        db.session.remove()

    def flags():
        return sorted(db.session.execute(select(StageFlag.stage, StageFlag.level, StageFlag.notified)
                                         .where(StageFlag.repair_order_id == ro_id)).all())

    run_job_at(20)  # within the 30-minute standard for waiting for dispatch
    assert flags() == []
    run_job_at(35)
    run_job_at(40)  # a rerun: nothing new
    assert flags() == [("waiting_dispatch", 0, "wu")]
    run_job_at(70)  # 40 minutes over: escalated once (step 30 min)
    run_job_at(100)  # 70 minutes over: to the director
    run_job_at(101)
    assert flags() == [("waiting_dispatch", 0, "wu"), ("waiting_dispatch", 1, "wu"), ("waiting_dispatch", 2, "zhao")]
    texts = db.session.scalars(select(Notice.kind).where(Notice.user_id == ids["director"])).all()
    assert texts == ["stage_overdue"]
    # the car moves on: its flags are resolved with the time
    job = services.jobs_of(ro_id)[0]
    services.assign_job(job.id, ids["mech"], store_id=store_id, actor_id=ids["controller"], expected_version=None)
    db.session.commit()
    run_job_at(102)
    assert all(flag.resolved_at for flag in db.session.scalars(select(StageFlag).where(
        StageFlag.repair_order_id == ro_id, StageFlag.stage == "waiting_dispatch")))


def test_time_control_blames_the_technician_in_repair_and_allows_the_sold_hours(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db, ("大保养", "2", "mechanical"), promised_hours=9)
    job = services.jobs_of(ro.id)[0]
    with clock.frozen(MORNING):
        services.assign_job(job.id, crew["mech"].id, store_id=store.id, actor_id=crew["controller"].id,
                            expected_version=None)
    # in repair: standard 30 min + 2 h sold
    assert timecontrol.check_stage_times(store.id, MORNING + timedelta(minutes=140)) == []
    raised = timecontrol.check_stage_times(store.id, MORNING + timedelta(minutes=160))
    assert [(f.stage, f.level, f.responsible_id) for f in raised] == [("in_repair", 0, crew["mech"].id)]
    # outside opening hours the check tells nobody
    night = clock.store_local_to_utc(datetime.combine(MORNING.date(), time(22, 0)), store.timezone)
    assert timecontrol.check_stage_times(store.id, night) == []


def test_promise_risk_follows_the_clocked_work(store, crew, make_vehicle, db):
    from intranet.workshop.promise import AT_RISK, promise_risk

    ro = _car(store, crew, make_vehicle, db, ("大修", "3", "mechanical"), promised_hours=5)
    assert promise_risk([ro], MORNING) == {}  # 3 h of work + finishing fit in 5 h
    # two hours later, not started: 3.5 h no longer fit
    assert promise_risk([ro], MORNING + timedelta(hours=2)) == {ro.id: AT_RISK}
    job = services.jobs_of(ro.id)[0]
    with clock.frozen(MORNING):
        services.assign_job(job.id, crew["mech"].id, store_id=store.id, actor_id=crew["controller"].id,
                            expected_version=None)
        services.start_job(job.id, store_id=store.id, actor_id=crew["mech"].id)
    # worked on since the morning: one hour is left, which fits
    assert promise_risk([ro], MORNING + timedelta(hours=2)) == {}


def test_end_of_day_note_for_an_unfinished_car(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db)
    day = MORNING.date()
    with clock.frozen(MORNING):
        with pytest.raises(DomainError, match="由谁加班"):
            closing.save_note(ro.id, store=store, day=day, actor_id=crew["controller"].id, progress="等配件",
                              expected_finish="2026-11-24T10:00", overtime_hours="2", overtime_technician_id=None)
        with pytest.raises(DomainError, match="已过"):
            closing.save_note(ro.id, store=store, day=day, actor_id=crew["controller"].id, progress="等配件",
                              expected_finish="2026-11-20T10:00", overtime_hours="0", overtime_technician_id=None)
        closing.save_note(ro.id, store=store, day=day, actor_id=crew["controller"].id, progress="等配件",
                          expected_finish="2026-11-24T10:00", overtime_hours="1.5",
                          overtime_technician_id=crew["mech"].id)
        db.session.commit()
        rows = closing.unfinished_cars(store, day)
    assert [(r.ro.id, r.note.progress, r.note.overtime_hours) for r in rows] == [(ro.id, "等配件", Decimal("1.5"))]


def test_figures_with_their_formulas(store, crew, make_vehicle, db):
    with clock.frozen(MORNING):
        ro = _worked(store, crew, make_vehicle, db, ("保养", "2", "mechanical"))
    with clock.frozen(MORNING + timedelta(hours=1)):
        services.inspect(ro.id, store_id=store.id, actor_id=crew["inspector"].id, passed=False, reason="未复位")
        rework = services.jobs_of(ro.id)[-1]
        services.start_job(rework.id, store_id=store.id, actor_id=crew["mech"].id)
    with clock.frozen(MORNING + timedelta(hours=2)):
        services.finish_job(rework.id, store_id=store.id, actor_id=crew["mech"].id)
        db.session.commit()
        teams = figures.technician_figures(store, MORNING.date(), MORNING.date())
    me = next(p for p in teams[Team.MECHANICAL].people if p.name == "zheng")
    assert (me.jobs_done, me.first_jobs, me.first_time_right, me.reworks) == (2, 1, 0, 1)
    assert me.sold_hours == 2 and me.clocked_hours == pytest.approx(1.0)  # the first job took no time
    assert me.first_time_pass == 0


def test_daily_delivery_rates(store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db, promised_hours=3)
    ro.status, ro.delivered_at = ROStatus.DELIVERED, MORNING + timedelta(hours=2)
    late = _car(store, crew, make_vehicle, db, promised_hours=1)
    late.status, late.delivered_at = ROStatus.DELIVERED, MORNING + timedelta(hours=2)
    _car(store, crew, make_vehicle, db)  # still in the workshop
    db.session.commit()
    day = figures.daily_figures(store, MORNING.date(), MORNING.date())[0]
    assert (day.cars_in, day.cars_out, day.in_and_out, day.on_time, day.promised) == (3, 2, 2, 1, 2)
    assert day.same_day_rate == pytest.approx(2 / 3) and day.on_time_rate == 0.5


def test_dispatch_tap_over_htmx_and_a_stale_tap(client, login_as, store, crew, make_vehicle, db):
    ro = _car(store, crew, make_vehicle, db)
    job = services.jobs_of(ro.id)[0]
    version = job.version
    login_as(Role.CONTROLLER)
    answer = client.post(f"/workshop/dispatch/jobs/{job.id}/assign", headers={"HX-Request": "true"},
                         data={"technician_id": crew["mech"].id, "version": version, "token": "t1"})
    assert answer.status_code == 200 and 'id="dispatch-board"' in answer.get_data(as_text=True)
    assert "board-changed" in answer.headers["HX-Trigger-After-Settle"]
    stale = client.post(f"/workshop/dispatch/jobs/{job.id}/assign", headers={"HX-Request": "true"},
                        data={"technician_id": crew["mech2"].id, "version": version, "token": "t2"})
    assert stale.status_code == 409 and "toast" in stale.headers["HX-Trigger"]
    db.session.remove()
    assert db.session.get(Job, job.id).technician_id == crew["mech"].id


def test_technician_taps_answer_with_the_tablet_and_refusals_as_toasts(client, login_as, store, crew, make_vehicle,
                                                                     db):
    ro = _car(store, crew, make_vehicle, db)
    job = services.jobs_of(ro.id)[0]
    tech = login_as(Role.TECHNICIAN)
    services.assign_job(job.id, tech.id, store_id=store.id, actor_id=crew["controller"].id, expected_version=None)
    db.session.commit()
    page = client.get("/workshop/my/").get_data(as_text=True)
    assert job.title in page
    refused = client.post(f"/workshop/my/jobs/{job.id}/finish", headers={"HX-Request": "true"}, data={"token": "a"})
    assert refused.status_code == 422 and "toast" in refused.headers["HX-Trigger"]
    started = client.post(f"/workshop/my/jobs/{job.id}/start", headers={"HX-Request": "true"}, data={"token": "b"})
    assert started.status_code == 200 and 'data-testid="current-job"' in started.get_data(as_text=True)
    etag = started.headers.get("ETag") or client.get("/workshop/my/live").headers["ETag"]
    assert client.get("/workshop/my/live", headers={"If-None-Match": etag}).status_code == 304


def test_notices_page_marks_read(client, login_as, store, db):
    from intranet.core import notices

    user = login_as(Role.ADVISOR)
    notices.notify(store.id, [user.id], "car_ready", {"plate": "沪A12345", "number": "TS01-1"}, link="/")
    db.session.commit()
    page = client.get("/notices").get_data(as_text=True)
    assert "沪A12345" in page and 'data-testid="unread-count"' in page
    notice_id = db.session.scalar(select(Notice.id))
    assert client.get(f"/notices/{notice_id}").status_code == 302
    assert 'data-testid="unread-count"' not in client.get("/notices").get_data(as_text=True)



@pytest.mark.parametrize("huge", ["1e309", "9" * 30])
def test_a_huge_quantity_on_a_parts_request_is_refused(huge, store, crew, make_vehicle, db):
    """A technician's parts request for 1e309 (or thirty nines) was stored as Infinity on SQLite, and
    every page listing parts requests answered 500 from then on: numbers are bounded where they are
    read (core.billing.decimal_from), so it is refused next to the field and nothing is stored."""
    from intranet.workshop.models import PartsRequest

    ro = _car(store, crew, make_vehicle, db)
    job = services.jobs_of(ro.id)[0]
    with pytest.raises(DomainError) as refused:
        services.request_part(job.id, store_id=store.id, actor_id=crew["mech"].id, description="前刹车片",
                              quantity=huge)
    assert refused.value.field == "quantity"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PartsRequest)) == 0


def test_the_figures_page_says_the_weekday_in_the_readers_language(client, login_as, store, crew, db):
    """The daily figures read "12-07 Mon" in the Chinese page: the weekday is the reader's word."""
    login_as(Role.DIRECTOR)
    with clock.frozen(datetime(2026, 12, 7, 4, 0)):  # Monday 7 December, 12:00 in Shanghai
        page = client.get("/workshop/manage/figures?start=2026-12-01&end=2026-12-07").get_data(as_text=True)
    assert "12-07 周一" in page and "Mon" not in page
