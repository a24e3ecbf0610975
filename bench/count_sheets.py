"""Stock count sheets for a big store: how long the background job takes to generate the sheets of
a full count, and what the count sheet page and the variance report cost, against a trivial
endpoint.

    .venv/bin/python bench/count_sheets.py [--parts 20000] [--variances 200] [--rounds 50]

Builds a throw-away SQLite database from the migrations (or, when DATABASE_URL points at a
PostgreSQL server, a throw-away database on it; both are removed afterwards), fills a store with
`--parts` parts in bins (A-01-1-01 …, some without a bin) with their opening movements, opens a
full count and times `generate_sheets` committing after every batch as the job does (then a rerun,
which must add nothing). It then books every line as counted (straight SQL, to get there fast),
`--variances` of them with a variance and its reason, moves the count to review, and times the
count page, the "not yet counted" sheet and the variance report in-process: median and 95th
percentile, ratio to GET /ping, SQL statements per request."""
from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.measure import count_queries, scratch_app, timed
from bench.workshop_board import PASSWORD, login


def build_parts(store_id: int, count: int, rng: random.Random) -> None:
    """`count` parts over shelves of 4 layers × 20 positions, 3% without a bin, in bulk."""
    from sqlalchemy import insert, select

    from intranet import clock
    from intranet.extensions import db
    from intranet.parts.models import MovementKind, Part, StockMovement

    now = clock.utcnow()
    rows = []
    for n in range(count):
        shelf, rest = divmod(n, 80)
        layer, position = divmod(rest, 20)
        store = "AB"[shelf % 2]
        rows.append({"store_id": store_id, "number": f"BN{n:07d}", "name": f"配件 {n}", "unit": "件",
                     "abc_class": rng.choices("ABC", weights=(15, 30, 55))[0],
                     "cost": Decimal(rng.randrange(5, 2000)), "price": Decimal("0"),
                     "reorder_point": Decimal("0"), "reorder_quantity": Decimal("0"), "active": True,
                     "bin_code": None if rng.random() < 0.03 else f"{store}-{shelf // 2 % 100:02d}-{layer + 1}-"
                                                                   f"{position + 1:02d}{'' if shelf < 200 else ''}",
                     "on_hand": Decimal(rng.randrange(0, 40)), "reserved": Decimal("0"), "created_at": now})
    # bins are unique per store: shelves beyond the 100th go to stores C and D
    seen = set()
    for n, row in enumerate(rows):
        if row["bin_code"] in seen:
            row["bin_code"] = "CD"[n % 2] + row["bin_code"][1:]
        if row["bin_code"] in seen:
            row["bin_code"] = None
        if row["bin_code"]:
            seen.add(row["bin_code"])
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Part), rows[start:start + 5000])
    stocked = db.session.execute(select(Part.id, Part.on_hand, Part.cost).where(Part.store_id == store_id,
                                                                                Part.on_hand > 0)).all()
    moves = [{"store_id": store_id, "part_id": pid, "kind": MovementKind.OPENING, "quantity": on_hand,
              "balance": on_hand, "unit_cost": cost, "at": now} for pid, on_hand, cost in stocked]
    for start in range(0, len(moves), 5000):
        db.session.execute(insert(StockMovement), moves[start:start + 5000])
    db.session.commit()


