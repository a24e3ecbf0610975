"""The live boards cost the same number of SQL statements for 10 cars as for 120 (issue 18), and an
unchanged poll costs the signed-in person (one statement: the user with their store and roles) and
the board's version. Counts only: the speed itself is printed by bench/board_and_search.py and
bench/workshop_board.py, never asserted."""
from datetime import datetime, timedelta

import pytest

from intranet import clock
from intranet.core import services as core
from intranet.core.models import Role
from intranet.reception.services import add_line
from intranet.workshop import services as ws
from intranet.workshop.models import Technician
from tests.conftest import statements_for

# a Tuesday, 10:00 in Shanghai: the boards' day and the ETag's minute stand still at a known hour
AT = datetime(2026, 11, 24, 2, 0)


def statements_of(app, db, client, url, headers=None, expect=200):
    app.extensions.pop("today_health", None)  # the store board reads the job queue's health once per ETag
    return statements_for(db, client, url, headers={"HX-Request": "true", **(headers or {})}, expect=expect)


@pytest.fixture
def cars(db, store, make_user, make_vehicle):
    """`add(n)`: n more cars opened now, each with a labour line (a job); every other one dispatched
    to a technician and every fourth one started, so the board shows teams, technicians and clocks."""
    boss = make_user(Role.CONTROLLER, Role.ADVISOR)
    techs = [make_user(Role.TECHNICIAN, display_name=f"技师{n}") for n in range(3)]
    for tech in techs:
        db.session.add(Technician(user_id=tech.id, store_id=store.id, team="mechanical"))
    db.session.commit()
    made = []

    def add(count):
        now = clock.utcnow()
        for _ in range(count):
            n = len(made)
            ro = core.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=boss.id,
                                        promised_at=now + timedelta(hours=3 if n % 3 else -1))
            add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="保养", quantity="1",
                     team="mechanical")
            if n % 2 == 0:
                (job,) = ws.jobs_of(ro.id)
                tech = techs[n % len(techs)]
                ws.assign_job(job.id, tech.id, store_id=store.id, actor_id=boss.id, expected_version=None)
                if n % 4 == 0 and ws.running_span(tech.id) is None:
                    ws.start_job(job.id, store_id=store.id, actor_id=tech.id)
            made.append(ro.id)
        db.session.commit()

    return add


@pytest.mark.parametrize("url, role, marker", [
    ("/today/board", Role.DIRECTOR, 'class="plate'),
    ("/workshop/board/live", Role.CONTROLLER, 'class="car-card'),
])
def test_a_board_of_120_cars_costs_the_queries_of_10(app, db, client, login_as, cars, url, role, marker):
    login_as(role)
    with clock.frozen(AT):
        cars(10)
        few, first = statements_of(app, db, client, url)
        cars(110)
        many, second = statements_of(app, db, client, url)
    assert first.get_data(as_text=True).count(marker) == 10
    assert second.get_data(as_text=True).count(marker) == 120
    assert len(many) == len(few), many


@pytest.mark.parametrize("url, role", [
    ("/today/board", Role.DIRECTOR),
    ("/workshop/board/live", Role.CONTROLLER),
    ("/workshop/dispatch/live", Role.CONTROLLER),
])
def test_an_unchanged_poll_reads_the_person_once_and_the_version(app, db, client, login_as, cars, url, role):
    login_as(role)
    with clock.frozen(AT):  # the ETag carries the minute: keep it still
        cars(3)
        etag = client.get(url, headers={"HX-Request": "true"}).headers["ETag"]
        seen, _response = statements_of(app, db, client, url, {"If-None-Match": etag}, expect=304)
    assert len(seen) == 2, seen
    assert "user_role" in seen[0] and "board_version" in seen[1]


def test_the_store_board_moves_only_with_what_it_shows(app, db, store, client, login_as, make_user, make_vehicle):
    """A line added (a new job for the workshop) moves the homes' "today" counter but not the store
    board's ETag: the board shows no lines or jobs. The car going into the workshop when its job is
    dispatched, and a car coming in, do move it."""
    from intranet.live.services import version

    with clock.frozen(AT):
        login_as(Role.DIRECTOR)
        boss = make_user(Role.CONTROLLER, Role.ADVISOR)
        tech = make_user(Role.TECHNICIAN)
        db.session.add(Technician(user_id=tech.id, store_id=store.id, team="mechanical"))
        ro = core.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=boss.id)
        add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="保养", quantity="1",
                 team="mechanical")
        db.session.commit()
        (job,) = ws.jobs_of(ro.id)
        url, hx = "/today/board", {"HX-Request": "true"}
        etag = client.get(url, headers=hx).headers["ETag"]

        ws.assign_job(job.id, tech.id, store_id=store.id, actor_id=boss.id, expected_version=None)
        db.session.commit()  # checked in -> in the workshop: a status the board shows
        moved = client.get(url, headers={**hx, "If-None-Match": etag})
        assert moved.status_code == 200 and moved.headers["ETag"] != etag
        etag = moved.headers["ETag"]

        today = version(store.id, "today")
        add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="四轮定位", quantity="1",
                 team="mechanical")
        db.session.commit()
        assert version(store.id, "today") > today  # the homes are told
        assert client.get(url, headers={**hx, "If-None-Match": etag}).status_code == 304

        core.open_repair_order(store_id=store.id, vehicle_id=make_vehicle(plate="沪A77777").id, actor_id=boss.id)
        db.session.commit()
        came_in = client.get(url, headers={**hx, "If-None-Match": etag})
        assert came_in.status_code == 200 and "沪A77777" in came_in.get_data(as_text=True)
