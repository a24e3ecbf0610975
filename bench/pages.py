"""Server-side cost of the pages people open, against GET /ping in the same run (issue 18: every
page ≤ 20× /ping): the repair order and its PDF, the parts pages and the catalogue export, the key
pages and the tag labels, customer care's queues, the director's day and week pack, and each
role's "my day".

    .venv/bin/python bench/pages.py [--parts 3000] [--customers 20000] [--visits 25000] [--rounds 20]
                                    [--only SUBSTRING] [--profile SUBSTRING]

Builds a throw-away database from the migrations (SQLite, or a throw-away database on the
PostgreSQL server DATABASE_URL points at), seeds the demo store (its people, a day under way, two
months of every area's history), then bulk-inserts the volumes of a busy store: the catalogue
filled up to `--parts` parts with stock, `--customers` customers with a car each, `--visits`
delivered repair orders over three years with their lines and follow-up calls. Times each page
in-process through the WSGI test client: median, 95th percentile, ratio to /ping, SQL statements,
and the median CPU time with its ratio to /ping's (steadier than wall time on a shared machine).
It prints figures; it asserts no time. `--profile` prints cProfile's top functions for the pages
whose name contains the given text."""
from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import count_queries, scratch_app, summary  # noqa: E402


def build(app, n_parts: int, n_customers: int, n_visits: int, rng: random.Random) -> dict:
    from sqlalchemy import func, insert, select

    from intranet import clock
    from intranet.care.models import FollowUpCall
    from intranet.core.identifiers import name_initials, reverse_key
    from intranet.core.models import Customer, RepairOrder, RepairOrderLine, Role, Store, User, UserRole, Vehicle
    from intranet.demo import seed_demo
    from intranet.extensions import db
    from intranet.parts.models import Part

    with app.app_context():
        started = time.perf_counter()
        seed_demo()
        print(f"demo seeded in {time.perf_counter() - started:.1f} s")
        store = db.session.scalar(select(Store))
        now = clock.utcnow()
        today = clock.store_today(store.timezone)
        # the catalogue filled up to n_parts parts, most of them with stock
        have = db.session.scalar(select(func.count()).select_from(Part))
        rows = []
        for n in range(have, n_parts):
            rows.append(dict(store_id=store.id, number=f"5Q{n:07d}", name=f"零件 {n}", abc_class=rng.choice("ABCCC"),
                             unit="件", cost=Decimal(rng.randrange(5, 900)), price=Decimal(rng.randrange(10, 1500)),
                             reorder_point=rng.choice((0, 0, 2, 5)), reorder_quantity=5,
                             on_hand=rng.choice((0, 1, 2, 4, 8, 20)), reserved=0,
                             bin_code=f"{'ABCDEFGHJK'[n % 10]}-{n // 10 % 40 + 1:02d}-{n % 5 + 1}-{n % 25 + 1:02d}",
                             active=True))
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Part), rows[chunk:chunk + 5000])
        # customers with a car each
        have = db.session.scalar(select(func.count()).select_from(Customer))
        db.session.execute(insert(Customer), [
            {"store_id": store.id, "name": f"客户{n}", "name_initials": name_initials(f"客户{n}"),
             "mobile": f"130{n:08d}", "mobile_rev": reverse_key(f"130{n:08d}"), "preferred_contact_time": "any",
             "last_visit_on": today - timedelta(days=n % 1100), "created_at": now, "updated_at": now}
            for n in range(have, n_customers)])
        new_customers = list(db.session.scalars(select(Customer.id).where(Customer.mobile.like("130%"))
                                                .order_by(Customer.id)))
        db.session.execute(insert(Vehicle), [
            {"store_id": store.id, "customer_id": cid, "plate": f"沪Z{n:05d}", "plate_key": f"Z{n:05d}",
             "plate_rev": reverse_key(f"Z{n:05d}"), "model": "迈腾 330TSI 豪华型", "created_at": now,
             "insurance_expires_on": today + timedelta(days=n % 365),
             "inspection_due_on": today + timedelta(days=(n * 7) % 365),
             "next_service_on": today + timedelta(days=(n * 3) % 180)}
            for n, cid in enumerate(new_customers)])
        vehicles = dict(db.session.execute(select(Vehicle.customer_id, Vehicle.id)
                                           .where(Vehicle.customer_id.in_(new_customers))).all())
        advisors = list(db.session.scalars(select(User.id).join(UserRole).where(UserRole.role == Role.ADVISOR)))
        # three years of delivered repair orders with a labour and a part line and their first call
        ro_rows = []
        for n in range(n_visits):
            cid = new_customers[n % len(new_customers)]
            delivered = now - timedelta(days=30 + (n_visits - n) * 1070 / n_visits, hours=rng.randrange(0, 8))
            ro_rows.append({"store_id": store.id, "number": f"HX-{n:07d}", "vehicle_id": vehicles[cid],
                            "customer_id": cid, "advisor_id": advisors[n % len(advisors)], "status": "delivered",
                            "opened_at": delivered - timedelta(hours=5), "promised_at": delivered,
                            "delivered_at": delivered, "updated_at": delivered, "status_changed_at": delivered,
                            "odometer_km": 10000 + n, "complaint": "常规保养", "version": 1, "pay_type": "customer",
                            "insurer_payment": "none"})
        for chunk in range(0, len(ro_rows), 5000):
            db.session.execute(insert(RepairOrder), ro_rows[chunk:chunk + 5000])
        ros = db.session.execute(select(RepairOrder.id, RepairOrder.customer_id, RepairOrder.vehicle_id,
                                        RepairOrder.delivered_at).where(RepairOrder.number.like("HX-%"))).all()
        lines, calls = [], []
        for ro_id, cid, vid, delivered in ros:
            lines.append({"repair_order_id": ro_id, "position": 1, "kind": "labour", "description": "保养工时",
                          "quantity": Decimal("1.5"), "unit_price": Decimal("150"), "pay_type": "customer",
                          "team": "mechanical", "created_at": delivered})
            lines.append({"repair_order_id": ro_id, "position": 2, "kind": "part", "description": "机油滤清器",
                          "quantity": Decimal(1), "unit_price": Decimal(rng.randrange(100, 1500)),
                          "pay_type": "customer", "created_at": delivered})
            day = delivered.date()
            calls.append({"store_id": store.id, "customer_id": cid, "vehicle_id": vid, "repair_order_id": ro_id,
                          "kind": "first", "round": 1, "status": "done", "due_from": day + timedelta(days=1),
                          "due_until": day + timedelta(days=3), "expires_on": day + timedelta(days=8),
                          "attempts": 1, "satisfaction": "satisfied", "reached_at": delivered + timedelta(days=1),
                          "created_at": delivered, "version": 1})
        for table, data in ((RepairOrderLine, lines), (FollowUpCall, calls)):
            for chunk in range(0, len(data), 5000):
                db.session.execute(insert(table), data[chunk:chunk + 5000])
        db.session.commit()
        # the busiest open repair order of the demo: the one with the most lines
        on_site = db.session.execute(
            select(RepairOrder.id, func.count(RepairOrderLine.id).label("n"))
            .join(RepairOrderLine, RepairOrderLine.repair_order_id == RepairOrder.id)
            .where(RepairOrder.delivered_at.is_(None)).group_by(RepairOrder.id).order_by(func.count().desc())
            .limit(1)).first()
        from intranet.parts.models import PurchaseOrder, StockCount

        count_id = db.session.scalar(select(StockCount.id).order_by(StockCount.id.desc()).limit(1))
        order_id = db.session.scalar(select(PurchaseOrder.id).order_by(PurchaseOrder.id.desc()).limit(1))
        part_id = db.session.scalar(select(Part.id).order_by(Part.id).limit(1))
        return {"ro": on_site.id, "ro_lines": on_site.n, "count": count_id, "order": order_id, "part": part_id,
                "parts": db.session.scalar(select(func.count()).select_from(Part)),
                "customers": db.session.scalar(select(func.count()).select_from(Customer)),
                "ros": db.session.scalar(select(func.count()).select_from(RepairOrder))}


