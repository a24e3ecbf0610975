"""The workshop through real browsers at tablet sizes: a job dispatched by the controller, clocked,
paused for parts, finished, failed at the final inspection, reworked, passed and washed — while a
wall board on another tablet follows the car without reloading; a dispatch tap on a board that
someone else changed meanwhile; a Start tap made while the tablet had no Wi-Fi; and the refusals
a technician must be able to read.

State the test is not about (the repair order and its labour line, the teams, the checklist) is
set up with service calls and committed before the browser looks at it; every step named in a
test's docstring goes through the browser."""
from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intranet.core.models import RepairOrder, Role, ROStatus
from intranet.errors import IllegalTransition
from intranet.reception import services as reception
from intranet.workshop import services as workshop
from intranet.workshop.models import (
    ClockSpan,
    Inspection,
    Job,
    JobEvent,
    JobStatus,
    PartsRequest,
    PauseReason,
    QCItem,
    Team,
    Technician,
)
from tests.browser.conftest import LANDSCAPE, PORTRAIT, VIEWPORTS, fresh, login, path_of, shot, top, zh

pytestmark = pytest.mark.browser

PLATE = "沪A35791"
JOB_TITLE = "更换机油机滤"
REWORK_REASON = "车轮螺栓未按规定力矩复核"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def snap(page, step: str) -> None:
    """workshop-<step>-1024x768.png and workshop-<step>-768x1024.png (the page is put back at the
    size it was). At each size the page must not scroll sideways."""
    before = page.viewport_size
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(VIEWPORTS[size])
        top(page)
        shot(page, f"workshop-{step}-{size}")
        assert no_sideways_scroll(page), f"{step} scrolls sideways at {size}"
    page.set_viewport_size(before)


def tap_post(page, target, url_end: str):
    """Tap a button whose form posts (htmx) to a URL ending in `url_end`; returns the answer."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(url_end)) as answer:
        target.tap()
    return answer.value


def tap_navigate(page, target):
    """Tap a link or a plain form's button; returns the final response (after redirects)."""
    with page.expect_navigation() as navigation:
        target.tap()
    return navigation.value


def ro_status(db, ro_id: int) -> ROStatus:
    return fresh(db).get(RepairOrder, ro_id).status_enum


def spans_of(db, job_id: int) -> int:
    return fresh(db).scalar(select(func.count()).select_from(ClockSpan).where(ClockSpan.job_id == job_id))


def post_from_page(page, url: str) -> dict:
    """POST from inside the page, as a tablet's htmx would (session cookie, CSRF header, a fresh
    one-time token): the answer's status and the toast it carries."""
    answer = page.evaluate("""async (url) => {
        const headers = JSON.parse(document.body.getAttribute("hx-headers"));
        headers["HX-Request"] = "true";
        const body = new URLSearchParams({token: crypto.randomUUID()});
        const r = await fetch(url, {method: "POST", headers, body});
        return {status: r.status, trigger: r.headers.get("HX-Trigger")};
    }""", url)
    answer["toast"] = json.loads(answer["trigger"] or "{}").get("toast", {}).get("message", "")
    return answer


# --- set-up ---------------------------------------------------------------------------------------

@pytest.fixture
def fast_polls(app, monkeypatch):
    """Boards poll every second (restored after the test)."""
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)


@pytest.fixture
def no_polls(app, monkeypatch):
    """No poll may land mid-test: only taps change a board."""
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 600)


@pytest.fixture
def crew(db, store, make_user):
    """A controller, an inspector, an advisor and two mechanical technicians (张师傅 is the lead)."""
    people = SimpleNamespace(
        controller=make_user(Role.CONTROLLER, username="chenzhuguan", display_name="陈主管"),
        controller2=make_user(Role.CONTROLLER, username="zhoudiaodu", display_name="周调度"),
        inspector=make_user(Role.INSPECTOR, username="liujianyan", display_name="刘检验"),
        advisor=make_user(Role.ADVISOR, username="wangfang", display_name="王芳"),
        tech=make_user(Role.TECHNICIAN, username="zhangshifu", display_name="张师傅"),
        tech2=make_user(Role.TECHNICIAN, username="lishifu", display_name="李师傅"),
    )
    db.session.add_all([
        Technician(user_id=people.tech.id, store_id=store.id, team=Team.MECHANICAL, skills="保养, 发动机", lead=True),
        Technician(user_id=people.tech2.id, store_id=store.id, team=Team.MECHANICAL, skills="底盘, 四轮定位"),
    ])
    db.session.commit()
    return people


