"""Demo purchasing history, made through the purchasing services as people would have: each week
the night's suggested orders, a couple of them trimmed by the planner, A-class lines compared
across three suppliers, approved by the parts manager, ordered by the buyer and received in three
checks; one delivery with a damaged item (claimed and credited) and a short one (still open); the
latest suggestion left as a draft and one order expected tomorrow."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store, User
from intranet.extensions import db
from intranet.parts import purchasing
from intranet.parts.models import OrderStatus, Part, PurchaseOrder, Supplier

LINES_KEPT = 8  # the planner trims a long suggestion to what is worth ordering this week


def seed(store_id: int, rng: random.Random, staff: dict[str, int], days: list[date]) -> None:
    if not days:
        return
    store = db.session.get(Store, store_id)
    tz = store.timezone
    planner, buyer, keeper = staff["parts_planner"], staff["buyer"], staff["storekeeper"]
    manager = db.session.get(User, staff["parts_manager"])
    suppliers = list(db.session.scalars(select(Supplier).where(Supplier.store_id == store_id, Supplier.active)
                                        .order_by(Supplier.id)))
    days = sorted(days)
    last = days[-1]

    def at(day: date, hour: int, minute: int = 0):
        return clock.frozen(clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), tz))

    def prepare(order: PurchaseOrder) -> bool:
        """The planner trims the suggestion and gets three quotes for its A-class lines."""
        for line in list(order.lines)[LINES_KEPT:]:
            purchasing.remove_line(order.id, line.id, store_id=store_id)
        others = [s for s in suppliers if s.id != order.supplier_id]
        for line in list(order.lines):
            if line.part.abc_class != "A":
                continue
            if len(others) < 2:
                purchasing.remove_line(order.id, line.id, store_id=store_id)
                continue
            base = Decimal(line.unit_cost) or Decimal("50")
            for supplier in [order.supplier, *rng.sample(others, 2)]:
                # the usual supplier wins the comparison here: a cheaper other one would take the line
                # to its own order (purchasing.choose_quote), which this history does not follow
                factor = Decimal(rng.randrange(88, 96) if supplier is order.supplier else rng.randrange(97, 115)) / 100
                purchasing.add_quote(line.id, store_id=store_id, supplier_id=supplier.id,
                                     unit_cost=(base * factor).quantize(Decimal("0.01")),
                                     lead_days=rng.randrange(1, 5))
            db.session.refresh(line)
            purchasing.choose_quote(purchasing.cheapest(line).id, store_id=store_id)
        return bool(order.lines)

    def approve_and_order(order: PurchaseOrder, day: date, expected: date) -> None:
        with at(day, 10, rng.randrange(0, 50)):
            purchasing.approve(order.id, store_id=store_id, actor=manager)
        with at(day, 11, rng.randrange(0, 50)):
            purchasing.mark_ordered(order.id, store_id=store_id, actor_id=buyer, expected_on=expected)

    incidents = {"done": False}
    claims: list[tuple[int, date]] = []

    def receive(order: PurchaseOrder, day: date, hour: int) -> None:
        lines = [line for line in order.lines if line.outstanding > 0]
        if not lines:
            return
        with at(day, hour, rng.randrange(0, 30)):
            receipt = purchasing.check_delivery_note(
                order.id, store_id=store_id, actor_id=buyer, delivery_note=f"SH{rng.randrange(100000, 999999)}",
                noted={line.id: line.outstanding for line in lines})
        counts = {}
        damaged_part = short_part = None
        for n, rline in enumerate(receipt.lines):
            noted = Decimal(rline.noted_quantity)
            good, damaged = noted, Decimal(0)
            if not incidents["done"] and n == 0 and noted >= 1:
                good, damaged, damaged_part = noted - 1, Decimal(1), rline.part_id  # a cracked housing
            elif not incidents["done"] and n == 1 and noted >= 1:
                good, short_part = noted - 1, rline.part_id  # one missing from the carton
            counts[rline.id] = {"good": good, "damaged": damaged, "wrong": 0}
        with at(day, hour, 40):
            purchasing.check_intake(receipt.id, store_id=store_id, actor_id=keeper, counts=counts,
                                    note="外箱受潮破损，一件壳体开裂；另少到一件" if damaged_part else None)
        with at(day, hour + 1, rng.randrange(0, 40)):
            purchasing.shelve(receipt.id, store_id=store_id, actor_id=keeper)
        if damaged_part or short_part:
            incidents["done"] = True
            for row in purchasing.receipt_page(receipt.id, store_id).discrepancies:
                if row.part_id == damaged_part:
                    claims.append((row.id, day))  # the short one stays open: the supplier is still looking

    on_order: list[PurchaseOrder] = []
    for index, day in enumerate(days):
        if index == 0 or day.weekday() == 0:
            with at(day, 1, 30):  # the nightly job
                made = purchasing.suggest_orders(store_id)
            chosen = sorted(made, key=lambda o: -len(o.lines))[:rng.randrange(2, 4)]
            for order in chosen:
                with at(day, 9, rng.randrange(0, 50)):
                    if not prepare(order):
                        purchasing.cancel_order(order.id, store_id=store_id, actor_id=planner,
                                                reason="建议单中的A类件未能比价，本次不采购")
                        continue
                lead = max(1, min(3, order.supplier.lead_days if order.supplier else 2))
                approve_and_order(order, day, min(day + timedelta(days=lead), last))
                on_order.append(order)
        for order in list(on_order):
            if order.expected_on == day and order.status in purchasing.RECEIVABLE:
                receive(order, day, 14 if day != last else 12)
                on_order.remove(order)
        for discrepancy_id, received_on in claims:
            if day == min(received_on + timedelta(days=1), last):
                with at(day, 9, 20):
                    purchasing.claim(discrepancy_id, store_id=store_id, actor_id=buyer,
                                     reference=f"CL{day:%y%m%d}{rng.randrange(10, 99)}")
            if day == min(received_on + timedelta(days=3), last):
                with at(day, 9, 40):
                    purchasing.settle(discrepancy_id, "credited", store_id=store_id, actor_id=buyer,
                                      note="供应商已开具红字发票冲减货款")
        db.session.flush()

    # today: the night's suggestion waits as a draft; one order goes out, expected tomorrow
    with at(last, 1, 30):
        made = purchasing.suggest_orders(store_id)
    tomorrow = last + timedelta(days=1)
    if len(made) >= 2:
        order = sorted(made, key=lambda o: len(o.lines))[0]
        with at(last, 8, 30):
            ready = prepare(order)
        if ready:
            approve_and_order(order, last, tomorrow)
    if not any(o.status == OrderStatus.ORDERED and o.expected_on == tomorrow for o in made):
        _manual_order(store_id, rng, last, tomorrow, planner=planner, manager=manager, buyer=buyer, at=at)
    shortages = [p for p in purchasing.shortages(store_id) if p.part.supplier_id][:3]
    if shortages:
        with at(last, 9, 15):
            purchasing.request_purchase([p.id for p in shortages], store_id=store_id, actor_id=planner)
    db.session.flush()


def _manual_order(store_id: int, rng: random.Random, day: date, expected: date, *, planner: int, manager: User,
                  buyer: int, at) -> None:
    """No suggestion to send today: the planner writes a small regular order herself."""
    parts = list(db.session.scalars(select(Part).where(Part.store_id == store_id, Part.active.is_(True),
                                                       Part.supplier_id.is_not(None), Part.abc_class != "A")
                                    .order_by(Part.id).limit(40)))
    if not parts:
        return
    supplier_id = parts[0].supplier_id
    picked = [p for p in parts if p.supplier_id == supplier_id][:4]
    with at(day, 8, 40):
        order = purchasing.create_order(store_id=store_id, actor_id=planner, supplier_id=supplier_id,
                                        note="常规补货")
        for part in picked:
            purchasing.add_line(order.id, store_id=store_id, part_number=part.number,
                                quantity=max(Decimal(part.reorder_quantity or 0), Decimal(rng.randrange(2, 10))))
    with at(day, 10, 5):
        purchasing.approve(order.id, store_id=store_id, actor=manager)
    with at(day, 11, 10):
        purchasing.mark_ordered(order.id, store_id=store_id, actor_id=buyer, expected_on=expected)
