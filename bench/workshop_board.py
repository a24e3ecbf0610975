"""Server-side cost of the workshop's live screens: the wall board, the dispatch board and the
technician's "my jobs", against a trivial endpoint.

    .venv/bin/python bench/workshop_board.py [--cars 120] [--screens 30] [--rounds 200]

Builds a throw-away SQLite database from the migrations (or, when DATABASE_URL points at a
PostgreSQL server, a throw-away database on it; both are removed afterwards), fills a store with cars in
every on-site status, their labour lines and jobs (dispatched, running, paused, done) and ~10
technicians in three teams, then times requests through the WSGI app in-process (no network):
median and 95th percentile per request, ratio to GET /ping, SQL statements per request.

The wall board is simulated as `--screens` screens polling every 5 s, each sending the ETag of
its last answer: while nothing changes they get 304. The ETag carries the current minute, so
each screen also gets one full render per minute; the last table estimates that load."""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.measure import count_queries, scratch_app, summary, timed

PASSWORD = "benchbench"
# username → (team, lead); 10 technicians over the three teams
TECHS = {
    "mech1": ("mechanical", True), "mech2": ("mechanical", False), "mech3": ("mechanical", False),
    "mech4": ("mechanical", False), "body1": ("body", True), "body2": ("body", False), "body3": ("body", False),
    "paint1": ("paint", True), "paint2": ("paint", False), "paint3": ("paint", False),
}
# How many technicians of each team are left working (clock running) at the end: the others stay
# free to start and stop jobs while the data is built (a technician runs one job at a time).
RUNNING_PER_TEAM = {"mechanical": 3, "body": 2, "paint": 2}
# The life of each car, in turn: where its work stops.
SCENARIOS = ["waiting", "accident_waiting", "assigned", "running", "accident_running", "waiting_parts",
             "waiting_approval", "quality_check", "washing", "ready", "accident_painting", "assigned"]
# the team whose job is left running (or assigned, when the team has no free technician left)
RUNS = {"running": "mechanical", "accident_running": "body", "accident_painting": "paint"}


# ------------------------------------------------------------------ measuring

