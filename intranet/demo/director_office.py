"""The director's office in the demo store, made through the services as people would:

- the insurers the store works with (two partners) and two months of contacts — the partners near
  eight a month, one insurer left behind this month;
- the workshop's equipment with its maintenance cards and two months of checks recorded, one of
  them overdue, and the closing rounds' spot checks of those cards;
- the repair orders' paperwork as the advisors left it — most complete, a few without the key tag
  or the signed walk-around, a few with a missing claim number or a mistyped odometer — and the
  nightly form-quality figures of each past day.

Everything is decided by the repair order's number or a fixed seed, and written only where it is
missing, so running it again adds nothing."""
from __future__ import annotations

import random
import zlib
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Customer, PayType, RepairOrder, Role, ROStatus, Store, User
from intranet.core.services import holders_of
from intranet.director import equipment, form_quality, insurers
from intranet.director.models import (
    ContactChannel, Equipment, EquipmentSpotCheck, InspectionRound, InsurerContact, MaintenanceRecord, RoundSlot,
    RoundStatus,
)
from intranet.extensions import db
from intranet.reception.models import WalkAround

INSURERS = [  # name, partner, contact person, phone, contacts a month (before this one)
    ("人保财险", True, "王建平", "021-5810 9988", 8),
    ("平安产险", True, "刘晓东", "021-3863 1000", 9),
    ("太平洋保险", False, "陈静", "021-3396 5500", 4),
    ("中华联合", False, "赵磊", "021-6237 8800", 4),
    ("大地保险", False, "孙海燕", "021-5046 2288", 5),
    ("阳光保险", False, "周强", "021-6087 3311", 3),
]
BEHIND = "太平洋保险"  # this month nobody has called them yet
SUBJECTS = ["定损价格沟通", "季度送修量回顾", "争议案件协商", "理赔款回款进度", "推修政策沟通", "查勘员驻店安排",
            "工时单价谈判", "月度对账", "大额事故车定损会签", "续保客户推荐合作", "直赔流程优化", "配件价格目录更新"]
NOTES = ["对方同意按厂家指导价执行", "约定下周再对一次账", "回款预计月底到账", "需补充维修前照片", "",
         "对方提出工时单价下调 5%，未同意", "", "送修量比上月增加", ""]
THEIR_PEOPLE = ["定损员", "理赔经理", "渠道经理", "查勘员", "分公司车险部"]
CHANNELS = [(ContactChannel.VISIT, 3), (ContactChannel.RECEIVED, 3), (ContactChannel.PHONE, 4),
            (ContactChannel.MEETING, 1), (ContactChannel.MESSAGE, 2)]

# name, kind, where, serial, running hours now and a day ([] when it has no hour meter),
# checks: (name, every days, every hours)
EQUIPMENT = [
    *[(f"举升机{n}号", "lift", "机修车间 工位{}".format(n), f"LAUNCH-TLT240-{2019 + n % 3}-{n:03d}", None, [
        ("检查安全锁止装置", 7, None), ("检查钢丝绳、链条并润滑", 30, None), ("检查液压油位与油管", 90, None),
        ("特种设备年度检验", 365, None)]) for n in range(1, 6)],
    ("空压机", "compressor", "空压机房", "ATLAS-GA15-2020-0871", (6240, 9), [
        ("排放储气罐冷凝水", 7, None), ("检查安全阀", 30, None), ("更换压缩机油", None, 500),
        ("更换空气滤芯", None, 1000), ("储气罐年度检验", 365, None)]),
    ("烤漆房", "paint_booth", "钣喷车间", "GUANGLI-GL-8-2021-0033", (2130, 6), [
        ("清洁地面格栅", 7, None), ("更换底棉", None, 150), ("更换顶棉", None, 400), ("燃烧器检查", 180, None)]),
    ("四轮定位仪", "alignment", "机修车间 定位工位", "HUNTER-HAWKEYE-2022-1207", None, [
        ("清洁传感器与标靶", 30, None), ("定位仪校准", 180, None)]),
    ("诊断仪 VAS 6150", "diagnostic", "机修车间 工具室", "VAS6150E-2023-4411", None, [
        ("诊断软件更新", 30, None), ("电池与线束检查", 90, None)]),
    ("洗车机", "wash", "洗车房", "KARCHER-HDS-2021-0902", None, [("清洁喷嘴与过滤器", 7, None),
                                                               ("检查高压泵", 90, None)]),
    ("焊机", "welding", "钣喷车间", "MIG-NBC350-2020-0518", None, [("检查焊枪与电缆", 30, None),
                                                             ("检查接地与漏电保护", 90, None)]),
]
OVERDUE = ("举升机3号", "检查钢丝绳、链条并润滑", 4)  # the one check left four days past due