def open_repair_order(db, store, crew, vehicle, title=JOB_TITLE) -> tuple[int, int]:
    """A car checked in with one mechanical labour line: (repair order id, its waiting job's id)."""
    ro = reception.check_in(store_id=store.id, vehicle_id=vehicle.id, actor_id=crew.advisor.id, complaint="保养")
    line = reception.add_line(ro.id, store_id=store.id, actor_id=crew.advisor.id, kind="labour", description=title,
                              quantity="1.5", team="mechanical")
    db.session.commit()
    return ro.id, line.job_id


@pytest.fixture
def car(db, store, crew, make_customer, make_vehicle):
    """沪A35791 checked in with a mechanical labour line (one job to dispatch), and a two-point
    checklist: one point for every car, one for mechanical work."""
    vehicle = make_vehicle(plate=PLATE, customer=make_customer(name="陈晓明"), model="迈腾 330TSI")
    ro_id, job_id = open_repair_order(db, store, crew, vehicle)
    db.session.add_all([
        QCItem(store_id=store.id, team=None, text="维修项目全部完成，与委托书一致", position=1),
        QCItem(store_id=store.id, team=Team.MECHANICAL, text="车轮螺栓按规定力矩紧固", position=2),
    ])
    db.session.commit()
    assert fresh(db).get(Job, job_id).status_enum == JobStatus.WAITING
    return SimpleNamespace(ro_id=ro_id, job_id=job_id)


# --- 1. dispatch to wash, with a live wall board ----------------------------------------------