def current_etag(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.headers["ETag"]


def unchanged_poll(client, url, rounds):
    """Time `rounds` polls sending the current ETag (304). The ETag carries the minute: a poll that
    lands on a new minute gets the full board, which is not counted here; the ETag is renewed."""
    etag, samples, rolled = current_etag(client, url), [], 0
    while len(samples) < rounds:
        start = time.perf_counter()
        response = client.get(url, headers={"If-None-Match": etag})
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code == 304:
            samples.append(elapsed)
        else:
            assert response.status_code == 200, (url, response.status_code)
            etag, rolled = response.headers["ETag"], rolled + 1
    return (*summary(samples), etag, rolled)


def unchanged_poll_queries(app, client, url):
    for _ in range(3):  # a minute may turn between reading the ETag and polling with it
        queries, response = count_queries(app, client, url, {"If-None-Match": current_etag(client, url)},
                                          answer=True)
        if response.status_code == 304:
            return queries
    raise AssertionError(f"{url} never answered 304")


def simulate_screens(app, url, screens, ticks):
    """`screens` wall screens each poll `ticks` times with the ETag of their last answer. Returns
    the 304 timings, the 200 timings (first load and each minute's new ETag) and the counts."""
    clients = [login(app, "wall") for _ in range(screens)]
    etags = [None] * screens
    not_modified, full = [], []
    for _ in range(ticks + 1):  # the first tick is each screen's first load
        for n, client in enumerate(clients):
            headers = {"HX-Request": "true"}
            if etags[n]:
                headers["If-None-Match"] = etags[n]
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code == 304:
                not_modified.append(elapsed)
            else:
                assert response.status_code == 200, (url, response.status_code)
                full.append(elapsed)
                etags[n] = response.headers["ETag"]
    return not_modified, full


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, (username, response.status_code)
    return client


# ------------------------------------------------------------------ the workshop

def build_people(store):
    from intranet.core import services
    from intranet.core.models import Role
    from intranet.extensions import db
    from intranet.workshop.models import Technician

    boss = services.create_user(store_id=store.id, username="boss", display_name="Boss", password=PASSWORD,
                                roles=[Role.DIRECTOR, Role.CONTROLLER, Role.ADVISOR, Role.INSPECTOR])
    services.create_user(store_id=store.id, username="wall", display_name="Wall board", password=PASSWORD,
                         roles=[Role.CONTROLLER])
    techs, names = {}, {}
    for n, (username, (team, lead)) in enumerate(TECHS.items(), start=1):
        user = services.create_user(store_id=store.id, username=username, display_name=f"技师{n:02d}",
                                    password=PASSWORD, roles=[Role.TECHNICIAN])
        db.session.add(Technician(user_id=user.id, store_id=store.id, team=team, lead=lead, skills="保养, 诊断"))
        techs.setdefault(team, []).append(user.id)
        names[user.id] = username
    db.session.flush()
    return boss, techs, names


class Crew:
    """Who may start a job now: a technician with no clock running."""

    def __init__(self, techs):
        self.techs = techs
        self.running: set[int] = set()
        self.turn = 0

    def any(self, team):
        self.turn += 1
        people = self.techs[team]
        return people[self.turn % len(people)]

    def free(self, team):
        """A technician of `team` with no clock running, keeping enough free ones to build the rest."""
        idle = [t for t in self.techs[team] if t not in self.running]
        self.turn += 1
        return idle[self.turn % len(idle)] if idle else None

    def may_keep_running(self, team):
        return sum(t in self.running for t in self.techs[team]) < RUNNING_PER_TEAM[team]


def add_cars(store, boss, crew, first: int, count: int, now, rng: random.Random):
    """`count` more cars in the workshop, each run through the real services up to its scenario."""
    from intranet import clock
    from intranet.core import services
    from intranet.extensions import db
    from intranet.reception.services import add_line
    from intranet.workshop import services as ws

    for n in range(first, first + count):
        scenario = SCENARIOS[n % len(SCENARIOS)]
        opened = now - timedelta(minutes=rng.randrange(20, 6 * 60))
        promised = opened + timedelta(minutes=rng.randrange(60, 8 * 60))  # some already past: late
        with clock.frozen(opened):
            customer = services.create_customer(store_id=store.id, name=f"客户{n}", mobile=f"139{n:08d}")
            vehicle = services.create_vehicle(store_id=store.id, customer_id=customer.id, plate=f"沪B{n:05d}",
                                              model=rng.choice(("迈腾", "帕萨特", "途观L", "朗逸")))
            ro = services.open_repair_order(store_id=store.id, vehicle_id=vehicle.id, actor_id=boss.id,
                                            promised_at=promised, complaint="保养")
            if scenario.startswith("accident"):
                add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="前保险杠钣金",
                         quantity=str(rng.choice((2, 3))), team="body")
                add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="前保险杠喷漆",
                         quantity="2", team="paint")
            add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="更换机油机滤",
                     quantity="1", team="mechanical")
            if rng.random() < 0.4:
                add_line(ro.id, store_id=store.id, actor_id=boss.id, kind="labour", description="四轮定位",
                         quantity="0.8", team="mechanical")
        jobs = ws.jobs_of(ro.id)
        first_job = jobs[0]  # body on an accident car, else mechanical
        at = opened + timedelta(minutes=rng.randrange(5, 15))

        def step(minutes=0):
            nonlocal at
            at += timedelta(minutes=minutes or rng.randrange(5, 25))
            return clock.frozen(min(at, now - timedelta(minutes=1)))

        if scenario in ("waiting", "accident_waiting"):
            pass
        elif scenario == "assigned":
            with step():
                ws.assign_job(first_job.id, crew.any(first_job.team), store_id=store.id, actor_id=boss.id,
                              expected_version=None)
        elif scenario in RUNS:
            target, reached = RUNS[scenario], False
            for job in jobs:
                if reached:  # the work after it, dispatched ahead
                    with step(1):
                        ws.assign_job(job.id, crew.any(job.team), store_id=store.id, actor_id=boss.id,
                                      expected_version=None)
                elif job.team == target:
                    reached = True
                    tech = crew.free(job.team) if crew.may_keep_running(job.team) else None
                    with step():
                        ws.assign_job(job.id, tech or crew.any(job.team), store_id=store.id, actor_id=boss.id,
                                      expected_version=None)
                    if tech is not None:
                        with step():
                            ws.start_job(job.id, store_id=store.id, actor_id=tech)
                        crew.running.add(tech)
                else:  # an earlier team's work, done
                    tech = crew.free(job.team)
                    with step():
                        ws.assign_job(job.id, tech, store_id=store.id, actor_id=boss.id, expected_version=None)
                    with step():
                        ws.start_job(job.id, store_id=store.id, actor_id=tech)
                    with step(40):
                        ws.finish_job(job.id, store_id=store.id, actor_id=tech)
        else:
            for job in jobs:
                tech = crew.free(job.team)
                with step():
                    ws.assign_job(job.id, tech, store_id=store.id, actor_id=boss.id, expected_version=None)
                with step():
                    ws.start_job(job.id, store_id=store.id, actor_id=tech)
                if scenario in ("waiting_parts", "waiting_approval"):
                    with step(30):
                        if scenario == "waiting_parts":
                            ws.request_part(job.id, store_id=store.id, actor_id=tech, description="前减震器（右）",
                                            part_number="5QD413031")
                        ws.pause_job(job.id, scenario, store_id=store.id, actor_id=tech)
                    break
                with step(40):
                    ws.finish_job(job.id, store_id=store.id, actor_id=tech)
            if scenario in ("washing", "ready"):
                with step():
                    ws.inspect(ro.id, store_id=store.id, actor_id=boss.id, passed=True, wash=scenario == "washing")
    db.session.commit()


