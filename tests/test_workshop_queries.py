"""The workshop's live screens cost a fixed number of SQL statements whatever the number of cars
(no N+1), and a poll that finds the board unchanged is answered 304 without rendering."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from intranet import clock
from intranet.core import services as core
from intranet.core.models import Role
from intranet.reception.services import add_line
from intranet.workshop import services as ws
from intranet.workshop.models import Technician
from tests.conftest import new_client

SCREENS = {
    "wall board": "/workshop/board/live",
    "dispatch board": "/workshop/dispatch/live",
    "my jobs": "/workshop/my/live",
}


def count_queries(db, client, url, headers=None, expect=200):
    statements = []

    def listener(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, headers={"HX-Request": "true", **(headers or {})})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == expect, (url, response.status_code, response.get_data(as_text=True)[:300])
    return len(statements), response


@pytest.fixture
def workshop(app, db, store, client, login_as, make_user, make_vehicle):
    """A workshop with a technician signed in on `client`, a controller signed in on `controller`,
    and `add_cars(n)` to bring n more cars in, each in a different state."""
    me = login_as(Role.TECHNICIAN, display_name="王师傅")
    other = make_user(Role.TECHNICIAN, display_name="李师傅")
    body = make_user(Role.TECHNICIAN, display_name="赵师傅")
    paint = make_user(Role.TECHNICIAN, display_name="钱师傅")
    boss = make_user(Role.CONTROLLER, Role.ADVISOR, Role.INSPECTOR)
    for user, team in ((me, "mechanical"), (other, "mechanical"), (body, "body"), (paint, "paint")):
        db.session.add(Technician(user_id=user.id, store_id=store.id, team=team))
    db.session.commit()

    controller = new_client(app)
    controller.fetch_csrf()
    assert controller.post("/login", data={"username": boss.username, "password": "password123"}).status_code == 302

    made = []

    def add_cars(count):
        now = clock.utcnow()
        for _ in range(count):
            kind = len(made) % 3
            late = len(made) % 2 == 0
            vehicle = make_vehicle()
            ro = core.open_repair_order(store_id=store.id, vehicle_id=vehicle.id, actor_id=boss.id,
                                        promised_at=now + (timedelta(hours=-1) if late else timedelta(hours=3)))
            common = {"store_id": store.id, "actor_id": boss.id, "kind": "labour"}
            if kind == 0:
                # an accident car: body done, paint paused waiting for parts, mechanical waiting after it
                add_line(ro.id, description="前保险杠钣金", quantity="2", team="body", **common)
                add_line(ro.id, description="前保险杠喷漆", quantity="2", team="paint", **common)
                add_line(ro.id, description="四轮定位", quantity="1", team="mechanical", **common)
                body_job, paint_job, _mech = ws.jobs_of(ro.id)
                ws.assign_job(body_job.id, body.id, store_id=store.id, actor_id=boss.id, expected_version=None)
                ws.start_job(body_job.id, store_id=store.id, actor_id=body.id)
                ws.finish_job(body_job.id, store_id=store.id, actor_id=body.id)
                ws.assign_job(paint_job.id, paint.id, store_id=store.id, actor_id=boss.id, expected_version=None)
                ws.start_job(paint_job.id, store_id=store.id, actor_id=paint.id)
                ws.request_part(paint_job.id, store_id=store.id, actor_id=paint.id, description="原厂清漆")
                ws.pause_job(paint_job.id, "waiting_parts", store_id=store.id, actor_id=paint.id)
            elif kind == 1:
                # my job, with a part asked for; the first one is the job I am working on
                add_line(ro.id, description="更换机油机滤", quantity="1", team="mechanical", **common)
                add_line(ro.id, description="更换刹车片", quantity="1.5", team="mechanical", **common)
                (job,) = ws.jobs_of(ro.id)
                ws.assign_job(job.id, me.id, store_id=store.id, actor_id=boss.id, expected_version=None)
                ws.request_part(job.id, store_id=store.id, actor_id=me.id, description="刹车片（前）",
                                part_number="5QD698151")
                if ws.running_span(me.id) is None:
                    ws.start_job(job.id, store_id=store.id, actor_id=me.id)
            else:
                # a colleague's job, finished and through the final inspection to the wash
                add_line(ro.id, description="保养", quantity="1", team="mechanical", **common)
                (job,) = ws.jobs_of(ro.id)
                ws.assign_job(job.id, other.id, store_id=store.id, actor_id=boss.id, expected_version=None)
                ws.start_job(job.id, store_id=store.id, actor_id=other.id)
                ws.finish_job(job.id, store_id=store.id, actor_id=other.id)
                ws.inspect(ro.id, store_id=store.id, actor_id=boss.id, passed=True, wash=True)
            made.append(ro.id)
        db.session.commit()

    return {"me": me, "boss": boss, "technician": client, "controller": controller, "add_cars": add_cars}


def screen_client(workshop, name):
    return workshop["technician"] if name == "my jobs" else workshop["controller"]


def test_workshop_screens_render_with_the_same_queries_for_3_and_12_cars(db, workshop):
    workshop["add_cars"](3)
    few = {name: count_queries(db, screen_client(workshop, name), url) for name, url in SCREENS.items()}
    workshop["add_cars"](9)
    many = {name: count_queries(db, screen_client(workshop, name), url) for name, url in SCREENS.items()}

    # the data really grew on every screen
    assert few["wall board"][1].get_data(as_text=True).count('class="car-card') == 3
    assert many["wall board"][1].get_data(as_text=True).count('class="car-card') == 12
    assert many["dispatch board"][1].get_data(as_text=True).count('data-testid="queued-') > \
        few["dispatch board"][1].get_data(as_text=True).count('data-testid="queued-')
    assert many["my jobs"][1].get_data(as_text=True).count('data-testid="queued-job-') == 3
    assert few["my jobs"][1].get_data(as_text=True).count('data-testid="current-job"') == 1

    assert {name: n for name, (n, _r) in many.items()} == {name: n for name, (n, _r) in few.items()}


def test_wall_board_for_one_team_renders_with_the_same_queries(db, workshop):
    url = "/workshop/board/live?team=paint"
    workshop["add_cars"](3)
    few, _ = count_queries(db, workshop["controller"], url)
    workshop["add_cars"](9)
    many, response = count_queries(db, workshop["controller"], url)
    assert response.get_data(as_text=True).count('class="car-card') == 4  # the accident cars
    assert many == few


@pytest.mark.parametrize("name", list(SCREENS))
def test_unchanged_poll_answers_304_and_a_change_renders(db, store, workshop, name):
    workshop["add_cars"](3)
    client, url = screen_client(workshop, name), SCREENS[name]
    with clock.frozen(clock.utcnow()):  # the ETag carries the minute: keep it still
        _n, first = count_queries(db, client, url)
        etag = first.headers["ETag"]
        assert etag and "no-store" in first.headers["Cache-Control"]
        queries, again = count_queries(db, client, url, {"If-None-Match": etag}, expect=304)
        assert again.get_data() == b"" and again.headers["ETag"] == etag
        assert queries <= 3  # the user, their roles and the board's version: nothing rendered

        workshop["add_cars"](1)  # a car comes in: the board version moves
        _n, changed = count_queries(db, client, url, {"If-None-Match": etag})
        assert changed.headers["ETag"] != etag
