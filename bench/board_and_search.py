"""Server-side cost of the store board, the advisor's day and the car search, against a trivial endpoint.

    .venv/bin/python bench/board_and_search.py [--cars 120] [--small 10] [--vehicles 100000] [--rounds 300]

Builds a throw-away SQLite database from the migrations (or, when DATABASE_URL points at a PostgreSQL
server, a throw-away database on it; both are removed afterwards), fills it with `--vehicles` customers
and cars and `--cars` repair orders opened today, and times requests through the WSGI app in-process
(no network): median and 95th percentile per request, the ratio to GET /ping of the same run, and the
SQL statements each sends. Targets (issue 18): an unchanged poll (304) ≤ 1.5× /ping, the full board
of 120 cars ≤ 5× /ping with the same number of queries at `--small` cars, a plate / mobile / VIN-tail
search over 100 000 cars ≤ 5 ms. The figures are printed, never asserted."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.measure import count_queries, scratch_app, timed  # noqa: E402

PASSWORD = "benchbench"


def build(app, vehicles: int):
    """A store with `vehicles` customers and cars, and a director-advisor "bench". Returns the store id
    and the user id."""
    from sqlalchemy import insert, select

    from intranet.core import services
    from intranet.core.models import Customer, Role, Store, Vehicle
    from intranet.extensions import db

    with app.app_context():
        store = Store(code="BN01", name="Bench", timezone="Asia/Shanghai")
        db.session.add(store)
        db.session.flush()
        user = services.create_user(store_id=store.id, username="bench", display_name="Bench", password=PASSWORD,
                                    roles=[Role.DIRECTOR, Role.ADVISOR])
        letters = "ABCDEFGHJKLMN"
        surnames = "王李张刘陈杨黄赵吴周"
        now = datetime.utcnow()
        for first in range(0, vehicles, 20000):
            db.session.execute(insert(Customer), [
                {"store_id": store.id, "name": f"{surnames[n % 10]}{n}", "name_initials": "ZS",
                 "mobile": f"139{n:08d}", "mobile_rev": f"139{n:08d}"[::-1], "preferred_contact_time": "any",
                 "created_at": now, "updated_at": now}
                for n in range(first, min(first + 20000, vehicles))])
        ids = db.session.scalars(select(Customer.id).order_by(Customer.id)).all()
        rows = []
        for n, customer_id in enumerate(ids):
            plate = f"沪{letters[n // 100000 % len(letters)]}{n % 100000:05d}"
            vin = f"LSVAB{n:012d}"
            rows.append({"store_id": store.id, "customer_id": customer_id, "plate": plate, "plate_key": plate[1:],
                         "plate_rev": plate[::-1], "vin": vin, "model": "迈腾", "created_at": now})
        for first in range(0, len(rows), 20000):
            db.session.execute(insert(Vehicle), rows[first:first + 20000])
        db.session.commit()
        return store.id, user.id


def add_cars(app, store_id: int, user_id: int, count: int, skip: int = 0):
    """`count` more repair orders opened now, one labour line each, on the cars after the first `skip`."""
    from sqlalchemy import select

    from intranet.core import services
    from intranet.core.models import Vehicle
    from intranet.extensions import db
    from intranet.reception.services import add_line

    with app.app_context():
        vehicle_ids = db.session.scalars(select(Vehicle.id).order_by(Vehicle.id).offset(skip).limit(count)).all()
        for vehicle_id in vehicle_ids:
            ro = services.open_repair_order(store_id=store_id, vehicle_id=vehicle_id, actor_id=user_id)
            add_line(ro.id, store_id=store_id, actor_id=user_id, kind="labour", description="保养", quantity="1")
        db.session.commit()


def signed_in(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    client.post("/role/advisor")  # "my day" of an advisor with every car on site
    return client


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cars", type=int, default=120)
    parser.add_argument("--small", type=int, default=10, help="cars at the first query count")
    parser.add_argument("--vehicles", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    assert 0 < args.small < args.cars

    with scratch_app() as app:
        from intranet.extensions import db

        with app.app_context():
            backend = db.engine.url.get_backend_name()
        store_id, user_id = build(app, args.vehicles)
        add_cars(app, store_id, user_id, args.small)
        client = signed_in(app)
        def full_render_queries(url):
            app.extensions.pop("today_health", None)  # the store board reads the queue's health once per ETag
            return count_queries(app, client, url, expect=200)

        small = {url: full_render_queries(url) for url in ("/today/board", "/")}
        add_cars(app, store_id, user_id, args.cars - args.small, skip=args.small)
        etag = client.get("/today/board").headers["ETag"]

        rows = [
            ("GET /ping (trivial)", "/ping", None, 200),
            ("board poll, unchanged (304)", "/today/board", {"If-None-Match": etag}, 304),
            (f"board render, {args.cars} cars", "/today/board", None, 200),
            (f"advisor's my day, {args.cars} cars on site", "/", None, 200),
            (f"search '沪A123' over {args.vehicles} cars", "/search?q=%E6%B2%AAA123", {"HX-Request": "true"}, 200),
            (f"search '张12' (name) over {args.vehicles}", "/search?q=%E5%BC%A012", {"HX-Request": "true"}, 200),
            (f"search '1234' (tails) over {args.vehicles}", "/search?q=1234", {"HX-Request": "true"}, 200),
            (f"search '13900001234' (mobile) over {args.vehicles}", "/search?q=13900001234", {"HX-Request": "true"},
             200),
        ]
        base = None
        medians = {}
        print(f"database: {backend}")
        print(f"{'request':<48} {'median ms':>10} {'p95 ms':>8} {'× ping':>7} {'queries':>8}")
        for label, url, headers, expect in rows:
            median, p95 = timed(client, url, args.rounds, headers, expect)
            base = base or median
            medians[label] = median
            queries = count_queries(app, client, url, headers)
            print(f"{label:<48} {median:>10.2f} {p95:>8.2f} {median / base:>7.1f} {queries:>8}")
        # bench/load.py's /ping is anonymous (no session, no user read): the floor of a request
        anonymous, p95 = timed(app.test_client(), "/ping", args.rounds)
        print(f"{'GET /ping, not signed in':<48} {anonymous:>10.2f} {p95:>8.2f} {anonymous / base:>7.1f} "
              f"{count_queries(app, app.test_client(), '/ping'):>8}")
        print(f"  to the anonymous /ping: unchanged poll {medians[rows[1][0]] / anonymous:.1f}×, "
              f"board render {medians[rows[2][0]] / anonymous:.1f}×")
        print()
        print(f"{'queries per full render':<48} {f'{args.small} cars':>10} {f'{args.cars} cars':>10}")
        for url, few in small.items():
            many = full_render_queries(url)
            print(f"{url:<48} {few:>10} {many:>10}{'' if few == many else '   <- grows with the cars'}")


if __name__ == "__main__":
    main()
