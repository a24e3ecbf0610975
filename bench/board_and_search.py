"""Server-side cost of the live board and the car search, against a trivial endpoint.

    .venv/bin/python bench/board_and_search.py [--cars 80] [--vehicles 20000] [--rounds 300]

Builds a throw-away SQLite database from the migrations (or uses DATABASE_URL for a throw-away
PostgreSQL database), fills it, and times requests through the WSGI app in-process (no network),
printing the median and 95th percentile per request and the ratio to GET /ping."""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.measure import count_queries, timed  # noqa: E402
from intranet import create_app  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cars", type=int, default=80)
    parser.add_argument("--vehicles", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="intranet-bench-"))
    app = create_app({"INTRANET_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                      "EMBEDDED_REDIS_FILE": str(tmp / "redis.rdb"), "INSTANCE_PATH": str(tmp),
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    from flask_migrate import upgrade

    from intranet.core import services
    from intranet.core.models import Customer, Role, Store, Vehicle  # noqa: F401
    from intranet.extensions import db

    with app.app_context():
        upgrade()
        store = Store(code="BN01", name="Bench", timezone="Asia/Shanghai")
        db.session.add(store)
        db.session.flush()
        user = services.create_user(store_id=store.id, username="bench", display_name="Bench", password="benchbench",
                                    roles=[Role.DIRECTOR, Role.ADVISOR])
        from sqlalchemy import insert, select

        letters = "ABCDEFGHJKLMN"
        surnames = "王李张刘陈杨黄赵吴周"
        now = datetime.utcnow()
        db.session.execute(insert(Customer), [
            {"store_id": store.id, "name": f"{surnames[n % 10]}{n}", "name_initials": "ZS", "mobile": f"139{n:08d}",
             "mobile_rev": f"139{n:08d}"[::-1], "preferred_contact_time": "any", "created_at": now, "updated_at": now}
            for n in range(args.vehicles)])
        ids = db.session.scalars(select(Customer.id).order_by(Customer.id)).all()
        rows = []
        for n, customer_id in enumerate(ids):
            plate = f"沪{letters[n // 100000 % len(letters)]}{n % 100000:05d}"
            rows.append({"store_id": store.id, "customer_id": customer_id, "plate": plate, "plate_key": plate[1:],
                         "plate_rev": plate[::-1], "model": "迈腾", "created_at": now})
        db.session.execute(insert(Vehicle), rows)
        vehicle_ids = db.session.scalars(select(Vehicle.id).order_by(Vehicle.id).limit(args.cars)).all()
        for vehicle_id in vehicle_ids:
            ro = services.open_repair_order(store_id=store.id, vehicle_id=vehicle_id, actor_id=user.id)
            from intranet.reception.services import add_line

            add_line(ro.id, store_id=store.id, actor_id=user.id, kind="labour", description="保养", quantity="1")
        db.session.commit()

    client = app.test_client()
    client.post("/login", data={"username": "bench", "password": "benchbench"})
    client.post("/role/advisor")  # "my day" of an advisor with every car on site
    etag = client.get("/today/board").headers["ETag"]

    rows = [
        ("GET /ping (trivial)", "/ping", None, 200),
        ("board poll, unchanged (304)", "/today/board", {"If-None-Match": etag}, 304),
        (f"board render, {args.cars} cars", "/today/board", None, 200),
        (f"advisor's my day, {args.cars} cars on site", "/", None, 200),
        (f"search '沪A123' over {args.vehicles} cars", "/search?q=%E6%B2%AAA123", {"HX-Request": "true"}, 200),
        (f"search '张12' (name) over {args.vehicles}", "/search?q=%E5%BC%A012", {"HX-Request": "true"}, 200),
        (f"search '1234' (tails) over {args.vehicles}", "/search?q=1234", {"HX-Request": "true"}, 200),
    ]
    base = None
    print(f"{'request':<44} {'median ms':>10} {'p95 ms':>8} {'× ping':>7} {'queries':>8}")
    for label, url, headers, expect in rows:
        median, p95 = timed(client, url, args.rounds, headers, expect)
        base = base or median
        queries = count_queries(app, client, url, headers)
        print(f"{label:<44} {median:>10.2f} {p95:>8.2f} {median / base:>7.1f} {queries:>8}")
    from intranet.jobs.connection import stop_embedded

    stop_embedded()  # the board's health panel started the embedded Redis


if __name__ == "__main__":
    main()