# the paperwork left undone, per thousand repair orders (chosen by the RO number)
NO_WALK_AROUND, NO_KEY_TAG, NO_CLAIM_NUMBER, ODOMETER_TYPO = 25, 15, 120, 12


def _at(store: Store, day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), store.timezone)


def _pick(number: str, salt: str) -> int:
    """A number 0–999 fixed by the repair order's number: the same decision on every run."""
    return zlib.crc32(f"{salt}:{number}".encode()) % 1000


def seed_office(store: Store, today: date, history_days: int = 60) -> None:
    """Insurers and contacts, equipment and cards, paperwork and form-quality figures. Call it after
    the repair-order history and the director's rounds exist (it spot-checks the closing rounds)."""
    rng = random.Random(f"office-{store.code}")
    users = dict(db.session.execute(select(User.username, User.id).where(User.store_id == store.id)).all())
    _seed_insurers(store, rng, today, users)
    _seed_equipment(store, rng, today, history_days, users)
    _seed_spot_checks(store, today, users)
    complete_paperwork(store, today)
    for back in range(history_days, 0, -1):
        form_quality.record_day(store.id, today - timedelta(days=back))
    db.session.flush()


# ------------------------------------------------------------------ insurers

def _seed_insurers(store: Store, rng: random.Random, today: date, users: dict[str, int]) -> None:
    known = {i.name: i for i in insurers.insurers(store.id, active_only=False)}
    for name, partner, person, phone, _per_month in INSURERS:
        if name not in known:
            known[name] = insurers.save_insurer(store_id=store.id, name=name, partner=partner,
                                                contact_person=person, phone=phone)
    if db.session.scalar(select(func.count(InsurerContact.id)).where(InsurerContact.store_id == store.id)):
        return
    who = [users[u] for u in ("director", "director", "director", "accident") if u in users] or holders_of(
        store.id, Role.DIRECTOR, Role.ACCIDENT)
    if not who:
        return
    now = clock.utcnow()
    this_month = insurers.month_start_of(today)
    last_month = insurers.month_start_of(this_month - timedelta(days=1))
    elapsed, days_in_month = insurers.month_elapsed(this_month, today)
    channels, weights = zip(*CHANNELS, strict=True)
    for name, partner, person, _phone, per_month in INSURERS:
        insurer = known[name]
        plans = [(last_month, (this_month - last_month).days, per_month + rng.choice((-1, 0, 0, 1)))]
        due_by_now = per_month * elapsed // days_in_month
        plans.append((this_month, elapsed, 0 if name == BEHIND else max(due_by_now + rng.choice((-1, 0, 1)), 0)))
        for month, span, how_many in plans:
            for day_offset in sorted(rng.sample(range(span), min(how_many, span))):
                day = month + timedelta(days=day_offset)
                at = _at(store, day, rng.randrange(9, 17), rng.choice((0, 15, 30, 45)))
                if at > now:
                    at = now - timedelta(minutes=rng.randrange(20, 90))
                with clock.frozen(min(at + timedelta(minutes=30), now)):
                    insurers.log_contact(
                        store_id=store.id, actor_id=rng.choice(who), insurer_id=insurer.id,
                        subject=rng.choice(SUBJECTS), channel=rng.choices(channels, weights)[0],
                        their_person=person if rng.random() < 0.6 else rng.choice(THEIR_PEOPLE),
                        note=rng.choice(NOTES), at=clock.to_store_time(at, store.timezone).replace(tzinfo=None))


# ------------------------------------------------------------------ equipment and cards

def _seed_equipment(store: Store, rng: random.Random, today: date, history_days: int,
                    users: dict[str, int]) -> None:
    existing = {e.name for e in db.session.scalars(select(Equipment).where(Equipment.store_id == store.id))}
    fresh = []
    for name, kind, where, serial, hours, checks in EQUIPMENT:
        if name in existing:
            continue
        piece = equipment.save_equipment(store_id=store.id, name=name, kind=kind, location=where, serial=serial)
        for check, every_days, every_hours in checks:
            equipment.save_task(store_id=store.id, equipment_id=piece.id, name=check, every_days=every_days,
                                every_hours=every_hours)
        fresh.append((piece, hours))
    if not fresh or db.session.scalar(select(MaintenanceRecord.id).where(
            MaintenanceRecord.store_id == store.id).limit(1)):
        return
    doers = [users[u] for u in ("controller", "tech1", "tech2", "tech4") if u in users] or [None]
    events = []  # (day, piece, task, hours reading)
    for piece, hours in fresh:
        now_reading, per_day = hours or (None, None)

        def reading(day: date, now_reading=now_reading, per_day=per_day) -> int | None:
            return None if now_reading is None else now_reading - per_day * (today - day).days

        for task in piece.tasks:
            period = task.every_days or round(task.every_hours / per_day)
            overdue_by = OVERDUE[2] if (piece.name, task.name) == OVERDUE[:2] else None
            offset = period + overdue_by if overdue_by else rng.randrange(0, max(int(period * 0.85), 1))
            day = today - timedelta(days=offset)
            while True:
                events.append((day, piece, task, reading(day)))
                day -= timedelta(days=max(period - rng.choice((0, 0, 1, 2)), 1))
                if day < today - timedelta(days=history_days):
                    break
    for day, piece, task, hours in sorted(events, key=lambda e: (e[0], e[1].id, e[2].id)):
        with clock.frozen(_at(store, day, 17, 30)):
            equipment.record_check(store_id=store.id, actor_id=rng.choice(doers), task_id=task.id, done_on=day,
                                   hours_reading=hours, note=None)
    for piece, hours in fresh:
        if hours:
            equipment.update_hours(store_id=store.id, equipment_id=piece.id, reading=hours[0], read_on=today)


