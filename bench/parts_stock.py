"""Server-side cost of the parts store's big screens: the stock list over 20 000 parts, a bin card
with 10 000 movements, the counter's queue and the pending parts list, against a trivial endpoint.

    .venv/bin/python bench/parts_stock.py [--parts 20000] [--movements 10000] [--rounds 100]

Builds a throw-away SQLite database from the migrations (or a throw-away PostgreSQL database when
DATABASE_URL points at one), bulk-loads the catalogue and one busy part's ledger, then times
requests through the WSGI app in-process: median and 95th percentile, ratio to GET /ping, and SQL
statements per request — counted first on a small store and again on the full one, to show the
number does not grow with the data."""
from __future__ import annotations

import argparse
import random
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from bench.measure import count_queries, scratch_app, timed
from bench.workshop_board import PASSWORD, login


def load_parts(store_id: int, first: int, count: int, rng: random.Random) -> None:
    from intranet.extensions import db
    from intranet.parts.models import Part

    rows = []
    for n in range(first, first + count):
        store, rest = divmod(n, 40 * 5 * 25)
        shelf, rest = divmod(rest, 5 * 25)
        layer, position = divmod(rest, 25)
        rows.append(dict(store_id=store_id, number=f"5Q{n:07d}", name=f"零件 {n}", abc_class=rng.choice("ABCCC"),
                         unit="件", cost=Decimal(rng.randrange(5, 900)), price=Decimal(rng.randrange(10, 1500)),
                         reorder_point=rng.choice((0, 0, 2, 5)), reorder_quantity=5, on_hand=0, reserved=0,
                         bin_code=f"{'ABCDEFGHJK'[store]}-{shelf + 1:02d}-{layer + 1}-{position + 1:02d}",
                         active=True))
    for chunk in range(0, len(rows), 5000):
        db.session.execute(insert(Part), rows[chunk:chunk + 5000])
    db.session.commit()


def load_ledger(store_id: int, part_id: int, count: int, user_id: int) -> None:
    """One busy part: `count` movements (receipts of 20, issues of 1) written through the ledger."""
    from intranet import clock
    from intranet.extensions import db
    from intranet.parts import ledger
    from intranet.parts.models import MovementKind

    start = clock.utcnow() - timedelta(days=400)
    for n in range(count):
        with clock.frozen(start + timedelta(minutes=50 * n)):
            if n % 20 == 0:
                ledger.post(part_id, Decimal(20), MovementKind.RECEIPT, store_id=store_id, actor_id=user_id)
            else:
                ledger.post(part_id, Decimal(-1), MovementKind.ISSUE, store_id=store_id, actor_id=user_id)
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=20_000)
    parser.add_argument("--movements", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()

    from sqlalchemy import select

    from intranet.core.models import Role, Store
    from intranet.core.services import create_user
    from intranet.extensions import db
    from intranet.parts.models import Part

    rng = random.Random(11)
    with scratch_app() as app:
        with app.app_context():
            store = Store(code="BN01", name="Bench", timezone="Asia/Shanghai")
            db.session.add(store)
            db.session.flush()
            user = create_user(store_id=store.id, username="parts", display_name="库管", password=PASSWORD,
                               roles=[Role.PARTS])
            db.session.commit()
            store_id, user_id = store.id, user.id
            load_parts(store_id, 0, 200, rng)
            busy = db.session.scalar(select(Part.id).where(Part.number == "5Q0000007"))
            load_ledger(store_id, busy, 200, user_id)
            backend = db.engine.url.get_backend_name()

        client = login(app, "parts")
        screens = {
            "stock list, page 1": "/parts/stock",
            "stock list, search a number": "/parts/stock?q=5Q00001",
            "stock list, at reorder point": "/parts/stock?only=low",
            "bin card, newest 100": f"/parts/p/{busy}",
            "counter queue (poll)": "/parts/live",
            "pending parts (poll)": "/parts/pending/live",
        }
        small = {label: count_queries(app, client, url, expect=200) for label, url in screens.items()}

        with app.app_context():
            load_parts(store_id, 200, args.parts - 200, rng)
            load_ledger(store_id, busy, args.movements - 200, user_id)
        screens["bin card, oldest page"] = f"/parts/p/{busy}?page={(args.movements + 99) // 100}"
        large = {label: count_queries(app, client, url, expect=200) for label, url in screens.items()}

        print(f"database: {backend}   parts: {args.parts:,}   movements on the busy part: {args.movements:,}")
        print()
        ping = timed(client, "/ping", args.rounds)
        print(f"{'request':<34} {'median ms':>10} {'p95 ms':>8} {'× /ping':>8} {'queries':>16}")
        print(f"{'/ping':<34} {ping[0]:>10.2f} {ping[1]:>8.2f} {1:>8.1f} {'':>16}")
        for label, url in screens.items():
            median, p95 = timed(client, url, args.rounds)
            queries = f"{small.get(label, '–')} → {large[label]}"
            print(f"{label:<34} {median:>10.2f} {p95:>8.2f} {median / ping[0]:>8.1f} {queries:>16}")
        median, p95 = timed(client, "/parts/export.csv", max(args.rounds // 20, 3))
        print(f"{'export CSV, whole catalogue':<34} {median:>10.2f} {p95:>8.2f} {median / ping[0]:>8.1f}")
        print()
        print("queries: on a store of 200 parts and 200 movements → on the full one (the same number: no N+1)")


if __name__ == "__main__":
    main()