def sizes_now(app, tech_id):
    """Cars on the wall board, open jobs on the dispatch board, open jobs of the technician."""
    from sqlalchemy import func, select

    from intranet.core.models import RepairOrder
    from intranet.extensions import db
    from intranet.workshop.models import OPEN_JOB, Job
    from intranet.workshop.timecontrol import BOARD_STATUSES

    open_jobs = [str(s) for s in OPEN_JOB]
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RepairOrder).where(
                    RepairOrder.status.in_([str(s) for s in BOARD_STATUSES]))),
                db.session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(open_jobs))),
                db.session.scalar(select(func.count()).select_from(Job).where(
                    Job.status.in_(open_jobs), Job.technician_id == tech_id)))


# ------------------------------------------------------------------ the run

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cars", type=int, default=120)
    parser.add_argument("--small", type=int, default=10, help="cars at the first query count")
    parser.add_argument("--screens", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=200,
                        help="samples per row; the wall-board simulation runs rounds/5 ticks of every screen")
    args = parser.parse_args()
    assert 0 < args.small < args.cars

    from intranet import clock
    from intranet.core.models import Store
    from intranet.extensions import db

    with scratch_app() as app:
        rng = random.Random(7)
        now = clock.utcnow()
        with app.app_context():
            backend = db.engine.url.get_backend_name()
            store = Store(code="BN01", name="Bench", timezone="Asia/Shanghai")
            db.session.add(store)
            db.session.flush()
            boss, techs, names = build_people(store)
            crew = Crew(techs)
            add_cars(store, boss, crew, 0, args.small, now, rng)
            store_id, boss_id = store.id, boss.id

        controller = login(app, "boss")
        # the technician followed: a mechanic whose clock runs, with more jobs queued as cars come in
        tech_id = next(t for t in techs["mechanical"] if t in crew.running)
        tech_name = names[tech_id]
        technician = login(app, tech_name)
        screens = {
            "wall board": (controller, "/workshop/board/live"),
            "dispatch board": (controller, "/workshop/dispatch/live"),
            f"my jobs ({tech_name})": (technician, "/workshop/my/live"),
        }
        counts = {label: [count_queries(app, c, url, expect=200)] for label, (c, url) in screens.items()}
        sizes = [sizes_now(app, tech_id)]

        with app.app_context():
            store, boss = db.session.get(Store, store_id), db.session.get(type(boss), boss_id)
            add_cars(store, boss, crew, args.small, args.cars - args.small, now, rng)
        for label, (c, url) in screens.items():
            counts[label].append(count_queries(app, c, url, expect=200))
        sizes.append(sizes_now(app, tech_id))

        with app.app_context():
            from sqlalchemy import func, select

            from intranet.core.models import RepairOrder
            from intranet.workshop.models import ClockSpan, Job

            by_status = dict(db.session.execute(select(RepairOrder.status, func.count())
                                                .group_by(RepairOrder.status)).all())
            jobs = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
            running = db.session.scalar(select(func.count()).select_from(ClockSpan)
                                        .where(ClockSpan.ended_at.is_(None)))
        print(f"database: {backend}   cars on site: {sum(by_status.values())} "
              f"({', '.join(f'{k} {v}' for k, v in sorted(by_status.items()))})")
        print(f"jobs: {', '.join(f'{k} {v}' for k, v in sorted(jobs.items()))}; clocks running: {running}; "
              f"technicians: {sum(len(v) for v in techs.values())}")
        print()

        rounds = args.rounds
        rows = []  # label, median, p95, queries
        ping = timed(controller, "/ping", rounds)
        rows.append(("GET /ping (trivial)", *ping, count_queries(app, controller, "/ping")))
        for label, (c, url) in screens.items():
            median, p95, _etag, _rolled = unchanged_poll(c, url, rounds)
            rows.append((f"{label} poll, unchanged (304)", median, p95, unchanged_poll_queries(app, c, url)))
        stale = {"If-None-Match": '"workshop-0-0-0000"'}  # the screen's copy is older than the board
        for label, (c, url) in screens.items():
            median, p95 = timed(c, url, max(rounds // 4, 20), stale)
            rows.append((f"{label} changed, {args.cars} cars (200)", median, p95,
                         count_queries(app, c, url, stale, expect=200)))

        base = ping[0]
        print(f"{'request':<46} {'median ms':>10} {'p95 ms':>8} {'× ping':>7} {'queries':>8}")
        for label, median, p95, queries in rows:
            print(f"{label:<46} {median:>10.2f} {p95:>8.2f} {median / base:>7.1f} {queries:>8}")

        print()
        print(f"{'queries per full render (200)':<46} {f'{args.small} cars':>10} {f'{args.cars} cars':>10}")
        for label, (few, many) in counts.items():
            print(f"{label:<46} {few:>10} {many:>10}{'' if few == many else '   <- grows with the cars'}")
        for n, label in enumerate(("  (cars on the wall board", "  (open jobs on the dispatch board",
                                   f"  (open jobs of {tech_name}")):
            print(f"{label + ')':<46} {sizes[0][n]:>10} {sizes[1][n]:>10}")

        ticks = max(rounds // 5, 12)
        not_modified, full = simulate_screens(app, "/workshop/board/live", args.screens, ticks)
        m304, p304 = summary(not_modified)
        m200, p200 = summary(full)
        polls_per_minute = args.screens * 12
        # each screen gets the full board at least once a minute (the ETag carries the minute)
        ms_per_minute = (polls_per_minute - args.screens) * m304 + args.screens * m200
        print()
        print(f"wall board: {args.screens} screens × {ticks} polls (every 5 s in production), {args.cars} cars")
        print(f"{'':<46} {'median ms':>10} {'p95 ms':>8} {'× ping':>7} {'count':>8}")
        print(f"{'  poll answered 304':<46} {m304:>10.2f} {p304:>8.2f} {m304 / base:>7.1f} {len(not_modified):>8}")
        print(f"{'  poll answered 200 (first load, new minute)':<46} {m200:>10.2f} {p200:>8.2f} "
              f"{m200 / base:>7.1f} {len(full):>8}")
        print(f"  per minute: {polls_per_minute} polls, ≥{args.screens} of them full renders (the minute in the "
              f"ETag) → ~{ms_per_minute:.0f} ms of server time per minute "
              f"({ms_per_minute / 600:.2f}% of one core), with the board unchanged")


if __name__ == "__main__":
    main()
