"""`flask seed-demo`: a realistic store to look at — staff for every role, ~300 customers and their
cars (one brand, Shanghai plates), and today's cars on site. Deterministic and idempotent."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from intranet import clock
from intranet.core.identifiers import vin_check_digit
from intranet.core.models import (
    CannedJob, CannedJobLine, ContactTime, Customer, RepairOrder, Role, Store, User, Vehicle,
)
from intranet.core.services import (
    create_customer, create_user, create_vehicle, open_repair_order,
)
from intranet.extensions import db
from intranet.live.services import bump, muted
from intranet.demo import care_calls, care_complaints, care_csi, care_files, care_reminders, director_office
from intranet.demo import director as director_demo
from intranet.demo import hours as hours_demo
from intranet.demo import parts as parts_demo
from intranet.demo import workshop as workshop_demo
from intranet.demo.keys import seed_keys
from intranet.demo.reports import seed_digests
from intranet.reports.kpis import summary as kpi_summary
from intranet.reception.appointments import advisors, book, free_slots
from intranet.reception.models import Appointment
from intranet.reception.pre_pick import TypedLine
from intranet.reception.services import (
    add_line, answer_finding, apply_canned_job, comeback_candidates, mark_comeback, report_finding, update_repair_order,
)
from intranet.reception.settlement import deliver, record_payment, settlement
from intranet.workshop import services as workshop
from intranet.workshop.services import car_washed, inspect
from intranet.workshop.timecontrol import check_stage_times

# Menu items: (code, name, [(kind, code, description, hours or qty, unit price or None = labour rate)])
CANNED = [
    ("FS", "首保", [("labour", "MAINT-FS", "首次保养工时", "1.0", None),
                   ("part", "G052195M4", "机油 5W-30 4L", "1", "398.00"),
                   ("part", "06L115562B", "机油滤清器", "1", "68.00")]),
    ("M10", "1万公里保养", [("labour", "MAINT-10", "常规保养工时", "1.2", None),
                        ("part", "G052195M4", "机油 5W-30 5L", "1", "458.00"),
                        ("part", "06L115562B", "机油滤清器", "1", "68.00"),
                        ("part", "5QD129620", "空气滤芯", "1", "128.00")]),
    ("M30", "3万公里保养", [("labour", "MAINT-30", "大保养工时", "2.0", None),
                        ("part", "G052195M4", "机油 5W-30 5L", "1", "458.00"),
                        ("part", "06L115562B", "机油滤清器", "1", "68.00"),
                        ("part", "5QD129620", "空气滤芯", "1", "128.00"),
                        ("part", "5QD819644", "空调滤芯", "1", "158.00"),
                        ("part", "06K905601B", "火花塞", "4", "85.00")]),
    ("BRK", "前刹车片更换", [("labour", "BRK-F", "更换前刹车片", "1.0", None),
                        ("part", "5QD698151", "前刹车片（套）", "1", "680.00")]),
    ("ALN", "四轮定位", [("labour", "ALIGN", "四轮定位", "1.0", None)]),
    ("AC", "空调清洗", [("labour", "AC-CLN", "空调系统清洗", "0.8", None),
                     ("part", "AC-FOAM", "空调清洗剂", "1", "98.00")]),
]

# Extra work technicians find: (what, labour hours, part, part price)
FINDINGS = [
    ("右前减震器漏油，建议更换", "1.5", "前减震器", "860.00"),
    ("前刹车片剩余 2 mm，建议更换", "1.0", "前刹车片（套）", "680.00"),
    ("后轮胎胎侧有鼓包", "0.5", "轮胎 235/50 R18", "1150.00"),
    ("发动机皮带有裂纹", "0.8", "多楔带", "240.00"),
    ("蓄电池启动电压偏低", "0.3", "蓄电池 70Ah", "980.00"),
]

RECALL = "召回活动 RC-2026-08：检查并更换副驾驶安全气囊气体发生器，免费，约 1.5 小时。"
INSURERS = ["中国人保", "平安保险", "太平洋保险", "中华联合", "大地保险"]

DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo on purpose
STORE_CODE = "SH01"

STAFF = [
    ("director", "赵志强", [Role.DIRECTOR]),
    ("manager", "钱永康", [Role.MANAGER]),
    ("advisor", "孙丽华", [Role.ADVISOR]),
    ("advisor2", "李明", [Role.ADVISOR]),
    ("advisor3", "周婷", [Role.ADVISOR, Role.CARE]),  # a small store combines posts
    ("controller", "吴建国", [Role.CONTROLLER]),
    ("tech1", "郑海涛", [Role.TECHNICIAN]),
    ("tech2", "王磊", [Role.TECHNICIAN]),
    ("tech3", "冯小军", [Role.TECHNICIAN]),
    ("tech4", "陈刚", [Role.TECHNICIAN]),
    ("tech5", "褚卫东", [Role.TECHNICIAN]),
    ("tech6", "卫强", [Role.TECHNICIAN]),
    ("inspector", "蒋文斌", [Role.INSPECTOR]),
    ("parts", "沈佳", [Role.PARTS]),  # the parts manager
    ("planner", "顾晓东", [Role.PARTS]),
    ("buyer", "邱敏", [Role.PARTS]),
    ("storekeeper", "马建军", [Role.PARTS]),
    ("warranty", "韩雪", [Role.WARRANTY]),
    ("accident", "杨帆", [Role.ACCIDENT]),
    ("care", "朱晓燕", [Role.CARE]),
    ("admin", "秦立", [Role.ADMIN]),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕彬鹏辉健俊峰建国志强海波宇浩然欣怡子涵梓萱一诺思远晨曦佳琪雨桐"
MODELS = [  # (model, share, new energy)
    ("迈腾 330TSI 豪华型", 14, False), ("速腾 280TSI 舒适智联版", 16, False), ("宝来 1.5L 自动精英型", 14, False),
    ("高尔夫 280TSI Pro", 8, False), ("探岳 330TSI 四驱豪华型", 12, False), ("探歌 280TSI 两驱", 8, False),
    ("揽境 380TSI 四驱旗舰版", 5, False), ("CC 猎装车 380TSI", 4, False), ("ID.4 CROZZ PRO", 10, True),
    ("ID.6 CROZZ", 4, True), ("开迪 1.4T", 1, False),
]
COLOURS = ["极地白", "深空灰", "曜石黑", "珊瑚蓝", "火山红", "月光银", "琥珀金"]
DISTRICTS = ["浦东新区", "闵行区", "徐汇区", "杨浦区", "宝山区", "松江区", "嘉定区", "静安区", "普陀区", "长宁区"]
STREETS = ["张杨路", "世纪大道", "龙阳路", "锦绣路", "东方路", "沪南路", "川沙路", "金桥路", "华夏中路", "高科西路"]
PLATE_LETTERS = "ABCDEFGHJKLMN"
ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I and O on plates
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
COMPLAINTS = [
    "保养到期，做常规保养", "刹车时有异响", "空调不凉", "仪表盘发动机故障灯亮", "右前门有刮擦，需钣喷",
    "方向盘跑偏", "更换轮胎", "车机黑屏", "首保", "雨刮器刮不干净", "后保险杠碰撞", "电池续航下降，检查",
]


def _vin(rng: random.Random, year: int) -> str:
    year_code = "ABCDEFGHJKLMNPRSTVWXY123456789"[(year - 2010) % 30]
    body = "LFV" + "".join(rng.choice(VIN_CHARS) for _ in range(5)) + "0" + year_code + "H" + f"{rng.randrange(10**6):06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def _plate(rng: random.Random, new_energy: bool) -> str:
    letter = rng.choice(PLATE_LETTERS)
    if new_energy:
        return f"沪{letter}{rng.choice('DF')}{rng.choice(ALNUM)}{rng.randrange(10**4):04d}"
    # Most plates are five digits; many carry one or two letters among them (沪A3K821, 沪B7Q2M5).
    tail = [rng.choice("0123456789") for _ in range(5)]
    for position in rng.sample(range(5), rng.choice((0, 0, 1, 1, 2))):
        tail[position] = rng.choice(PLATE_LETTERS + "PQRSTUVWXYZ")
    return f"沪{letter}{''.join(tail)}"


def _weighted_model(rng: random.Random):
    return rng.choices(MODELS, weights=[m[1] for m in MODELS])[0]


def seed_demo(customers: int = 300, history_days: int = 60) -> str:
    rng = random.Random(4008)  # the same draws on every run: that is what makes a rerun add nothing
    store = db.session.scalar(select(Store).where(Store.code == STORE_CODE))
    if store is None:
        store = Store(code=STORE_CODE, name="上海浦东德众汽车销售服务有限公司", timezone="Asia/Shanghai",
                      opens_at=time(8, 0), closes_at=time(18, 0), key_collection_at=time(18, 30),
                      address="上海市浦东新区张杨路 1888 号", phone="021-5888 6666")
        db.session.add(store)
        db.session.flush()

    existing = set(db.session.scalars(select(User.username)))
    for username, name, roles in STAFF:
        if username not in existing:
            create_user(store_id=store.id, username=username, display_name=name, password=DEMO_PASSWORD,
                        roles=roles)
    db.session.flush()

    known_mobiles = set(db.session.scalars(select(Customer.mobile).where(Customer.store_id == store.id)))
    known_plates = set(db.session.scalars(select(Vehicle.plate).where(Vehicle.store_id == store.id)))
    today = clock.store_today(store.timezone)
    for i in range(customers):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        birthday = date(rng.randrange(1960, 2001), rng.randrange(1, 13), rng.randrange(1, 29))
        address = f"上海市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randrange(1, 2000)}号"
        contact = rng.choice(list(ContactTime))
        cars = 2 if i % 11 == 0 else 1
        specs = []
        for _ in range(cars):
            model, _share, ev = _weighted_model(rng)
            year = rng.randrange(2016, today.year + 1)
            specs.append((model, ev, year, _plate(rng, ev), _vin(rng, year), rng.choice(COLOURS),
                          rng.randrange(3000, 15000) * (today.year - year + 1), rng.random() < 0.3))
        if mobile in known_mobiles:
            continue
        customer = create_customer(store_id=store.id, name=name, mobile=mobile, address=address, birthday=birthday,
                                   preferred_contact_time=contact)
        known_mobiles.add(mobile)
        for model, _ev, year, plate, vin, colour, km, recall in specs:
            if plate in known_plates:
                continue
            create_vehicle(store_id=store.id, customer_id=customer.id, plate=plate, model=model, vin=vin,
                           colour=colour, model_year=year, odometer_km=km,
                           open_notes=RECALL if model.startswith("探岳") and recall else None)
            known_plates.add(plate)
    db.session.flush()

    _seed_canned_jobs(store)
    workshop_demo.seed_setup(store, dict(db.session.execute(select(User.username, User.id)).all()))
    director_demo.seed_setup(store, director_demo.users_by_name())
    parts_demo.seed_catalogue(store, rng, today, history_days)
    with muted():  # nobody watches the boards while two months of history are written
        fresh_history = _seed_history(store, rng, today, days=history_days)
    opened = _seed_today(store, rng, today)
    _seed_appointments(store, rng, today)
    if fresh_history:
        with muted():
            parts_demo.seed_rest(store, rng, today, history_days)
        bump(store.id, "parts", "pending", "workshop", "today")
    seed_keys(store, clock.store_day_bounds_utc(today - timedelta(days=history_days), store.timezone)[0])
    director_demo.seed_history(store, rng, today, history_days, director_demo.users_by_name())
    director_office.seed_office(store, today, history_days)
    _seed_care(store, today, history_days)
    with muted():
        seed_digests(store, today)  # the digests the jobs would have built, waiting for a mail server
    db.session.commit()
    kpi_summary.build_missing(store)  # what the "reports-kpi-summary" job would have summarised (commits)
    lines = [
        f"Demo store: {store.name} ({store.code})",
        f"Customers: {db.session.scalar(select(func.count()).select_from(Customer))}, "
        f"vehicles: {db.session.scalar(select(func.count()).select_from(Vehicle))}, "
        f"repair orders opened today by this run: {opened}",
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
    ]
    lines += [f"  {username:<11} {name}  ({', '.join(str(r.label) for r in roles)})" for username, name, roles in STAFF]
    return "\n".join(lines)


def _seed_care(store: Store, today: date, history_days: int) -> None:
    """Customer care: the customer files completed, the history's follow-up calls (made at each
    delivery) worked through, complaints in every state, survey scores,
    reminders and the message box, win-back lists and store events."""
    with muted():
        care_files.seed_files(store, today)
        care_calls.seed_calls(store, today)
        care_complaints.seed_complaints(store, today, history_days)
        care_csi.seed_csi(store, today, history_days)
        care_reminders.seed_reminders(store, today, history_days)


def _holder(store: Store, role: Role) -> User:
    return db.session.scalar(select(User).where(User.store_id == store.id, User.role_rows.any(role=role.value))
                             .order_by(User.id))


def _seed_canned_jobs(store: Store) -> None:
    known = set(db.session.scalars(select(CannedJob.code).where(CannedJob.store_id == store.id)))
    for code, name, lines in CANNED:
        if code in known:
            continue
        db.session.add(CannedJob(store_id=store.id, code=code, name=name, lines=[
            CannedJobLine(position=n, kind=kind, code=part, description=text, quantity=Decimal(qty),
                          unit_price=Decimal(price) if price else None)
            for n, (kind, part, text, qty, price) in enumerate(lines, start=1)]))
    db.session.flush()


def _seed_today(store: Store, rng: random.Random, today: date) -> int:
    """This morning's arrivals, in several stages, so every board has cars on it."""
    local_now = clock.to_store_time(clock.utcnow(), store.timezone).replace(tzinfo=None)
    last = min(local_now, datetime.combine(today, store.closes_at))
    first = min(datetime.combine(today, store.opens_at), last - timedelta(hours=2))  # never in the future
    # (run just after midnight, "this morning's" cars arrived late last evening: look from there)
    if db.session.scalar(select(func.count()).select_from(RepairOrder).where(
            RepairOrder.store_id == store.id,
            RepairOrder.opened_at >= clock.store_local_to_utc(first, store.timezone))):
        return 0
    advisors = list(db.session.scalars(select(User).join(User.role_rows).where(
        User.store_id == store.id, User.role_rows.any(role=Role.ADVISOR.value)).order_by(User.id)))
    vehicles = list(db.session.scalars(select(Vehicle).where(Vehicle.store_id == store.id).order_by(Vehicle.id)))
    if not advisors or not vehicles:
        return 0
    # What each of this morning's cars is doing now
    stages = ["delivered", "ready", "washing", "quality_check", "paused_approval", "paused_parts", "accident",
              "running", "running", "running", "dispatch", "dispatch", "dispatch"]
    span = int((last - first).total_seconds() // 60)
    picks = rng.sample(vehicles, len(stages))
    jobs = list(db.session.scalars(select(CannedJob).where(CannedJob.store_id == store.id).order_by(CannedJob.code)))
    controller, inspector = _holder(store, Role.CONTROLLER), _holder(store, Role.INSPECTOR)
    crew = workshop_demo.Crew(store, rng)
    counter = parts_demo.Counter(store)
    now = clock.utcnow()
    crew.until = now  # today's work is dated up to now, whatever the hour of the seed
    for n, (vehicle, stage) in enumerate(zip(picks, stages, strict=True)):
        arrived = first + timedelta(minutes=int(span * n / len(stages) * 0.6))
        arrived_utc = clock.store_local_to_utc(arrived, store.timezone)
        advisor = advisors[n % len(advisors)]
        closing = datetime.combine(today, store.closes_at)
        hours = rng.choice((2, 3, 4, 6))
        # the car already handed back (or about to be) was promised for the afternoon and kept it
        promise = arrived + timedelta(hours=6 if stage in ("delivered", "ready", "washing") else hours)
        if promise > closing or stage == "accident":  # a car that cannot be done today: tomorrow morning
            promise = datetime.combine(today + timedelta(days=1), time(10, 0))
        promised = clock.store_local_to_utc(promise, store.timezone)
        with clock.frozen(arrived_utc):
            odometer = (vehicle.last_odometer_km or 0) + rng.randrange(500, 6000)
            job = rng.choice(jobs)
            # a third of this morning's cars were booked (opened from their appointment); a seed run
            # outside opening hours has no slot for them, and they walk in
            ro = hours_demo.booked_visit(store, rng, vehicle_id=vehicle.id, advisor_id=advisor.id, arrives=arrived_utc,
                                         job=job, odometer_km=odometer) if n % 3 == 1 and stage != "accident" else None
            if ro is not None:
                update_repair_order(ro.id, store_id=store.id, actor_id=advisor.id, expected_version=ro.version,
                                    promised_at=promised)
            else:
                ro = open_repair_order(store_id=store.id, vehicle_id=vehicle.id, actor_id=advisor.id,
                                       odometer_km=odometer, complaint=rng.choice(COMPLAINTS), promised_at=promised)
                if stage == "accident":
                    ro.complaint = "追尾事故，前保险杠、右前翼子板受损，保险公司已定损"
                    workshop_demo.paint_job_lines(ro.id, store_id=store.id, actor_id=advisor.id, rng=rng,
                                                  pay_type="customer")
                else:
                    apply_canned_job(ro.id, job.id, store_id=store.id, actor_id=advisor.id)
            if rng.random() < 0.3:
                ro.key_tag = f"{n + 1:03d}"
        step = arrived_utc + timedelta(minutes=10)
        if stage == "dispatch":
            continue
        first_job = workshop.jobs_of(ro.id)[0]
        if stage in ("running", "accident"):
            # started a little while ago, not hours — and before closing when the seed runs in the evening
            step = max(step, min(now, clock.store_local_to_utc(closing, store.timezone)) - timedelta(minutes=50))
            tech = crew.pick(first_job.team, step, idle_only=True)
            workshop_demo.run_job(first_job.id, store=store, crew=crew, controller_id=controller.id, at=step, rng=rng,
                                  stop="running" if tech else "assigned", technician_id=tech)
            if tech:  # asked at the counter a few minutes ago: the counter's queue
                parts_demo.request_visit(ro.id, counter=counter, rng=rng, at=min(now, step + timedelta(minutes=8)),
                                         extra=False)
            continue
        if stage in ("paused_parts", "paused_approval"):
            at = workshop_demo.run_job(first_job.id, store=store, crew=crew, controller_id=controller.id, at=step,
                                       rng=rng, stop=stage)
            if stage == "paused_parts":
                parts_demo.shortage_today(ro.id, counter=counter, at=at + timedelta(minutes=5))
            if stage == "paused_approval":
                text, hours, part, price = rng.choice(FINDINGS)
                with clock.frozen(at):
                    report_finding(ro.id, store_id=store.id, actor_id=first_job.technician_id, description=text,
                                   labour_hours=hours, parts_description=part, parts_amount=price)
            continue
        at = workshop_demo.work_through(ro.id, store=store, crew=crew, controller_id=controller.id, at=step, rng=rng)
        parts_demo.issue_visit(ro.id, counter=counter, rng=rng, at=step + timedelta(minutes=20))
        if stage == "quality_check":
            continue
        at = min(at, now - timedelta(minutes=50))
        with clock.frozen(at):
            inspect(ro.id, store_id=store.id, actor_id=inspector.id, passed=True, wash=True)
        if stage == "washing":
            continue
        with clock.frozen(at + timedelta(minutes=20)):
            car_washed(ro.id, store_id=store.id, actor_id=controller.id)
        if stage == "delivered":
            with clock.frozen(at + timedelta(minutes=40)):
                due = settlement(ro).customer_due
                if due > 0:
                    record_payment(ro.id, store_id=store.id, actor_id=advisor.id, payer="customer",
                                   method=rng.choice(("wechat", "alipay", "card")), amount=due)
                deliver(ro.id, store_id=store.id, actor_id=advisor.id, work_explained=True, old_parts="shown",
                        car_clean=True, keys_returned=True)
    closing_utc = clock.store_local_to_utc(datetime.combine(today, store.closes_at), store.timezone)
    check_stage_times(store.id, min(now, closing_utc))  # flag the cars already past their stage's standard
    bump(store.id, "today")
    return len(stages)


def _seed_appointments(store: Store, rng: random.Random, today: date) -> None:
    """Today's and the next week's bookings (the history's were made with its visits)."""
    if db.session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.store_id == store.id,
            Appointment.starts_at > clock.utcnow())):  # the bookings still to come are there already
        return
    people = advisors(store.id)
    on_site = set(db.session.scalars(select(RepairOrder.vehicle_id).where(RepairOrder.store_id == store.id)))
    cars = [v for v in db.session.scalars(select(Vehicle).where(Vehicle.store_id == store.id).order_by(Vehicle.id))
            if v.id not in on_site and v.customer_id]
    jobs = list(db.session.scalars(select(CannedJob).where(CannedJob.store_id == store.id)))
    picks = iter(rng.sample(cars, min(len(cars), 90)))
    now = clock.utcnow()
    local_now = hours_demo.local(store, now)
    # booked on the phone: now if the store is open, else in its last hour open (never in the future)
    if store.opens_at <= local_now.time() <= store.closes_at:
        called = now
    else:
        last_day = local_now.date() - timedelta(days=1 if local_now.time() < store.opens_at else 0)
        called = hours_demo.utc(store, datetime.combine(last_day, store.closes_at) - timedelta(minutes=20))
    for offset in range(0, 8):
        day = today + timedelta(days=offset)
        for _ in range(rng.randrange(2, 6)):
            advisor = rng.choice(people)
            with clock.frozen(called):
                # what is still to come: a slot of today already past is not booked now
                slots = [s for s in free_slots(store, day, advisor.id) if s > local_now]
                if not slots:
                    continue
                job = rng.choice(jobs + [None])
                car = next(picks, None)
                if car is None:
                    continue
                # the days ahead: the menu item's parts go to the parts store as pre-pick lines
                pre_pick = [TypedLine(ln.code, ln.description, str(ln.quantity)) for ln in job.lines
                            if ln.kind == "part" and ln.code] if job and offset > 0 else []
                book(store_id=store.id, actor_id=advisor.id, advisor_id=advisor.id,
                                   starts_local=rng.choice(slots), vehicle_id=car.id,
                                   work_wanted="" if job else rng.choice(COMPLAINTS),
                                   canned_job_id=job.id if job else None, pre_pick=pre_pick,
                                   parts_wanted="机油 5W-30 5L, 机滤" if job and job.code.startswith("M")
                                   and not pre_pick else None)
    db.session.flush()


