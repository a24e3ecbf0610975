"""Management's numbers as history grows: the dashboard (this month, and a year's range), a
drill-down, every KPI computed, and the monthly digest built — first over one year of history,
then over three (about 25 000 repair orders), to show the figures stay flat.

    .venv/bin/python bench/reports.py [--per-year 8300] [--rounds 15]

Builds a throw-away database from the migrations (SQLite, or a throw-away database on the
PostgreSQL server DATABASE_URL points at) with delivered repair orders (labour lines per team,
parts lines, pay types, promised times), follow-up calls, complaints and survey scores, bulk
inserted; times requests in-process: median and 95th percentile, SQL statements."""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import count_queries, scratch_app, timed  # noqa: E402
from bench.workshop_board import PASSWORD, login  # noqa: E402

TEAMS = ("mechanical", "body", "paint")
PAY = ("customer", "customer", "customer", "insurance", "warranty")


def add_history(app, store_id: int, advisor_ids: list[int], vehicle_ids: list[tuple[int, int]], first_day: int,
                last_day: int, per_year: int, rng: random.Random, seq: list[int]) -> None:
    """Delivered repair orders between `first_day` and `last_day` days ago (first_day > last_day).
    `seq` carries [the last number used, the highest repair-order id so far] across calls."""
    from sqlalchemy import insert, select

    from intranet import clock
    from intranet.care.models import CsiScore, FollowUpCall
    from intranet.core.models import RepairOrder, RepairOrderLine
    from intranet.extensions import db

    with app.app_context():
        now = clock.utcnow()
        count = int(per_year * (first_day - last_day) / 365)
        rows = []
        for n in range(count):
            seq[0] += 1
            vehicle_id, customer_id = vehicle_ids[seq[0] % len(vehicle_ids)]
            opened = now - timedelta(days=first_day - (first_day - last_day) * n / count, hours=rng.randrange(0, 6))
            promised = opened + timedelta(hours=6)
            delivered = promised + timedelta(minutes=rng.randrange(-120, 90))
            pay = rng.choice(PAY)
            rows.append({"store_id": store_id, "number": f"BN01-{seq[0]:07d}", "vehicle_id": vehicle_id,
                         "customer_id": customer_id, "advisor_id": advisor_ids[seq[0] % len(advisor_ids)],
                         "status": "delivered", "opened_at": opened, "promised_at": promised,
                         "delivered_at": delivered, "updated_at": delivered, "status_changed_at": delivered,
                         "odometer_km": 10000 + seq[0], "complaint": "保养", "version": 1, "pay_type": pay,
                         "insurer_payment": "none"})
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(RepairOrder), rows[chunk:chunk + 5000])
        new = db.session.execute(select(RepairOrder.id, RepairOrder.pay_type, RepairOrder.delivered_at,
                                        RepairOrder.customer_id, RepairOrder.vehicle_id, RepairOrder.number)
                                 .where(RepairOrder.id > seq[1])).all()  # the ones just inserted
        seq[1] = max((r[0] for r in new), default=seq[1])
        lines, calls, scores = [], [], []
        for ro_id, pay, delivered, customer_id, vehicle_id, number in new:
            team = TEAMS[ro_id % 3]
            lines.append({"repair_order_id": ro_id, "position": 1, "kind": "labour", "description": "工时",
                          "quantity": Decimal("1.5"), "unit_price": Decimal("150"), "pay_type": pay, "team": team,
                          "created_at": delivered})
            lines.append({"repair_order_id": ro_id, "position": 2, "kind": "part", "description": "配件",
                          "quantity": Decimal(1), "unit_price": Decimal(rng.randrange(100, 1500)), "pay_type": pay,
                          "created_at": delivered})
            day = delivered.date()
            calls.append({"store_id": store_id, "customer_id": customer_id, "vehicle_id": vehicle_id,
                          "repair_order_id": ro_id, "kind": "first", "round": 1, "status": "done",
                          "due_from": day + timedelta(days=1), "due_until": day + timedelta(days=3),
                          "expires_on": day + timedelta(days=8), "attempts": 1, "satisfaction": "satisfied",
                          "reached_at": delivered + timedelta(days=1), "created_at": delivered, "version": 1})
            if ro_id % 2:
                scores.append({"store_id": store_id, "ro_number": number, "repair_order_id": ro_id,
                               "advisor_id": advisor_ids[0], "surveyed_on": day + timedelta(days=4),
                               "score": 88 + ro_id % 12, "imported_at": delivered})
        for table, data in ((RepairOrderLine, lines), (FollowUpCall, calls), (CsiScore, scores)):
            for chunk in range(0, len(data), 5000):
                db.session.execute(insert(table), data[chunk:chunk + 5000])
        db.session.commit()