def book_counts(count_id: int, variances: int, rng: random.Random, people: list[int]) -> None:
    """Every line counted at its book quantity, `variances` of them off by one or two, explained."""
    from sqlalchemy import select, update

    from intranet.extensions import db
    from intranet.parts.models import CountLine, Part

    db.session.execute(update(CountLine).where(CountLine.count_id == count_id).values(
        first_quantity=select(Part.on_hand).where(Part.id == CountLine.part_id).scalar_subquery(),
        first_book=select(Part.on_hand).where(Part.id == CountLine.part_id).scalar_subquery(),
        first_by_id=people[0]))
    lines = db.session.execute(select(CountLine.id, CountLine.first_book).where(CountLine.count_id == count_id,
                                                                                CountLine.first_book >= 2)).all()
    for line_id, book in rng.sample(lines, min(variances, len(lines))):
        db.session.execute(update(CountLine).where(CountLine.id == line_id).values(
            first_quantity=book + rng.choice((-2, -1, 1, 2)), reason="盘点差异", responsible_id=rng.choice(people)))
    db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=20000)
    parser.add_argument("--variances", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()

    from intranet.core import services
    from intranet.core.models import Role, Store
    from intranet.extensions import db
    from intranet.parts import counts

    with scratch_app() as app:
        rng = random.Random(7)
        with app.app_context():
            backend = db.engine.url.get_backend_name()
            store = Store(code="BN01", name="Bench", timezone="Asia/Shanghai")
            db.session.add(store)
            db.session.flush()
            keeper = services.create_user(store_id=store.id, username="keeper", display_name="库管",
                                          password=PASSWORD, roles=[Role.PARTS])
            boss = services.create_user(store_id=store.id, username="boss", display_name="配件经理",
                                        password=PASSWORD, roles=[Role.PARTS, Role.DIRECTOR])
            db.session.commit()
            store_id, keeper_id, boss_id = store.id, keeper.id, boss.id
            start = time.perf_counter()
            build_parts(store_id, args.parts, rng)
            built = time.perf_counter() - start

            count = counts.open_count(store_id=store_id, actor_id=keeper_id, kind="full")
            db.session.commit()
            count_id = count.id
            batches = []

            def commit_batch():
                db.session.commit()
                batches.append(time.perf_counter())

            start = time.perf_counter()
            added = counts.generate_sheets(count_id, on_batch=commit_batch)
            db.session.commit()
            generation = time.perf_counter() - start
            # the job retried: it must add nothing (the count is no longer generating, so reset it)
            from sqlalchemy import update

            from intranet.parts.models import CountStatus, StockCount

            db.session.execute(update(StockCount).where(StockCount.id == count_id)
                               .values(status=CountStatus.GENERATING))
            db.session.commit()
            start = time.perf_counter()
            again = counts.generate_sheets(count_id, on_batch=db.session.commit)
            db.session.commit()
            rerun = time.perf_counter() - start

        client = login(app, "boss")
        page, todo, report, progress = (f"/parts/counts/{count_id}", f"/parts/counts/{count_id}/sheet?show=todo",
                                        f"/parts/counts/{count_id}/report", f"/parts/counts/{count_id}/progress")
        htmx = {"HX-Request": "true"}
        rows = []
        rounds = args.rounds
        ping = timed(client, "/ping", rounds * 4)
        rows.append(("GET /ping (trivial)", *ping, count_queries(app, client, "/ping")))
        rows.append((f"count page, nothing counted ({added} lines)", *timed(client, page, rounds),
                     count_queries(app, client, page, expect=200)))
        rows.append(("sheet fragment, not yet counted (htmx)", *timed(client, todo, rounds, htmx),
                     count_queries(app, client, todo, htmx, expect=200)))

        with app.app_context():
            book_counts(count_id, args.variances, rng, [keeper_id, boss_id])
            counts.submit_for_review(count_id, store_id=store_id, actor_id=keeper_id)
            db.session.commit()
        rows.append(("count page, all counted", *timed(client, page, rounds),
                     count_queries(app, client, page, expect=200)))
        rows.append((f"variance report ({args.variances} variances)", *timed(client, report, rounds),
                     count_queries(app, client, report, expect=200)))
        rows.append(("progress poll after generation (htmx)", *timed(client, progress, rounds, htmx),
                     count_queries(app, client, progress, htmx, expect=200)))

        print(f"database: {backend}   parts: {args.parts} (built in {built:.1f} s)")
        gaps = [b - a for a, b in zip(batches, batches[1:])]
        print(f"sheet generation: {added} lines in {generation:.2f} s, {len(batches) - 1} batches committed "
              f"(longest {max(gaps) * 1000 if gaps else 0:.0f} ms); rerun added {again} lines in {rerun:.2f} s")
        print()
        base = ping[0]
        print(f"{'request':<46} {'median ms':>10} {'p95 ms':>8} {'× ping':>7} {'queries':>8}")
        for label, median, p95, queries in rows:
            print(f"{label:<46} {median:>10.2f} {p95:>8.2f} {median / base:>7.1f} {queries:>8}")


if __name__ == "__main__":
    main()
