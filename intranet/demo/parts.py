"""Demo data for the parts store: suppliers, a catalogue of about 3 000 FAW-VW parts in their bins
with stock taken over from the old system, and the counter's part of every demo visit (requests
issued with the old part handed in, warranty sign-offs, a few emergency deliveries), all through
the real services so the ledger, the bills and the figures agree."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update

from intranet import clock
from intranet.core.models import LineKind, PayType, RepairOrder, Role, ROStatus, Store, User
from intranet.demo import parts_counts, parts_purchasing
from intranet.extensions import db
from intranet.parts import ledger, purchasing, services
from intranet.parts.models import MovementKind, OldPartOutcome, Part, StockMovement, Supplier
from intranet.workshop import services as workshop
from intranet.workshop.models import Job, JobEvent, JobStatus, PartsRequestStatus

SUPPLIERS = [  # (name, contact, phone, return days, lead days)
    ("一汽-大众华东配件中心", "陆经理", "021-6955 1200", 30, 2),
    ("上海安吉汽车零部件", "沈主管", "021-5080 3366", 15, 1),
    ("博世汽车服务（上海）", "顾先生", "021-2218 8000", 0, 3),
    ("米其林轮胎华东经销", "曹小姐", "021-6432 7788", 0, 2),
    ("上海联合油品", "金师傅", "021-5698 1001", 0, 1),
    ("浦东快修件批发", "邱老板", "139 1802 6677", 7, 1),
]

# The parts the demo's menu items, findings and accident and warranty jobs use:
# (number, name, cost, price, class, opening stock, reorder point, reorder quantity, supplier index)
KEY_PARTS = [
    ("G052195M4", "机油 5W-30 4L", "268", "398", "A", 240, 40, 120, 4),
    ("06L115562B", "机油滤清器", "32", "68", "A", 220, 40, 100, 0),
    ("5QD129620", "空气滤芯", "58", "128", "A", 110, 20, 60, 0),
    ("5QD819644", "空调滤芯", "66", "158", "A", 70, 15, 40, 0),
    ("06K905601B", "火花塞", "38", "85", "A", 160, 32, 80, 2),
    ("5QD698151", "前刹车片（套）", "395", "680", "A", 20, 6, 12, 0),
    ("AC-FOAM", "空调清洗剂", "42", "98", "B", 30, 10, 24, 5),
    ("5QD413031", "前减震器（右）", "520", "860", "B", 0, 2, 4, 0),
    ("5G0807221", "前保险杠", "980", "1680", "B", 10, 2, 4, 0),
    ("06H121026", "水泵总成", "760", "1320", "B", 4, 1, 2, 0),
    # the other parts the warranty replaces (demo/seed.py WARRANTY_PARTS)
    ("06L121111H", "节温器总成", "250", "460", "B", 3, 1, 2, 0),
    ("06K905110G", "点火线圈", "210", "380", "B", 6, 2, 4, 2),
    ("5QD837461", "左前玻璃升降器", "420", "720", "B", 2, 1, 2, 0),
    ("04E906262", "前氧传感器", "500", "860", "B", 3, 1, 2, 2),
    ("5QD959855", "车窗开关（左前）", "140", "260", "B", 3, 1, 2, 0),
    ("5Q0513025", "后减震器", "450", "780", "B", 2, 1, 2, 0),
    ("06K103469", "气门室盖垫", "95", "190", "B", 4, 1, 2, 0),
    ("235-50R18-MPS4", "轮胎 235/50 R18", "720", "1150", "B", 16, 8, 12, 3),
]

PIECES = [  # name stems and a rough cost range, for the rest of the catalogue
    ("减震器", 300, 900), ("刹车盘", 200, 650), ("刹车片", 180, 520), ("球头", 80, 260), ("摆臂", 260, 820),
    ("轮毂轴承", 160, 480), ("传动轴", 900, 2600), ("水箱", 700, 1800), ("冷凝器", 600, 1500),
    ("节温器", 120, 380), ("点火线圈", 160, 420), ("氧传感器", 280, 760), ("喷油嘴", 320, 880),
    ("正时皮带", 240, 620), ("张紧轮", 180, 460), ("发电机", 1400, 3200), ("起动机", 1100, 2600),
    ("大灯总成", 1600, 5200), ("尾灯", 420, 1400), ("雾灯", 160, 480), ("后视镜总成", 520, 1600),
    ("雨刮片", 40, 120), ("门把手", 80, 260), ("玻璃升降器", 260, 720), ("门锁块", 220, 560),
    ("翼子板", 380, 980), ("引擎盖", 900, 2400), ("后保险杠", 760, 1700), ("中网", 420, 1300),
    ("空调压缩机", 2200, 5200), ("鼓风机", 380, 880), ("蓄电池", 560, 1300), ("喇叭", 60, 180),
    ("ABS传感器", 180, 460), ("转向拉杆", 160, 420), ("稳定杆连杆", 70, 200), ("排气管吊胶", 20, 60),
    ("油箱盖", 60, 160), ("火花塞线", 80, 220), ("密封圈", 5, 30), ("卡扣", 2, 12), ("螺栓", 3, 18),
]
SIDES = ["", "（左）", "（右）", "（前）", "（后）", "（左前）", "（右前）", "（左后）", "（右后）"]
FITS = ["迈腾", "速腾", "宝来", "高尔夫", "探岳", "探歌", "揽境", "CC", "ID.4", "ID.6"]
CATALOGUE_SIZE = 3000


def seed_catalogue(store: Store, rng: random.Random, today: date, history_days: int) -> None:
    """Suppliers and the catalogue, with the stock taken over from the old system a few months
    before the demo's history begins. Bulk inserts: 3 000 parts in a moment. The demo's parts
    manager (沈佳, user "parts") gets the parts-manager flag: the planner, the buyer and the
    storekeeper approve nothing."""
    db.session.execute(update(User).where(User.store_id == store.id, User.username == "parts")
                       .values(parts_manager=True))
    if db.session.scalar(select(func.count()).select_from(Part).where(Part.store_id == store.id)):
        return
    suppliers = []
    for name, contact, phone, return_days, lead in SUPPLIERS:
        supplier = Supplier(store_id=store.id, name=name, contact=contact, phone=phone, return_days=return_days,
                            lead_days=lead)
        db.session.add(supplier)
        suppliers.append(supplier)
    db.session.flush()
    bins = _bins()
    rows, seen = [], set()
    for number, name, cost, price, abc, stock, point, quantity, supplier in KEY_PARTS:
        rows.append(dict(store_id=store.id, number=number, name=name, fitment="迈腾, 速腾, 探岳, 宝来",
                         abc_class=abc, unit="件", cost=Decimal(cost), price=Decimal(price), reorder_point=point,
                         reorder_quantity=quantity, supplier_id=suppliers[supplier].id, bin_code=next(bins),
                         on_hand=stock, reserved=0, active=True))
        seen.add(number)
    while len(rows) < CATALOGUE_SIZE:
        stem, low, high = rng.choice(PIECES)
        number = (f"{rng.choice('135')}{rng.choice('GKQ')}{rng.choice('0D')}{rng.randrange(100, 999)}"
                  f"{rng.randrange(10, 999):03d}{rng.choice(['', '', 'A', 'B', 'C', 'D', 'E'])}")
        if number in seen:
            continue
        seen.add(number)
        roll = rng.random()
        abc = "A" if roll < 0.08 else "B" if roll < 0.28 else "C"
        cost = Decimal(rng.randrange(low, high + 1))
        # most of a 4S catalogue is ordered when a car needs it: a few B parts are stocked (a point of 1,
        # two ordered at a time), the other B and C parts have no reorder level at all, so the nightly
        # suggestion orders what was used, not the catalogue
        stocked_b = abc == "B" and rng.random() < 0.3
        stock = rng.randrange(4, 12) if abc == "A" else rng.choice((2, 2, 3)) if stocked_b else rng.choice(
            (0, 0, 0, 0, 1))
        rows.append(dict(store_id=store.id, number=number, name=stem + rng.choice(SIDES),
                         fitment=", ".join(sorted(rng.sample(FITS, rng.randrange(1, 4)))), abc_class=abc, unit="件",
                         cost=cost, price=(cost * Decimal(rng.choice(("1.35", "1.45", "1.6")))).quantize(Decimal("1")),
                         reorder_point=3 if abc == "A" else 1 if stocked_b else 0,
                         reorder_quantity=6 if abc == "A" else 2 if stocked_b else 0,
                         supplier_id=rng.choice(suppliers[:3] + suppliers[5:]).id, bin_code=next(bins),
                         on_hand=stock, reserved=0, active=True))
    db.session.execute(insert(Part), rows)
    taken_over = clock.store_local_to_utc(
        datetime.combine(today - timedelta(days=history_days + 40), time(9, 0)), store.timezone)
    ids = dict(db.session.execute(select(Part.number, Part.id).where(Part.store_id == store.id)).all())
    db.session.execute(insert(StockMovement), [
        dict(store_id=store.id, part_id=ids[r["number"]], kind=MovementKind.OPENING, quantity=r["on_hand"],
             balance=r["on_hand"], unit_cost=r["cost"], note="旧系统期初库存", at=taken_over)
        for r in rows if r["on_hand"]])
    db.session.flush()


def _bins():
    """Bins in walking order: stores A–D, shelves 1–30, layers 1–5, positions 1–12 (one left
    free in four, as on a real shelf)."""
    for store in "ABCD":
        for shelf in range(1, 31):
            for layer in range(1, 6):
                for position in range(1, 13):
                    if (shelf + layer + position) % 4:
                        yield f"{store}-{shelf:02d}-{layer}-{position:02d}"


class Counter:
    """Who stands at the counter in the demo."""

    def __init__(self, store: Store):
        def holder(role: Role) -> int | None:
            return db.session.scalar(select(User.id).where(User.store_id == store.id,
                                                           User.role_rows.any(role=role.value)).order_by(User.id))

        self.store = store
        self.counter_id = holder(Role.PARTS)
        self.warranty_id = holder(Role.WARRANTY)
        self.extras = list(db.session.scalars(select(Part.number).where(
            Part.store_id == store.id, Part.abc_class.in_(("A", "B")), Part.on_hand > 2).order_by(Part.number)))


def _technician(ro_id: int) -> tuple[int | None, int | None]:
    jobs = workshop.jobs_of(ro_id)
    job = next((j for j in jobs if j.technician_id), jobs[0] if jobs else None)
    return (job.id, job.technician_id) if job else (None, None)


def _old_part_for(number: str, warranty: bool, rng: random.Random) -> OldPartOutcome:
    if warranty:
        return OldPartOutcome.WARRANTY_HOLDS
    if number in ("G052195M4", "AC-FOAM"):
        return OldPartOutcome.NONE
    return OldPartOutcome.CUSTOMER_KEEPS if rng.random() < 0.15 else OldPartOutcome.RECEIVED


def request_visit(ro_id: int, *, counter: Counter, rng: random.Random, at: datetime, extra: bool = True) -> list:
    """The technician asks for the parts on the repair order (and now and then one more)."""
    job_id, tech = _technician(ro_id)
    if job_id is None:
        return []
    ro = db.session.get(RepairOrder, ro_id)
    wanted = [(ln.code, ln.description, ln.quantity, ln.pay_type) for ln in ro.lines
              if ln.kind == LineKind.PART and ln.code and ln.part_id is None]
    if extra and counter.extras and rng.random() < 0.35:
        number = rng.choice(counter.extras)
        wanted.append((number, services.part_by_number(counter.store.id, number).name, Decimal("1"), ro.pay_type))
    requests = []
    with clock.frozen(at):
        for number, description, quantity, pay_type in wanted:
            request = workshop.request_part(job_id, store_id=counter.store.id, actor_id=tech or counter.counter_id,
                                            description=description, part_number=number, quantity=quantity)
            request.pay_type = pay_type if pay_type == PayType.WARRANTY else PayType.CUSTOMER
            requests.append(request)
    db.session.flush()
    return requests


def issue_visit(ro_id: int, *, counter: Counter, rng: random.Random, at: datetime) -> None:
    """Request and issue a visit's parts at the counter, a few minutes apart. A part not on the
    shelf goes on the pending list and arrives by emergency delivery two hours later."""
    store_id = counter.store.id
    for request in request_visit(ro_id, counter=counter, rng=rng, at=at):
        at += timedelta(minutes=rng.randrange(3, 12))
        warranty = request.pay_type == PayType.WARRANTY
        with clock.frozen(at):
            if warranty and counter.warranty_id:
                services.sign_warranty(request.id, store_id=store_id, actor=db.session.get(User, counter.warranty_id))
            part = services.part_by_number(store_id, request.part_number)
            if part is None:
                services.cancel_request(request.id, store_id=store_id, actor_id=counter.counter_id)
                continue
            # at the reorder point the store orders in at once (and visits of one day are seeded in any
            # order, so the margin keeps the time-ordered bin card from ever going below zero);
            # when even the request cannot be met, the car waits for the emergency delivery
            free = part.available + _held(ro_id, part.id)
            if free < Decimal(request.quantity) + Decimal(part.reorder_point):
                short = free < Decimal(request.quantity)
                if short:
                    services.record_shortage(request.id, store_id=store_id, actor_id=counter.counter_id)
                arrival = at + timedelta(hours=2) if short else at - timedelta(minutes=5)
                with clock.frozen(arrival):
                    delivered = Decimal(request.quantity) + Decimal(part.reorder_quantity or 2)
                    ledger.post(part.id, delivered, MovementKind.RECEIPT, store_id=store_id,
                                actor_id=counter.counter_id, note="紧急调货")
                    if short:
                        services.on_received(part.id, delivered, store_id=store_id, actor_id=counter.counter_id)
                if short:
                    at = arrival + timedelta(minutes=10)
        with clock.frozen(at):
            if request.status == PartsRequestStatus.CANCELLED:
                continue
            services.issue(request.id, store_id=store_id, actor_id=counter.counter_id,
                           part_number=request.part_number, quantity=request.quantity,
                           old_part=_old_part_for(request.part_number, warranty, rng))


def _held(ro_id: int, part_id: int) -> Decimal:
    """What is already held for this car: it may take that on top of what is available."""
    return sum((Decimal(r.quantity) for r in ledger.open_reservations(repair_order_id=ro_id, part_id=part_id)),
               Decimal(0))


def shortage_today(ro_id: int, *, counter: Counter, at: datetime) -> None:
    """Today's car waiting for parts: its request is on the pending list."""
    with clock.frozen(at):
        for request in workshop.parts_requests(counter.store.id, ro_ids=[ro_id]):
            if request.status == PartsRequestStatus.REQUESTED:
                services.record_shortage(request.id, store_id=counter.store.id, actor_id=counter.counter_id)