def test_job_from_dispatch_to_wash_with_live_wall_board(db, store, crew, car, new_context, fast_polls):
    """Controller dispatches the job with two taps → technician starts it, requests a part, pauses
    it for parts (car: waiting parts), resumes, finishes → inspector fails one point with a reason
    → the rework shows on the technician's tablet with the reason → started and finished →
    inspector passes → washed. A wall board on an advisor's tablet follows every stage without
    reloading (polls answered 304 until something changes)."""
    ro_id, job_id = car.ro_id, car.job_id

    # -- the wall board, on the advisor's tablet
    wall = new_context(PORTRAIT).new_page()
    login(wall, crew.advisor.username)
    polls: list[int] = []
    wall.on("response", lambda r: polls.append(r.status) if "/workshop/board/live" in r.url else None)
    wall.goto("/workshop/board")
    expect(wall.locator("#workshop-board")).to_have_attribute("hx-trigger", re.compile(r"every 1s"))
    card = wall.get_by_test_id(f"car-{PLATE}")
    stage = card.locator(".stage-line .pill")
    expect(stage).to_have_class(re.compile(r"status-checked_in"))
    expect(stage).to_have_text(zh(ROStatus.CHECKED_IN.label))
    wall.evaluate("window.__noReload = 1")
    with wall.expect_response(lambda r: "/workshop/board/live" in r.url and r.status == 304, timeout=8_000):
        pass  # nothing changed yet: the polls cost a 304 and no swap

    def wall_shows(status: ROStatus) -> None:
        expect(stage).to_have_class(re.compile(rf"status-{status.value}\b"))
        expect(stage).to_have_text(zh(status.label))

    # -- the controller dispatches: tap the job, tap the technician
    ctl = new_context(LANDSCAPE).new_page()
    login(ctl, crew.controller.username)
    ctl.goto("/workshop/dispatch/")
    expect(ctl.get_by_test_id("waiting-count")).to_have_text("1")
    waiting = ctl.get_by_test_id(f"job-{job_id}")
    expect(waiting).to_contain_text(PLATE)
    expect(waiting).to_contain_text(JOB_TITLE)
    waiting.locator("summary").tap()
    pick = ctl.get_by_test_id(f"assign-{job_id}-{crew.tech.username}")
    expect(pick).to_be_visible()
    expect(ctl.get_by_test_id(f"assign-{job_id}-{crew.tech2.username}")).to_be_visible()
    snap(ctl, "dispatch-picker")
    assert tap_post(ctl, pick, f"/jobs/{job_id}/assign").status == 200
    expect(ctl.get_by_test_id(f"job-{job_id}")).to_have_count(0)
    expect(ctl.get_by_test_id("waiting-count")).to_have_text("0")
    expect(ctl.get_by_test_id(f"tech-{crew.tech.username}").get_by_test_id(f"queued-{job_id}")).to_contain_text(PLATE)
    job = fresh(db).get(Job, job_id)
    assert (job.status_enum, job.technician_id) == (JobStatus.ASSIGNED, crew.tech.id)

    wall_shows(ROStatus.IN_WORKSHOP)  # the wall board moved on its own
    expect(card.locator(".job-chip")).to_contain_text(crew.tech.display_name)
    snap(wall, "wall-board")

    # -- the technician's tablet: start
    tech = new_context(LANDSCAPE).new_page()
    login(tech, crew.tech.username)
    tech.goto("/workshop/my/")
    queued = tech.get_by_test_id(f"queued-job-{job_id}")
    expect(queued).to_contain_text(PLATE)
    expect(tech.get_by_test_id("current-job")).to_have_count(0)
    assert tap_post(tech, tech.get_by_test_id(f"start-{job_id}"), f"/jobs/{job_id}/start").status == 200
    current = tech.get_by_test_id("current-job")
    expect(current).to_contain_text(JOB_TITLE)
    expect(current).to_contain_text(PLATE)
    expect(queued).to_have_count(0)
    snap(tech, "my-current")
    assert fresh(db).get(Job, job_id).status_enum == JobStatus.RUNNING

    # -- a part is needed: ask the parts counter
    tech.get_by_test_id("parts-menu").tap()
    parts_form = tech.locator("form.parts-form")
    expect(parts_form).to_be_visible()
    parts_form.locator("[name=description]").fill("机油滤清器")
    parts_form.locator("[name=part_number]").fill("06l115562")
    parts_form.locator("[name=quantity]").fill("1")
    snap(tech, "my-parts-form")
    assert tap_post(tech, parts_form.locator("button[type=submit]"), f"/jobs/{job_id}/parts").status == 200
    expect(parts_form).to_be_hidden()  # the fresh board comes with the menu closed
    requested = tech.locator("#my-jobs section.card", has_text=zh("Parts requested"))
    expect(requested).to_contain_text("机油滤清器")
    expect(requested).to_contain_text("06L115562")  # upper-cased
    part = fresh(db).scalar(select(PartsRequest).where(PartsRequest.job_id == job_id))
    assert (part.description, part.part_number, part.repair_order_id) == ("机油滤清器", "06L115562", ro_id)

    # -- pause: waiting for parts
    tech.get_by_test_id("pause-menu").tap()
    for_parts = tech.locator(f'form[hx-post$="/jobs/{job_id}/pause"]:has(input[name=reason][value=waiting_parts]) '
                             "button")
    expect(for_parts).to_be_visible()
    expect(for_parts).to_have_text(zh(PauseReason.WAITING_PARTS.label))
    snap(tech, "my-pause-menu")
    assert tap_post(tech, for_parts, f"/jobs/{job_id}/pause").status == 200
    expect(current).to_have_count(0)
    expect(queued).to_contain_text(zh(JobStatus.PAUSED.label))
    expect(queued).to_contain_text(zh(PauseReason.WAITING_PARTS.label))
    expect(tech.get_by_test_id(f"start-{job_id}")).to_have_text(zh("Resume"))
    assert ro_status(db, ro_id) == ROStatus.WAITING_PARTS
    job = fresh(db).get(Job, job_id)
    assert (job.status_enum, job.paused_reason) == (JobStatus.PAUSED, PauseReason.WAITING_PARTS)
    wall_shows(ROStatus.WAITING_PARTS)
    snap(tech, "my-paused")

    # -- the part came: resume, then finish
    assert tap_post(tech, tech.get_by_test_id(f"start-{job_id}"), f"/jobs/{job_id}/start").status == 200
    expect(current).to_contain_text(JOB_TITLE)
    assert ro_status(db, ro_id) == ROStatus.IN_WORKSHOP
    wall_shows(ROStatus.IN_WORKSHOP)
    assert tap_post(tech, tech.get_by_test_id(f"finish-{job_id}"), f"/jobs/{job_id}/finish").status == 200
    expect(current).to_have_count(0)
    expect(tech.locator("#my-jobs .empty")).to_be_visible()  # nothing left for him
    assert ro_status(db, ro_id) == ROStatus.QUALITY_CHECK
    assert spans_of(db, job_id) == 2  # before and after the pause
    wall_shows(ROStatus.QUALITY_CHECK)

    # -- the final inspection: one point failed, with the reason
    qc = new_context(LANDSCAPE).new_page()
    login(qc, crew.inspector.username)
    qc.goto("/workshop/qc/")
    tap_navigate(qc, qc.get_by_test_id(f"qc-{PLATE}"))
    assert path_of(qc) == f"/workshop/qc/ro/{ro_id}"
    expect(qc.locator(".qc-items > li")).to_have_count(2)
    failed_box = qc.get_by_test_id("fail-item-2")
    qc.locator("label.qc-toggle", has=failed_box).tap()
    expect(failed_box).to_be_checked()
    expect(qc.get_by_test_id("fail-item-1")).not_to_be_checked()
    qc.locator("#reason").fill(REWORK_REASON)
    snap(qc, "qc-failed-item")
    tap_navigate(qc, qc.get_by_test_id("qc-fail"))
    assert path_of(qc) == "/workshop/qc/"
    assert ro_status(db, ro_id) == ROStatus.IN_WORKSHOP
    wall_shows(ROStatus.IN_WORKSHOP)
    expect(card.locator(".job-chip.job-assigned")).to_contain_text(zh("rework"))
    rework = fresh(db).scalar(select(Job).where(Job.rework_of_id == job_id))
    assert rework is not None and rework.technician_id == crew.tech.id and rework.rework_reason == REWORK_REASON
    rework_id = rework.id

    # -- the rework appears on the technician's tablet by itself, with the reason
    redo = tech.get_by_test_id(f"queued-job-{rework_id}")
    expect(redo).to_contain_text(REWORK_REASON)
    expect(redo.locator(".alert")).to_contain_text(REWORK_REASON)
    snap(tech, "my-rework")
    assert tap_post(tech, tech.get_by_test_id(f"start-{rework_id}"), f"/jobs/{rework_id}/start").status == 200
    expect(current).to_contain_text(REWORK_REASON)
    assert tap_post(tech, tech.get_by_test_id(f"finish-{rework_id}"), f"/jobs/{rework_id}/finish").status == 200
    expect(current).to_have_count(0)
    assert ro_status(db, ro_id) == ROStatus.QUALITY_CHECK
    wall_shows(ROStatus.QUALITY_CHECK)

    # -- second inspection: passed → the wash → washed: ready
    qc.reload()  # the queue page does not poll
    tap_navigate(qc, qc.get_by_test_id(f"qc-{PLATE}"))
    expect(qc.locator(".page-head")).to_contain_text(zh("inspection no. %(n)s", n=2))
    expect(qc.get_by_test_id("fail-item-2")).not_to_be_checked()  # a new inspection starts clean
    tap_navigate(qc, qc.get_by_test_id("qc-pass"))
    assert path_of(qc) == "/workshop/qc/"
    washed = qc.get_by_test_id(f"washed-{PLATE}")
    expect(washed).to_be_visible()
    expect(qc.get_by_test_id(f"qc-{PLATE}")).to_have_count(0)
    assert ro_status(db, ro_id) == ROStatus.WASHING
    wall_shows(ROStatus.WASHING)
    snap(qc, "qc-queue-washing")
    tap_navigate(qc, washed)
    expect(qc.locator(".flash.success")).to_be_visible()
    expect(qc.get_by_test_id(f"washed-{PLATE}")).to_have_count(0)
    assert ro_status(db, ro_id) == ROStatus.READY
    wall_shows(ROStatus.READY)
    snap(wall, "wall-board-ready")

    inspections = fresh(db).scalars(select(Inspection).where(Inspection.repair_order_id == ro_id)
                                    .order_by(Inspection.id)).all()
    assert [(i.passed, i.reason) for i in inspections] == [(False, REWORK_REASON), (True, None)]
    assert [a.ok for a in inspections[0].answers] == [True, False]

    # The wall board was never reloaded: its polls were answered 304, then 200 on each change.
    assert wall.evaluate("window.__noReload") == 1, "the wall board navigated instead of updating in place"
    first_304 = polls.index(304)
    assert 200 in polls[first_304:], polls
    assert polls.count(304) >= 1 and set(polls) <= {200, 304}, polls