def _seed_spot_checks(store: Store, today: date, users: dict[str, int]) -> None:
    """The closing rounds walked before today looked at their cards; all were found up to date."""
    if db.session.scalar(select(EquipmentSpotCheck.id).where(EquipmentSpotCheck.store_id == store.id).limit(1)):
        return
    director = users.get("director")
    closing = db.session.execute(
        select(InspectionRound.id, InspectionRound.day, InspectionRound.finished_at)
        .join(RoundSlot, RoundSlot.id == InspectionRound.slot_id)
        .where(InspectionRound.store_id == store.id, RoundSlot.closing.is_(True), InspectionRound.day < today,
               InspectionRound.status == RoundStatus.DONE)
        .order_by(InspectionRound.day)).all()
    for round_id, day, finished_at in closing:  # finished rounds take no answers: written as they were given
        checked_at = (finished_at or _at(store, day, 18, 20)) - timedelta(minutes=3)
        for row in equipment.spot_check_list(store.id, round_id, day):
            db.session.add(EquipmentSpotCheck(store_id=store.id, round_id=round_id, equipment_id=row.equipment.id,
                                              card_ok=True, checked_by_id=director, checked_at=checked_at))
        db.session.flush()


# ------------------------------------------------------------------ the repair orders' paperwork

def complete_paperwork(store: Store, today: date) -> None:
    """What the advisors filled in on the repair orders the demo history opened: the signed
    walk-around and the key tag on most (the cars still on site keep the key board's own tags),
    a claim number forgotten on some insurance jobs, an odometer mistyped now and then."""
    start, _ = clock.store_day_bounds_utc(today, store.timezone)
    ros = list(db.session.scalars(select(RepairOrder).where(RepairOrder.store_id == store.id,
                                                           RepairOrder.status != ROStatus.CANCELLED)
                                  .order_by(RepairOrder.opened_at, RepairOrder.id)))
    signed = set(db.session.scalars(select(WalkAround.repair_order_id).join(
        RepairOrder, RepairOrder.id == WalkAround.repair_order_id).where(RepairOrder.store_id == store.id)))
    customers = {ro.customer_id for ro in ros}
    names = dict(db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customers))).all()) \
        if customers else {}
    previous: dict[int, int] = {}
    tags = iter(range(1, 10**6))
    for ro in ros:
        number = ro.number
        if ro.id not in signed and _pick(number, "walk") >= NO_WALK_AROUND:
            checked = ro.opened_at + timedelta(minutes=4 + _pick(number, "minutes") % 8)
            db.session.add(WalkAround(repair_order_id=ro.id, fuel_eighths=_pick(number, "fuel") % 9,
                                      valuables="无", signed_name=names.get(ro.customer_id), signed_at=checked,
                                      checked_by_id=ro.advisor_id, checked_at=checked))
        delivered = ro.status in (ROStatus.DELIVERED, ROStatus.CLOSED)
        if not ro.key_tag and delivered and _pick(number, "key") >= NO_KEY_TAG:
            ro.key_tag = f"{next(tags) % 200 + 1:03d}"
        if ro.opened_at < start and delivered:
            if (ro.claim_number and _pick(number, "claim") < NO_CLAIM_NUMBER
                    and any(line.pay_type == PayType.INSURANCE for line in ro.lines)):
                ro.claim_number = None
            last = previous.get(ro.vehicle_id)
            if (last and ro.odometer_km and ro.odometer_km >= last and ro.odometer_km >= 10000
                    and _pick(number, "odometer") < ODOMETER_TYPO):
                ro.odometer_km //= 10  # a digit left out
        if ro.odometer_km is not None:
            previous[ro.vehicle_id] = ro.odometer_km
    db.session.flush()