def seed_rest(store: Store, rng: random.Random, today: date, history_days: int) -> None:
    """Purchasing, receiving, counts and write-offs over the demo's history (their own modules)."""
    people = dict(db.session.execute(select(User.username, User.id).where(User.store_id == store.id)).all())
    days = [today - timedelta(days=offset) for offset in range(history_days, -1, -1)]
    staff = {"parts_planner": people.get("planner"), "parts_manager": people.get("parts"),
             "buyer": people.get("buyer"), "storekeeper": people.get("storekeeper"), "counter": people.get("parts"),
             "director": people.get("director"), "warranty": people.get("warranty"), "manager": people.get("manager")}
    parts_purchasing.seed(store.id, rng, staff, days)
    parts_counts.seed(store.id, rng, staff, days)
    seed_pending_today(store, rng, today)
    replay_balances(store.id)


def replay_balances(store_id: int) -> int:
    """The demo posts some movements after others it dates later (a count or a delivery in the
    middle of the history is seeded once the history exists): walk each part's movements in time
    order again so every bin card line shows the balance it left. Real postings never need this:
    they are made in the order they happen. Returns the number of lines corrected."""
    fixed, running, last_part = [], Decimal(0), None
    for movement_id, part_id, quantity, balance in db.session.execute(
            select(StockMovement.id, StockMovement.part_id, StockMovement.quantity, StockMovement.balance)
            .where(StockMovement.store_id == store_id)
            .order_by(StockMovement.part_id, StockMovement.at, StockMovement.id)):
        if part_id != last_part:
            running, last_part = Decimal(0), part_id
        running += Decimal(quantity)
        if running != balance:
            fixed.append({"movement_id": movement_id, "new_balance": running})
    if fixed:
        table = StockMovement.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("movement_id"))
                           .values(balance=bindparam("new_balance")), fixed)
    return len(fixed)