# --- 2. a stale dispatch tap ------------------------------------------------------------------

def test_stale_dispatch_tap_refreshes_board_and_keeps_first_assignment(db, crew, car, new_context, no_polls):
    """Two controllers have the job's picker open. 陈主管 gives it to 张师傅; 周调度, still looking
    at the old board, taps 李师傅: refused (409) with a toast naming who changed it, and the
    board is redrawn as it is now. The job stays with 张师傅."""
    job_id = car.job_id
    a = new_context(LANDSCAPE).new_page()
    b = new_context(PORTRAIT).new_page()
    login(a, crew.controller.username)
    login(b, crew.controller2.username)
    for page in (a, b):
        page.goto("/workshop/dispatch/")
        page.get_by_test_id(f"job-{job_id}").locator("summary").tap()
        expect(page.get_by_test_id(f"assign-{job_id}-{crew.tech.username}")).to_be_visible()

    assert tap_post(a, a.get_by_test_id(f"assign-{job_id}-{crew.tech.username}"),
                    f"/jobs/{job_id}/assign").status == 200
    expect(a.get_by_test_id(f"job-{job_id}")).to_have_count(0)

    stale = b.get_by_test_id(f"assign-{job_id}-{crew.tech2.username}")
    expect(stale).to_be_visible()  # B's board still shows the job waiting
    assert tap_post(b, stale, f"/jobs/{job_id}/assign").status == 409
    toast = b.locator("#toasts .toast-error")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text(crew.controller.display_name)
    expect(toast).to_contain_text(zh(JobStatus.ASSIGNED.label))
    expect(b.get_by_test_id(f"job-{job_id}")).to_have_count(0)  # the board is redrawn
    expect(b.get_by_test_id("waiting-count")).to_have_text("0")
    expect(b.get_by_test_id(f"tech-{crew.tech.username}").get_by_test_id(f"queued-{job_id}")).to_be_visible()
    expect(b.get_by_test_id(f"tech-{crew.tech2.username}").get_by_test_id(f"queued-{job_id}")).to_have_count(0)
    top(b)
    shot(b, f"workshop-dispatch-stale-{PORTRAIT}")

    job = fresh(db).get(Job, job_id)
    assert (job.status_enum, job.technician_id) == (JobStatus.ASSIGNED, crew.tech.id)
    moves = fresh(db).scalars(select(JobEvent.to_status).where(JobEvent.job_id == job_id)).all()
    assert moves == [JobStatus.WAITING, JobStatus.ASSIGNED], moves


