"""Server-side cost of customer care's screens with three years of history: the call queue, a
call, a customer file, the complaints list and statistics, the reminders, the CSI page, and the
nightly reminder job.

    .venv/bin/python bench/care.py [--customers 20000] [--visits 25000] [--rounds 30]

Builds a throw-away database from the migrations (SQLite, or a throw-away database on the
PostgreSQL server DATABASE_URL points at): `--customers` customers with a car each, `--visits`
delivered repair orders over three years with their follow-up calls (bulk inserted), a complaint
for one visit in forty, survey scores for half; then times requests in-process: median and 95th
percentile, SQL statements."""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.measure import count_queries, scratch_app, summary, timed  # noqa: E402
from bench.workshop_board import PASSWORD, login  # noqa: E402


def build(app, n_customers: int, n_visits: int, rng: random.Random) -> dict:
    from sqlalchemy import insert, select

    from intranet import clock
    from intranet.care.models import CallAttempt, Complaint, CsiScore, FollowUpCall
    from intranet.core.identifiers import name_initials, reverse_key
    from intranet.core.models import Customer, RepairOrder, Role, Store, Vehicle
    from intranet.core.services import create_user
    from intranet.extensions import db

    with app.app_context():
        store = Store(code="BN01", name="Bench store", timezone="Asia/Shanghai")
        db.session.add(store)
        db.session.flush()
        care = [create_user(store_id=store.id, username=f"care{n}", display_name=f"客服{n}", password=PASSWORD,
                            roles=[Role.CARE]) for n in range(3)]
        create_user(store_id=store.id, username="director", display_name="总监", password=PASSWORD,
                    roles=[Role.DIRECTOR])
        advisor = create_user(store_id=store.id, username="advisor", display_name="顾问", password=PASSWORD,
                              roles=[Role.ADVISOR])
        today = clock.store_today(store.timezone)
        now = clock.utcnow()
        db.session.execute(insert(Customer), [
            {"store_id": store.id, "name": f"客户{n}", "name_initials": name_initials(f"客户{n}"),
             "mobile": f"139{n:08d}", "mobile_rev": reverse_key(f"139{n:08d}"), "preferred_contact_time": "any",
             "birthday": date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
             "last_visit_on": today - timedelta(days=n % 1100), "created_at": now, "updated_at": now}
            for n in range(n_customers)])
        customer_ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
        db.session.execute(insert(Vehicle), [
            {"store_id": store.id, "customer_id": cid, "plate": f"沪A{n:05d}", "plate_key": f"A{n:05d}",
             "plate_rev": reverse_key(f"A{n:05d}"), "model": "迈腾", "created_at": now,
             "insurance_expires_on": today + timedelta(days=n % 365),
             "inspection_due_on": today + timedelta(days=(n * 7) % 365),
             "next_service_on": today + timedelta(days=(n * 3) % 180)}
            for n, cid in enumerate(customer_ids)])
        vehicles = dict(db.session.execute(select(Vehicle.customer_id, Vehicle.id)).all())
        ro_rows = []
        for n in range(n_visits):
            cid = customer_ids[n % len(customer_ids)]
            delivered = now - timedelta(days=(n_visits - n) * 1100 / n_visits, hours=rng.randrange(0, 8))
            ro_rows.append({"store_id": store.id, "number": f"BN01-{n:06d}", "vehicle_id": vehicles[cid],
                            "customer_id": cid, "advisor_id": advisor.id, "status": "delivered",
                            "opened_at": delivered - timedelta(hours=4), "delivered_at": delivered,
                            "complaint": "常规保养", "version": 1, "pay_type": "customer", "insurer_payment": "none"})
        db.session.execute(insert(RepairOrder), ro_rows)
        ros = db.session.execute(select(RepairOrder.id, RepairOrder.customer_id, RepairOrder.vehicle_id,
                                        RepairOrder.delivered_at).order_by(RepairOrder.id)).all()
        call_rows = []
        for n, (ro_id, cid, vid, delivered) in enumerate(ros):
            day = delivered.date()
            recent = (now - delivered).days < 3
            call_rows.append({"store_id": store.id, "customer_id": cid, "vehicle_id": vid, "repair_order_id": ro_id,
                              "kind": "first", "round": 1, "agent_id": care[n % 3].id,
                              "status": "due" if recent else ("expired" if n % 20 == 0 else "done"),
                              "due_from": day + timedelta(days=1), "due_until": day + timedelta(days=3),
                              "expires_on": day + timedelta(days=8), "attempts": 0 if recent else 1,
                              "satisfaction": None if recent or n % 20 == 0 else "satisfied",
                              "reached_at": None if recent else delivered + timedelta(days=1),
                              "created_at": delivered, "version": 1})
        db.session.execute(insert(FollowUpCall), call_rows)
        call_ids = db.session.execute(select(FollowUpCall.id, FollowUpCall.reached_at)
                                      .where(FollowUpCall.status == "done")).all()
        db.session.execute(insert(CallAttempt), [
            {"call_id": cid, "agent_id": care[0].id, "at": at, "outcome": "reached", "outside_preferred_time": False}
            for cid, at in call_ids])
        db.session.execute(insert(Complaint), [
            {"store_id": store.id, "number": f"BN01-TS-{n:06d}", "customer_id": cid, "vehicle_id": vid,
             "repair_order_id": ro_id, "advisor_id": advisor.id, "channel": "follow_up", "category": "quality",
             "received_at": delivered + timedelta(days=1), "description": "异响", "version": 1,
             "status": "closed" if n < len(ros) - 400 else "investigating",
             "step_due_at": delivered + timedelta(days=3), "created_at": delivered}
            for n, (ro_id, cid, vid, delivered) in enumerate(ros) if n % 40 == 0])
        db.session.execute(insert(CsiScore), [
            {"store_id": store.id, "ro_number": f"BN01-{n:06d}", "repair_order_id": ro_id, "advisor_id": advisor.id,
             "surveyed_on": delivered.date() + timedelta(days=5), "score": 90 + n % 10, "imported_at": now}
            for n, (ro_id, _cid, _vid, delivered) in enumerate(ros) if n % 2 == 0])
        db.session.commit()
        due_call = db.session.scalar(select(FollowUpCall.id).where(FollowUpCall.status == "due"))
        busy_customer = customer_ids[0]
        return {"store": store.id, "call": due_call, "customer": busy_customer, "today": today}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--visits", type=int, default=25000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(11)
    with scratch_app() as app:
        started = time.perf_counter()
        ids = build(app, args.customers, args.visits, rng)
        print(f"built {args.customers} customers, {args.visits} visits with their calls, complaints and "
              f"scores in {time.perf_counter() - started:.1f} s")
        director = login(app, "director")
        agent = login(app, "care0")
        print(f"{'request':<44}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
        pages = [(agent, "care agent's home", "/"),
                 (agent, "my call queue", "/care/calls/"),
                 (director, "all agents' call queue", "/care/calls/?who=all"),
                 (agent, "a call (script, history)", f"/care/calls/{ids['call']}"),
                 (agent, "customer file (3 years of visits)", f"/customers/{ids['customer']}"),
                 (agent, "customer files, incomplete", "/care/customers/?filter=incomplete"),
                 (director, "complaints, open", "/care/complaints/"),
                 (director, "complaints, month statistics", "/care/complaints/stats"),
                 (agent, "my reminders", "/care/reminders/"),
                 (director, "CSI and care figures", "/care/csi/")]
        for client, label, url in pages:
            median, p95 = timed(client, url, args.rounds)
            print(f"{label:<44}{median:>10.1f}{p95:>9.1f}{count_queries(app, client, url):>9}")
        from intranet.care.reminders import make_reminders
        from intranet.extensions import db

        with app.app_context():
            samples = []
            for n in range(3):
                begin = time.perf_counter()
                made = make_reminders(ids["store"], ids["today"])
                db.session.commit()
                samples.append((time.perf_counter() - begin) * 1000)
                if n == 0:
                    first = made
            median, _p95 = summary(samples)
        print(f"{'nightly reminders (first run made ' + str(first) + ')':<44}{samples[0]:>10.1f}"
              f"{'':>9}   reruns: {samples[1]:.1f} / {samples[2]:.1f} ms")


if __name__ == "__main__":
    main()