def _sqlite_file(app) -> Path:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///"), "--keep and --db work with SQLite only"
    return Path(uri.removeprefix("sqlite:///"))


def keep(app, path: str, ids: dict) -> None:
    import json
    import shutil

    from intranet.extensions import db

    with app.app_context():
        db.engine.dispose()
    shutil.copyfile(_sqlite_file(app), path)
    Path(path + ".json").write_text(json.dumps(ids))


def reuse(app, path: str) -> dict:
    """The database `--keep` kept (copied, so the runs do not change it) and its ids."""
    import json
    import shutil

    from intranet.extensions import db

    with app.app_context():
        db.engine.dispose()
    target = _sqlite_file(app)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(path, target)
    return json.loads(Path(path + ".json").read_text())


def timed(client, url: str, rounds: int) -> tuple[float, float, int]:
    """Median and p95 (ms) of `rounds` requests, each read to its last byte (a streamed answer
    costs nothing until it is read), and the median CPU time of this process (ms): on a shared
    machine the CPU time moves less with what else runs than the wall time does."""
    samples, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        response.close()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return (*summary(samples), summary(cpu)[0])


def login(app, username: str):
    from intranet.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, (username, response.status_code)
    return client


def pages(ids: dict) -> list[tuple[str, str, str]]:
    """(who, label, url) — `who` is a demo login (the role it wears is its first)."""
    ro = ids["ro"]
    rows = [
        ("advisor", "GET /ping (trivial)", "/ping"),
        ("advisor", f"repair order ({ids['ro_lines']} lines)", f"/reception/ro/{ro}"),
        ("advisor", "repair order PDF", f"/reception/ro/{ro}/document.pdf"),
        ("advisor", "repair order print page", f"/reception/ro/{ro}/print"),
        ("advisor", "advisor's my day", "/"),
        ("parts", "parts: counter", "/parts/"),
        ("parts", "parts: catalogue (stock)", "/parts/stock"),
        ("parts", "parts: catalogue search '零件 12'", "/parts/stock?q=%E9%9B%B6%E4%BB%B6+12"),
        ("parts", "parts: a part's card", f"/parts/p/{ids['part']}"),
        ("parts", "parts: pending", "/parts/pending/"),
        ("parts", "parts: figures", "/parts/figures"),
        ("parts", "parts: purchasing", "/parts/purchasing/"),
        ("parts", "parts: a purchase order", f"/parts/purchasing/{ids['order']}"),
        ("parts", "parts: discrepancies", "/parts/purchasing/discrepancies"),
        ("parts", "parts: counts", "/parts/counts/"),
        ("parts", "parts: a count", f"/parts/counts/{ids['count']}"),
        ("parts", "parts: write-offs", "/parts/write-offs/"),
        ("parts", "parts: warranty sign-offs", "/parts/warranty/"),
        ("parts", f"parts: export csv ({ids['parts']} parts)", "/parts/export.csv"),
        ("parts", f"parts: export xlsx ({ids['parts']} parts)", "/parts/export.xlsx"),
        ("parts", "parts manager's my day", "/"),
        ("advisor", "keys: board", "/keys/"),
        ("advisor", "keys: overnight", "/keys/overnight/"),
        ("director", "keys: tags", "/keys/tags/"),
        ("director", "keys: tags labels (all)", "/keys/tags/labels"),
        ("care", "care: call queue", "/care/calls/"),
        ("director", "care: call queue, all agents", "/care/calls/?who=all"),
        ("care", "care: reminders", "/care/reminders/"),
        ("care", "care: lapsed", "/care/lapsed/"),
        ("care", "care: events", "/care/events/"),
        ("care", "care: messages", "/care/messages/"),
        ("care", "care: questions", "/care/questions/"),
        ("director", "care: complaints", "/care/complaints/"),
        ("director", "care: CSI", "/care/csi/"),
        ("care", "care's my day", "/"),
        ("director", "director: day", "/director/day/"),
        ("director", "director: huddle", "/director/day/huddle"),
        ("director", "director: week pack", "/director/day/week"),
        ("director", "director's my day", "/"),
        ("manager", "manager's my day", "/"),
        ("controller", "controller's my day", "/"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--visits", type=int, default=25000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", default="", help="time only the pages whose label contains this")
    parser.add_argument("--profile", default="", help="cProfile the pages whose label contains this")
    parser.add_argument("--keep", default="", help="SQLite only: keep a copy of the built database in this file")
    parser.add_argument("--db", default="", help="SQLite only: time on a copy of a database --keep kept")
    args = parser.parse_args()
    rng = random.Random(18)
    with scratch_app() as app:
        started = time.perf_counter()
        ids = reuse(app, args.db) if args.db else build(app, args.parts, args.customers, args.visits, rng)
        if args.keep:
            keep(app, args.keep, ids)
        print(f"built in {time.perf_counter() - started:.1f} s: {ids['parts']} parts, {ids['customers']} customers, "
              f"{ids['ros']} repair orders")
        clients = {}
        base = cpu_base = None
        print(f"{'page':<44}{'median ms':>10}{'p95 ms':>9}{'× ping':>8}{'queries':>9}{'cpu ms':>8}{'× ping':>8}")
        for who, label, url in pages(ids):
            if base is not None and args.only and args.only not in label:
                continue
            client = clients.get(who) or clients.setdefault(who, login(app, who))
            if "labels" in label:  # the QR codes are drawn once per process: time a first print too
                from intranet.keys.views.tags import _qr_svg

                getattr(_qr_svg, "cache_clear", lambda: None)()  # (no cache before it had one)
                first, _p95, first_cpu = timed(client, url, 1)
                print(f"{label + ', first print':<44}{first:>10.1f}{'':>9}{first / base:>8.1f}{'':>9}"
                      f"{first_cpu:>8.1f}{first_cpu / cpu_base:>8.1f}")
            median, p95, cpu = timed(client, url, args.rounds)
            base = base or median
            cpu_base = cpu_base or cpu
            queries = count_queries(app, client, url, expect=200)
            print(f"{label:<44}{median:>10.1f}{p95:>9.1f}{median / base:>8.1f}{queries:>9}{cpu:>8.1f}"
                  f"{cpu / cpu_base:>8.1f}", flush=True)
            if args.profile and args.profile in label:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(3):
                    client.get(url)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