# --- 3. offline mid-tap ------------------------------------------------------------------------

def test_start_tapped_offline_is_sent_again_and_applied_once(db, store, crew, car, new_context, no_polls):
    """The tablet loses Wi-Fi and the technician taps Start: the form shows as not saved and a toast
    says so. When the network is back the tap is sent again by itself: the job runs, with exactly
    one clock span."""
    job_id = car.job_id
    workshop.assign_job(job_id, crew.tech.id, store_id=store.id, actor_id=crew.controller.id, expected_version=None)
    db.session.commit()

    page = new_context(PORTRAIT).new_page()
    login(page, crew.tech.username)
    page.goto("/workshop/my/")
    start = page.get_by_test_id(f"start-{job_id}")
    expect(start).to_be_visible()

    page.context.set_offline(True)
    start.tap()
    form = page.locator("form", has=start)
    expect(form).to_have_class(re.compile(r"\bis-unsaved\b"))
    expect(page.locator("#toasts .toast-error")).to_contain_text(zh(
        "Not saved yet: no connection. It is sent again as soon as the network is back."))
    expect(page.locator(".offline-banner")).to_be_visible()
    snap(page, "my-offline-unsaved")
    assert spans_of(db, job_id) == 0
    assert fresh(db).get(Job, job_id).status_enum == JobStatus.ASSIGNED

    # Back online: app.js sends the form again (on "online", or its 4-second retry).
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/jobs/{job_id}/start"),
                              timeout=8_000) as resent:
        page.context.set_offline(False)
    assert resent.value.status == 200
    expect(page.get_by_test_id("current-job")).to_contain_text(JOB_TITLE)
    expect(page.locator("form.is-unsaved")).to_have_count(0)
    expect(page.locator(".offline-banner")).to_be_hidden()
    page.wait_for_timeout(4_500)  # one more retry period: nothing is sent twice
    assert spans_of(db, job_id) == 1
    job = fresh(db).get(Job, job_id)
    assert job.status_enum == JobStatus.RUNNING
    started = fresh(db).scalar(select(func.count()).select_from(JobEvent).where(
        JobEvent.job_id == job_id, JobEvent.to_status == JobStatus.RUNNING))
    assert started == 1


