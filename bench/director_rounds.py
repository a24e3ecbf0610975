"""Server-side cost of the director's tablet: today's rounds, walking a round (the page and one
answer), the round report, the weekly scores by area and the actions list, with a year of history.

    .venv/bin/python bench/director_rounds.py [--days 365] [--items 40] [--actions 5000] [--rounds 50]

Builds a throw-away database from the migrations (SQLite, or a throw-away database on the
PostgreSQL server DATABASE_URL points at), a store with 11 areas, four checklists of `--items`
items, `--days` days of four finished rounds each (answers inserted in bulk) and `--actions`
corrective actions, then times requests in-process: median and 95th percentile, SQL statements."""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from bench.measure import count_queries, scratch_app, summary, timed
from bench.workshop_board import PASSWORD, login


def build(app, days: int, n_items: int, n_actions: int, rng: random.Random) -> dict:
    from sqlalchemy import insert

    from intranet import clock
    from intranet.core.models import Role, Store
    from intranet.core.services import create_user
    from intranet.director import rounds
    from intranet.director.models import (
        ActionStatus, CorrectiveAction, InspectionRound, ItemKind, RoundAnswer, RoundSlot, RoundStatus,
    )
    from intranet.extensions import db

    with app.app_context():
        store = Store(code="BN01", name="Bench store", timezone="Asia/Shanghai")
        db.session.add(store)
        db.session.flush()
        director = create_user(store_id=store.id, username="director", display_name="总监", password=PASSWORD,
                               roles=[Role.DIRECTOR])
        owner = create_user(store_id=store.id, username="owner", display_name="主管", password=PASSWORD,
                            roles=[Role.CONTROLLER])
        areas = [rounds.save_area(store.id, area_id=None, name=f"区域{n}", owner_id=owner.id) for n in range(11)]
        slots = []
        for code, start, end in (("r1", 7, 9), ("r2", 9, 11), ("r3", 14, 16), ("r4", 0, 23)):
            kinds = [ItemKind.PASS_FAIL] * 6 + [ItemKind.SCORE, ItemKind.NUMBER]
            version = rounds.save_template(store.id, template_id=None, name=f"清单{code}", actor_id=director.id, items=[
                rounds.ItemDraft(area_id=areas[i % 11].id, text=f"检查项 {i}", kind=kinds[i % len(kinds)],
                                 weight=1 + i % 3, min_value="1", max_value="5") for i in range(n_items)])
            slot = RoundSlot(store_id=store.id, code=code, name=code, starts_at=datetime.min.time().replace(hour=start),
                             ends_at=datetime.min.time().replace(hour=end, minute=59), template_id=version.template_id)
            db.session.add(slot)
            db.session.flush()
            slots.append((slot, version))
        today = clock.store_today(store.timezone)
        now = clock.utcnow()
        answer_rows, round_id = [], None
        for back in range(days, 0, -1):
            day = today - timedelta(days=back)
            for slot, version in slots:
                started = now - timedelta(days=back)
                round_id = db.session.execute(insert(InspectionRound).returning(InspectionRound.id).values(
                    store_id=store.id, slot_id=slot.id, day=day, version_id=version.id, status=RoundStatus.DONE,
                    missed=False, started_at=started, started_by_id=director.id, finished_at=started,
                    score=90, version=1)).scalar_one()
                for item in version.items:
                    fails = rng.random() < 0.05
                    answer_rows.append({"round_id": round_id, "item_id": item.id, "passed": not fails,
                                        "score": (2 if fails else 4) if item.kind == ItemKind.SCORE else None,
                                        "number": 3 if item.kind == ItemKind.NUMBER else None,
                                        "answered_by_id": director.id, "answered_at": started})
            if len(answer_rows) > 20_000:
                db.session.execute(insert(RoundAnswer), answer_rows)
                answer_rows = []
        if answer_rows:
            db.session.execute(insert(RoundAnswer), answer_rows)
        db.session.execute(insert(CorrectiveAction), [
            {"store_id": store.id, "title": f"整改 {n}", "owner_id": owner.id, "due_at": now - timedelta(hours=n),
             "priority": "normal", "created_by_id": director.id, "created_at": now - timedelta(hours=n + 24),
             "reopened": 0, "version": 1, "area_id": areas[n % 11].id,
             "status": ActionStatus.OPEN if n < n_actions // 10 else ActionStatus.VERIFIED}
            for n in range(n_actions)])
        # today's round being walked
        current = rounds.start_round(store, slots[3][0].id, today, actor_id=director.id, now=now)
        first_item = slots[3][1].items[0].id
        db.session.commit()
        return {"round": current.id, "item": first_item, "old_round": round_id}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--actions", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    with scratch_app() as app:
        started = time.perf_counter()
        ids = build(app, args.days, args.items, args.actions, rng)
        print(f"built {args.days} days × 4 rounds × {args.items} items and {args.actions} actions "
              f"in {time.perf_counter() - started:.1f} s")
        client = login(app, "director")
        print(f"{'request':<44}{'median ms':>10}{'p95 ms':>9}{'queries':>9}")
        pages = [("/ping", "/ping"), ("today's rounds", "/director/rounds/"),
                 ("walk a round (one area)", f"/director/rounds/{ids['round']}"),
                 ("report of a finished round", f"/director/rounds/{ids['old_round']}/report"),
                 ("scores by area, 8 weeks", "/director/rounds/scores"),
                 ("actions, open and to verify", "/director/actions/"),
                 ("actions, all (200 newest)", "/director/actions/?status=all"),
                 ("director's home", "/")]
        for label, url in pages:
            median, p95 = timed(client, url, args.rounds)
            print(f"{label:<44}{median:>10.1f}{p95:>9.1f}{count_queries(app, client, url):>9}")
        samples = []
        for n in range(args.rounds):
            begin = time.perf_counter()
            response = client.post(f"/director/rounds/{ids['round']}/items/{ids['item']}",
                                   data={"value": "pass" if n % 2 else "fail", "note": "x"},
                                   headers={"HX-Request": "true"})
            samples.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, response.status_code
        median, p95 = summary(samples)
        print(f"{'answer an item (htmx, pass/fail in turn)':<44}{median:>10.1f}{p95:>9.1f}")


if __name__ == "__main__":
    main()