def setup(app, rng: random.Random) -> dict:
    from sqlalchemy import insert, select

    from intranet import clock
    from intranet.core.identifiers import name_initials, reverse_key
    from intranet.core.models import Customer, Role, Store, Vehicle
    from intranet.core.services import create_user
    from intranet.extensions import db

    with app.app_context():
        store = Store(code="BN01", name="Bench store", timezone="Asia/Shanghai")
        db.session.add(store)
        db.session.flush()
        create_user(store_id=store.id, username="manager", display_name="总经理", password=PASSWORD,
                    roles=[Role.MANAGER, Role.DIRECTOR])
        advisors = [create_user(store_id=store.id, username=f"sa{n}", display_name=f"顾问{n}", password=PASSWORD,
                                roles=[Role.ADVISOR]).id for n in range(5)]
        now = clock.utcnow()
        db.session.execute(insert(Customer), [
            {"store_id": store.id, "name": f"客户{n}", "name_initials": name_initials(f"客户{n}"),
             "mobile": f"139{n:08d}", "mobile_rev": reverse_key(f"139{n:08d}"), "preferred_contact_time": "any",
             "created_at": now, "updated_at": now} for n in range(6000)])
        customers = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
        db.session.execute(insert(Vehicle), [
            {"store_id": store.id, "customer_id": cid, "plate": f"沪A{n:05d}", "plate_key": f"A{n:05d}",
             "plate_rev": reverse_key(f"A{n:05d}"), "model": "迈腾", "created_at": now}
            for n, cid in enumerate(customers)])
        vehicles = db.session.execute(select(Vehicle.id, Vehicle.customer_id).order_by(Vehicle.id)).all()
        db.session.commit()
        return {"store": store.id, "advisors": advisors, "vehicles": [tuple(v) for v in vehicles]}


def measure(app, ids: dict, rounds: int, label: str) -> None:
    from intranet import clock
    from intranet.core.models import Store
    from intranet.extensions import db
    from intranet.reports import kpis
    from intranet.reports.periods import month_of

    client = login(app, "manager")
    print(f"-- {label}")
    print(f"{'request':<44}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
    with app.app_context():
        from intranet.core.models import Store as _Store
        today = clock.store_today(db.session.get(_Store, ids["store"]).timezone)
    year = f"/reports/?period=range&start={today - timedelta(days=364)}&end={today}"
    median, p95 = timed(client, "/ping", rounds)
    print(f"{'/ping':<44}{median:>10.1f}{p95:>9.1f}{count_queries(app, client, '/ping'):>9}")
    for name, url in (("dashboard, today", "/reports/?period=day"),
                      ("dashboard, this month", "/reports/?period=month"),
                      ("dashboard, this week", "/reports/?period=week"),
                      ("dashboard, the last 365 days", year),
                      ("drill-down: cars out this month", "/reports/kpi/cars_out?period=month")):
        median, p95 = timed(client, url, rounds)
        print(f"{name:<44}{median:>10.1f}{p95:>9.1f}{count_queries(app, client, url):>9}")
    with app.app_context():
        store = db.session.get(Store, ids["store"])
        period = month_of(clock.store_today(store.timezone))
        begin = time.perf_counter()
        kpis.compute(store, period)
        print(f"{'every KPI of this month (kpis.compute)':<44}{(time.perf_counter() - begin) * 1000:>10.1f}")
        from intranet.reports import digests
        from intranet.reports.models import Digest, DigestKind

        last_month = period.previous()
        db.session.query(Digest).delete()
        db.session.commit()
        begin = time.perf_counter()
        digests.build_digest(store.id, DigestKind.MONTHLY, last_month.start)
        db.session.commit()
        print(f"{'monthly digest built (charts included)':<44}{(time.perf_counter() - begin) * 1000:>10.1f}")


def summarise(app, ids: dict) -> None:
    """What the "reports-kpi-summary" job does: every day from the first repair order to yesterday."""
    from intranet.core.models import Store
    from intranet.extensions import db
    from intranet.reports.kpis import summary

    with app.app_context():
        store = db.session.get(Store, ids["store"])
        begin = time.perf_counter()
        built = summary.build_missing(store, budget_seconds=3600)
        print(f"daily KPI summary: {built} days built in {time.perf_counter() - begin:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-year", type=int, default=8300)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(5)
    with scratch_app() as app:
        ids = setup(app, rng)
        seq = [0, 0]
        started = time.perf_counter()
        add_history(app, ids["store"], ids["advisors"], ids["vehicles"], 365, 0, args.per_year, rng, seq)
        print(f"one year: {seq[0]} repair orders built in {time.perf_counter() - started:.1f} s")
        measure(app, ids, args.rounds, "one year of history, no summary (read from the rows)")
        summarise(app, ids)
        measure(app, ids, args.rounds, "one year of history")
        add_history(app, ids["store"], ids["advisors"], ids["vehicles"], 3 * 365, 365, args.per_year, rng, seq)
        print(f"three years: {seq[0]} repair orders")
        summarise(app, ids)
        measure(app, ids, args.rounds, "three years of history")


if __name__ == "__main__":
    main()