# --- 4. refusals ---------------------------------------------------------------------------------

def test_second_start_and_finish_before_start_are_refused(db, store, crew, car, make_vehicle, new_context,
                                                          no_polls):
    """With one job running, the tablet offers no Start on the next one (a hint instead); a start
    sent anyway is refused naming the car being worked on. Finishing a job never started is
    refused too. Nothing is clocked on the second job."""
    first = car.job_id
    other_plate = "沪B24680"
    _ro2, second = open_repair_order(db, store, crew, make_vehicle(plate=other_plate), title="更换雨刮片")
    for job_id in (first, second):
        workshop.assign_job(job_id, crew.tech.id, store_id=store.id, actor_id=crew.controller.id,
                            expected_version=None)
    db.session.commit()

    page = new_context(LANDSCAPE).new_page()
    login(page, crew.tech.username)
    page.goto("/workshop/my/")
    expect(page.get_by_test_id(f"start-{second}")).to_be_visible()  # both startable while idle
    assert tap_post(page, page.get_by_test_id(f"start-{first}"), f"/jobs/{first}/start").status == 200
    expect(page.get_by_test_id("current-job")).to_contain_text(PLATE)

    next_job = page.get_by_test_id(f"queued-job-{second}")
    expect(next_job).to_contain_text(other_plate)
    expect(page.get_by_test_id(f"start-{second}")).to_have_count(0)
    expect(next_job).to_contain_text(zh("Pause or finish the current job to start this one."))
    snap(page, "my-second-job-hint")

    # A start sent anyway (an old page, a second tablet): refused, saying which car is running.
    refused = post_from_page(page, f"/workshop/my/jobs/{second}/start")
    assert refused["status"] == 422, refused
    assert PLATE in refused["toast"] and JOB_TITLE in refused["toast"], refused

    # Finishing a job that was never started: refused, telling what to do.
    refused = post_from_page(page, f"/workshop/my/jobs/{second}/finish")
    assert refused["status"] == 422, refused
    assert refused["toast"] == zh("This job has not been started: start it before finishing it."), refused

    # The same rules at the service level.
    fresh(db)
    with pytest.raises(IllegalTransition):
        workshop.finish_job(second, store_id=store.id, actor_id=crew.tech.id)
    db.session.rollback()

    job = fresh(db).get(Job, second)
    assert job.status_enum == JobStatus.ASSIGNED and job.started_at is None and job.finished_at is None
    assert spans_of(db, second) == 0
    assert spans_of(db, first) == 1
    assert fresh(db).get(Job, first).status_enum == JobStatus.RUNNING