def seed_pending_today(store: Store, rng: random.Random, today: date) -> None:
    """Cars in the workshop today waiting for parts the store does not stock, at every step of the
    pending list: just short, on an urgent request, and approved and ordered for tomorrow. Each part
    is asked for after its car arrived and its job began; only cars still being repaired wait for one
    (never a car already inspected, washed or ready); the parts manager approves while the store is
    open (a seed before opening leaves the request waiting for him)."""
    counter = Counter(store)
    manager_id = db.session.scalar(select(User.id).where(User.store_id == store.id, User.username == "parts"))
    planner_id = db.session.scalar(select(User.id).where(User.store_id == store.id, User.username == "planner"))
    if not (manager_id and planner_id):
        return
    started = (select(func.min(JobEvent.at)).where(JobEvent.job_id == Job.id, JobEvent.to_status == JobStatus.RUNNING)
               .correlate(Job).scalar_subquery())
    cars = list(db.session.execute(
        select(RepairOrder.id, Job.id, Job.technician_id, RepairOrder.opened_at, started)
        .join(Job, Job.repair_order_id == RepairOrder.id)
        .where(RepairOrder.store_id == store.id,
               RepairOrder.status.in_([str(ROStatus.IN_WORKSHOP), str(ROStatus.WAITING_PARTS)]),
               Job.technician_id.is_not(None)).order_by(RepairOrder.id)).all())
    missing = list(db.session.scalars(select(Part).where(Part.store_id == store.id, Part.on_hand == 0,
                                                         Part.supplier_id.is_not(None)).order_by(Part.number)))
    if not cars or not missing:
        return
    now = clock.utcnow()
    pending, last = [], None
    seen = set()
    for ro_id, job_id, technician_id, opened_at, job_started in cars:
        if ro_id in seen or len(seen) == 4:
            continue
        seen.add(ro_id)
        part = rng.choice(missing)
        asked = min(now, max(opened_at, job_started or opened_at) + timedelta(minutes=rng.randrange(20, 50)))
        last = max(last or asked, asked)
        with clock.frozen(asked):
            request = workshop.request_part(job_id, store_id=store.id, actor_id=technician_id, description=part.name,
                                            part_number=part.number, quantity="1")
            pending.append(services.record_shortage(request.id, store_id=store.id, actor_id=counter.counter_id))
    if len(pending) < 3:
        return
    requested = min(now, last + timedelta(minutes=15))
    with clock.frozen(requested):
        orders = purchasing.request_purchase([p.id for p in pending[1:]], store_id=store.id, actor_id=planner_id)
    approved = min(now, requested + timedelta(minutes=20))
    here = clock.to_store_time(approved, store.timezone).time()
    if not store.opens_at <= here <= store.closes_at:
        return
    manager = db.session.get(User, manager_id)
    for n, order in enumerate(orders):
        with clock.frozen(approved):
            purchasing.approve(order.id, store_id=store.id, actor=manager)
            purchasing.mark_ordered(order.id, store_id=store.id, actor_id=manager_id,
                                    expected_on=today + timedelta(days=1 if n == 0 else 2))