# Warranty repairs: the parts a manufacturer's warranty replaces, as the claims show them
# (number, description, price); the catalogue (demo/parts.py) stocks each
WARRANTY_PARTS = [
    ("06H121026", "水泵总成", "1320"), ("06L121111H", "节温器总成", "460"), ("06K905110G", "点火线圈", "380"),
    ("5QD837461", "左前玻璃升降器", "720"), ("04E906262", "前氧传感器", "860"), ("5QD959855", "车窗开关（左前）", "260"),
    ("5Q0513025", "后减震器", "780"), ("06K103469", "气门室盖垫", "190"),
]
BOOKED_SHARE = 0.40  # of the cars that are not accident cars: the rest walk in
NO_SHOW_SHARE = 0.1  # a booking made for every tenth booked visit is not kept
COMEBACK_EVERY = 64  # one visit in 64 redoes an earlier one (1.6 %, the documents want under 2 %)


def _seed_history(store: Store, rng: random.Random, today: date, days: int = 60) -> bool:
    """Two months of visits, every one settled and handed back: menu items and repairs (four in ten
    booked days before, the rest walk-ins), findings approved (the promise moved with them) or
    declined, insurance and warranty jobs, a comeback now and then, the parts issued for them — all
    in the store's working hours, most cars handed back by the time promised at the desk.
    False when the history was already there."""
    start, _ = clock.store_day_bounds_utc(today, store.timezone)
    if db.session.scalar(select(func.count()).select_from(RepairOrder).where(
            RepairOrder.store_id == store.id, RepairOrder.opened_at < start)):
        return False
    advisors = list(db.session.scalars(select(User).where(
        User.store_id == store.id, User.role_rows.any(role=Role.ADVISOR.value)).order_by(User.id)))
    vehicles = list(db.session.scalars(select(Vehicle).where(Vehicle.store_id == store.id).order_by(Vehicle.id)))
    jobs = list(db.session.scalars(select(CannedJob).where(CannedJob.store_id == store.id).order_by(CannedJob.code)))
    controller, inspector = _holder(store, Role.CONTROLLER), _holder(store, Role.INSPECTOR)
    crew = workshop_demo.Crew(store, rng)
    counter = parts_demo.Counter(store)
    recent: list[tuple[int, datetime]] = []  # vehicles seen lately and when they left, for comebacks
    visits = 0
    for offset in range(days, 0, -1):
        day = today - timedelta(days=offset)
        # yesterday's cars are all done yesterday (the history is handed back before today begins)
        latest = 12 * 60 if offset == 1 else 14 * 60 + 30
        # the day's cars in the order they arrive: the controller dispatches them as they come
        arrivals = sorted(rng.randrange(0, latest - 8 * 60) for _ in range(rng.randrange(5, 11)))
        for n, minutes in enumerate(arrivals):
            visits += 1
            arrived = datetime.combine(day, store.opens_at) + timedelta(minutes=minutes)
            at = clock.store_local_to_utc(arrived, store.timezone)
            advisor = rng.choice(advisors)
            # a comeback: a car handed back in the last days, back with the same fault
            back = [v for v, left in recent if left < at - timedelta(hours=20)]
            comeback = bool(back) and visits % COMEBACK_EVERY == COMEBACK_EVERY // 2
            vehicle_id = rng.choice(back) if comeback else rng.choice(vehicles).id
            job = rng.choice(jobs)
            kind = rng.random()
            accident = kind < 0.12 and offset > 3  # body and paint take days: none in the last ones
            car = db.session.get(Vehicle, vehicle_id)
            odometer = (car.last_odometer_km or 0) + rng.randrange(300, 5000)
            hours = hours_demo.labour_hours(job)
            ro = None
            if not accident and not comeback and rng.random() < BOOKED_SHARE:
                ro = hours_demo.booked_visit(store, rng, vehicle_id=vehicle_id, advisor_id=advisor.id, arrives=at,
                                             job=job, odometer_km=odometer)
                if ro is not None:
                    at = ro.opened_at
                    if rng.random() < NO_SHOW_SHARE * 1.2:
                        hours_demo.no_show(store, rng, vehicle_id=rng.choice(vehicles).id, advisor_id=advisor.id,
                                           day=day, job=job)
            with clock.frozen(at):
                if ro is None:
                    ro = open_repair_order(store_id=store.id, vehicle_id=vehicle_id, actor_id=advisor.id,
                                           odometer_km=odometer, complaint=rng.choice(COMPLAINTS))
                    apply_canned_job(ro.id, job.id, store_id=store.id, actor_id=advisor.id)
                promised = hours_demo.promise_for(store, at, hours + (Decimal(6) if accident else 0),
                                                  days=rng.choice((1, 2)) if accident else 0)
                if accident:  # an accident car, paid by the insurer
                    update_repair_order(ro.id, store_id=store.id, actor_id=advisor.id, expected_version=ro.version,
                                        pay_type="insurance", insurer=rng.choice(INSURERS),
                                        claim_number=f"BA{day:%Y%m%d}{n:03d}", assessor="定损员" + rng.choice("王李张刘"),
                                        assessed_amount=Decimal(rng.randrange(2000, 9000)), promised_at=promised)
                    workshop_demo.paint_job_lines(ro.id, store_id=store.id, actor_id=advisor.id, rng=rng,
                                                  pay_type="insurance")
                    add_line(ro.id, store_id=store.id, actor_id=advisor.id, kind="part", description="前保险杠",
                             quantity="1", unit_price="1680", pay_type="insurance", code="5G0807221")
                elif kind < 0.2:  # a warranty repair: one of the parts the manufacturer replaces
                    number, description, price = rng.choice(WARRANTY_PARTS)
                    update_repair_order(ro.id, store_id=store.id, actor_id=advisor.id, expected_version=ro.version,
                                        pay_type="warranty", warranty_claim_ref=f"WC{day:%y%m%d}{n:02d}",
                                        promised_at=promised)
                    add_line(ro.id, store_id=store.id, actor_id=advisor.id, kind="part", description=description,
                             quantity="1", unit_price=price, pay_type="warranty", code=number)
                else:
                    update_repair_order(ro.id, store_id=store.id, actor_id=advisor.id, expected_version=ro.version,
                                        promised_at=promised)
                if comeback and comeback_candidates(ro):
                    mark_comeback(ro.id, comeback_candidates(ro)[0].id, store_id=store.id, actor_id=advisor.id)
            step = at + timedelta(minutes=rng.randrange(5, 30))
            if rng.random() < 0.25:  # the technician finds more work and waits for the customer's answer
                first = workshop.jobs_of(ro.id)[0]
                step = workshop_demo.run_job(first.id, store=store, crew=crew, controller_id=controller.id, at=step,
                                             rng=rng, stop="paused_approval")
                text, extra, part, price = rng.choice(FINDINGS)
                with clock.frozen(step):
                    finding = report_finding(ro.id, store_id=store.id, actor_id=first.technician_id,
                                             description=text, labour_hours=extra, parts_description=part,
                                             parts_amount=price)
                step = hours_demo.on_shift(store, step + timedelta(minutes=rng.randrange(10, 60)))
                declined = rng.random() < 0.45
                with clock.frozen(step):
                    # approved: the advisor tells the customer the new time, and promises it
                    answer_finding(finding.id, store_id=store.id, actor_id=advisor.id, approved=not declined,
                                   channel=rng.choice(("phone", "in_person", "message")),
                                   decline_reason=rng.choice(("下次保养再做", "价格考虑一下", "时间来不及"))
                                   if declined else None,
                                   promised_at=None if declined else max(
                                       ro.promised_at, hours_demo.promise_for(store, step, hours + Decimal(extra))))
            parts_at = hours_demo.on_shift(store, step + timedelta(minutes=25))
            step = workshop_demo.work_through(ro.id, store=store, crew=crew, controller_id=controller.id, at=step,
                                              rng=rng)
            parts_demo.issue_visit(ro.id, counter=counter, rng=rng, at=parts_at)
            step = workshop_demo.inspect_and_wash(ro.id, store=store, crew=crew, controller_id=controller.id,
                                                  inspector_id=inspector.id, at=step, rng=rng)
            with clock.frozen(_collected(store, rng, ro, step)):
                due = settlement(ro).customer_due
                if due > 0:
                    record_payment(ro.id, store_id=store.id, actor_id=advisor.id, payer="customer",
                                   method=rng.choice(("wechat", "alipay", "card", "cash")), amount=due)
                deliver(ro.id, store_id=store.id, actor_id=advisor.id, work_explained=True,
                        old_parts=rng.choice(("shown", "shown", "customer_keeps", "none")), car_clean=True,
                        keys_returned=True)
            recent = (recent + [(vehicle_id, ro.delivered_at)])[-40:]
    db.session.flush()
    return True


def _collected(store: Store, rng: random.Random, ro: RepairOrder, ready: datetime) -> datetime:
    """When the customer collects the car that was ready at `ready`: told it is ready, they come
    within the next hour or so, and by the promised time when the car was ready before it; a car
    ready after closing is collected the next morning."""
    come = ready + timedelta(minutes=rng.randrange(10, 80))
    if ro.promised_at is not None and ready < ro.promised_at and come > ro.promised_at:
        come = ready + (ro.promised_at - ready) * rng.uniform(0.3, 1)
    closing = clock.store_local_to_utc(datetime.combine(hours_demo.local(store, come).date(), store.closes_at)
                                       - timedelta(minutes=10), store.timezone)
    if come > closing:
        come = hours_demo.on_shift(store, closing + timedelta(hours=1)) + timedelta(minutes=rng.randrange(0, 40))
    return come
