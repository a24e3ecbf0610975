"""Demo complaints: two months of them in every state — most closed after the whole loop, a few
judged not justified with the explanation given, the recent ones still on their way (some late).
Complaints the follow-up calls already opened are worked through the same way. Every step runs
with the clock frozen at its historic moment, so the record and the statistics read true.
Idempotent: complaints are created once (by their description), and only complaints still at
"registered" are advanced, each to a target fixed by its number."""
from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select

from intranet import clock
from intranet.care import complaints
from intranet.care.models import Complaint, ComplaintChannel, ComplaintStatus
from intranet.care.settings import settings_for
from intranet.core.models import RepairOrder, Role, Store, User
from intranet.core.services import holders_of
from intranet.errors import DomainError
from intranet.extensions import db

# category → what was found, where, the solutions proposed (text, cost) and the improvement
CASES = {
    "quality": [("机油滤清器未按规定力矩拧紧，导致发动机异响", "workshop",
                 [("免费返修", "0"), ("赠送保养券一张", "200")], "保养后增加终检试车环节"),
                ("刹车片安装时未涂抹消音膏", "workshop", [("免费重新安装刹车片", "0"), ("退还部分工时费", "120")],
                 "刹车作业增加班组长复检"),
                ("空调系统抽真空不彻底，冷媒加注量不足", "workshop", [("免费重新抽真空并加注冷媒", "0")],
                 "空调作业后必须测量出风口温度")],
    "time": [("配件到货延迟，服务顾问未及时告知客户", "service",
              [("退还部分工时费", "150"), ("赠送洗车券两张", "60")], "交车时间变化必须提前1小时告知客户")],
    "parts": [("厂家配件缺货，订货后无人跟踪", "parts", [("赠送保养券一张", "300"), ("提供代步车", "0")],
               "订货后每天跟踪到货并告知客户")],
    "cleanliness": [("洗车工漏擦座椅，交车前未检查内饰", "workshop", [("免费精洗内饰", "120")],
                     "交车前服务顾问检查车辆清洁")],
    "service": [("服务顾问接待高峰时沟通不到位，未解释维修项目", "service",
                 [("服务经理上门致歉并赠送保养券", "200")], "每周开展服务礼仪与沟通培训")],
    "price": [("增项未经客户签字确认", "service", [("退还部分工时费", "180"), ("下次保养工时八折", "0")],
               "增项必须客户签字确认后再施工")],
    "other": [("停车场引导不到位", "other", [("赠送洗车券", "30")], "高峰时段安排专人引导停车")],
}
NEW = [  # (category, channel, what the customer says), oldest first
    ("quality", "phone", "保养后发动机异响，怠速时尤其明显"),
    ("time", "walk_in", "交车时间比承诺晚两小时，耽误了下午的事"),
    ("quality", "phone", "保养后油耗明显变高"),
    ("cleanliness", "walk_in", "洗车不干净，座椅有油污"),
    ("parts", "phone", "配件等了一周还没到，也没人通知进度"),
    ("price", "walk_in", "要求免费更换轮胎"),
    ("service", "manufacturer", "服务顾问态度冷淡，问问题爱答不理"),
    ("price", "online", "工时费比预估贵了不少，增项没提前说"),
    ("cleanliness", "online", "方向盘和换挡杆上有黑手印"),
    ("quality", "walk_in", "空调维修后还是不制冷"),
    ("service", "phone", "打了三次电话都没人回复"),
    ("parts", "letter", "更换的雨刮片型号不对"),
    ("other", "walk_in", "停车场没人引导，差点剐蹭"),
    ("quality", "manufacturer", "刹车片更换后仍有异响"),
    ("time", "phone", "预约了九点到店，等了四十分钟才接车"),
]
UNJUSTIFIED = {
    "保养后油耗明显变高": "已向客户说明：冬季气温低、暖车时间长，油耗略有上升属正常现象，与本次保养无关；"
                         "已邀请客户一周后免费复查",
    "要求免费更换轮胎": "已向客户解释：轮胎为正常磨损，不在保修范围；已提供轮胎更换九折优惠",
}
# the newest few are left at a chosen step, so that every state shows
FIXED_TARGET = {
    "方向盘和换挡杆上有黑手印": ComplaintStatus.CALLING_BACK,
    "空调维修后还是不制冷": ComplaintStatus.CONFIRMING,
    "打了三次电话都没人回复": ComplaintStatus.CARRYING_OUT,
    "更换的雨刮片型号不对": ComplaintStatus.APPROVING,
    "停车场没人引导，差点剐蹭": ComplaintStatus.PROPOSING,
    "刹车片更换后仍有异响": ComplaintStatus.INVESTIGATING,
}
CALL_BACKS = ["客户表示满意，感谢及时处理", "客户满意，说下次还来", "客户认可处理结果", "客户表示问题已解决"]
NOT_SATISFIED = "客户说问题还没完全解决，要求再处理一次"
# the order the loop goes in
ORDER = [ComplaintStatus.REGISTERED, ComplaintStatus.INVESTIGATING, ComplaintStatus.PROPOSING,
         ComplaintStatus.APPROVING, ComplaintStatus.CARRYING_OUT, ComplaintStatus.CONFIRMING,
         ComplaintStatus.CALLING_BACK, ComplaintStatus.CLOSED]


def _signature_png(name: str, rng: random.Random) -> bytes:
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x, y = 60, 130
    points = [(x, y)]
    for _i in range(14):
        x += rng.randrange(20, 40)
        y = max(40, min(190, y + rng.randrange(-50, 50)))
        points.append((x, y))
    draw.line(points, fill=(20, 33, 61, 255), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _target(age_days: float, rng: random.Random) -> ComplaintStatus:
    """How far a complaint received `age_days` ago has come."""
    if age_days > 14:
        return ComplaintStatus.CLOSED if rng.random() < 0.97 else ComplaintStatus.CARRYING_OUT
    if age_days > 6:
        return ComplaintStatus.CLOSED if rng.random() < 0.75 else rng.choice(
            (ComplaintStatus.CALLING_BACK, ComplaintStatus.CONFIRMING, ComplaintStatus.CARRYING_OUT))
    if age_days > 2:
        return rng.choice((ComplaintStatus.APPROVING, ComplaintStatus.PROPOSING, ComplaintStatus.CARRYING_OUT,
                           ComplaintStatus.INVESTIGATING))
    if age_days > 0.6:
        return rng.choice((ComplaintStatus.INVESTIGATING, ComplaintStatus.REGISTERED))
    return ComplaintStatus.REGISTERED


def seed_complaints(store: Store, today: date, history_days: int = 60) -> int:
    """Create the demo complaints (once) and work every complaint still at "registered" through the
    loop as far as its age allows. Returns the number of complaints created."""
    settings_for(store.id)
    rng = random.Random(f"complaints-{store.code}")
    created = _create(store, today, history_days, rng)
    waiting = list(db.session.scalars(select(Complaint).where(
        Complaint.store_id == store.id, Complaint.status == ComplaintStatus.REGISTERED).order_by(Complaint.id)))
    for complaint in waiting:
        _advance(store, complaint, today)
    db.session.flush()
    return created


def _create(store: Store, today: date, history_days: int, rng: random.Random) -> int:
    texts = [text for _c, _ch, text in NEW]
    if db.session.scalar(select(Complaint.id).where(Complaint.store_id == store.id,
                                                    Complaint.description.in_(texts)).limit(1)):
        return 0
    start, _end = clock.store_day_bounds_utc(today - timedelta(days=history_days), store.timezone)
    orders = list(db.session.scalars(select(RepairOrder).where(
        RepairOrder.store_id == store.id, RepairOrder.delivered_at.is_not(None), RepairOrder.delivered_at >= start,
        RepairOrder.customer_id.is_not(None)).order_by(RepairOrder.delivered_at)))
    if not orders:
        return 0
    registrar = (holders_of(store.id, Role.CARE) or [None])[0]
    now = clock.utcnow()
    made = 0
    # spread over the two months, the newest few in the last days so every state shows
    ages = sorted([rng.uniform(15, history_days - 2) for _i in range(len(NEW) - 7)] +
                  [rng.uniform(7, 14) for _i in range(4)] + [rng.uniform(3, 6)] +
                  [rng.uniform(0.8, 2), rng.uniform(0.05, 0.4)], reverse=True)
    for (category, channel, text), age in zip(NEW, ages, strict=True):
        received = now - timedelta(days=age)
        local = clock.to_store_time(received, store.timezone)
        if not 9 <= local.hour < 18:  # complaints come in during the working day
            local = local.replace(hour=rng.randrange(9, 17), minute=rng.randrange(0, 59))
            received = clock.store_local_to_utc(local.replace(tzinfo=None), store.timezone)
            if received > now:
                received = now - timedelta(minutes=rng.randrange(10, 50))
        before = [o for o in orders if o.delivered_at < received - timedelta(hours=6)]
        ro = rng.choice(before[-40:]) if before else None
        if ro is None:
            continue
        with clock.frozen(received):
            complaints.register_complaint(
                store_id=store.id, customer_id=ro.customer_id, actor_id=None if channel == "online" else registrar,
                channel=ComplaintChannel(channel), category=category, description=text, received_at=received,
                repair_order_id=ro.id)
        made += 1
    db.session.flush()
    return made


def _people(store: Store) -> dict:
    care = holders_of(store.id, Role.CARE)
    managers = holders_of(store.id, Role.MANAGER)
    directors = holders_of(store.id, Role.DIRECTOR)
    return {"care": care[0] if care else None, "manager": managers[0] if managers else None,
            "director": directors[0] if directors else None,
            "techs": holders_of(store.id, Role.TECHNICIAN)}


def _advance(store: Store, complaint: Complaint, today: date) -> None:
    rng = random.Random(f"complaint-{complaint.number}")
    now = clock.utcnow()
    age = (now - complaint.received_at).total_seconds() / 86400
    people = _people(store)
    unjustified = complaint.description in UNJUSTIFIED or (
        complaint.channel != ComplaintChannel.FOLLOW_UP and rng.random() < 0.08)
    target = FIXED_TARGET.get(complaint.description) or _target(age, rng)
    if target == ComplaintStatus.REGISTERED:
        return
    care = people["care"]
    approver = people["manager"] if rng.random() < 0.75 or not people["director"] else people["director"]
    doer = complaint.advisor_id if complaint.advisor_id and db.session.get(User, complaint.advisor_id).has_role(
        Role.ADVISOR) else care
    cases = CASES.get(complaint.category) or CASES["other"]
    case = next((c for c in cases for word in ("刹车", "空调") if word in complaint.description and word in c[0]),
                None) or (cases[0] if complaint.category == "quality" else rng.choice(cases))
    cause, department, solutions, improvement = case
    # step moments: mostly inside each step's hours, a few late
    at = complaint.received_at

    def step(hours_min: float, hours_max: float) -> datetime | None:
        nonlocal at
        at = at + timedelta(hours=rng.uniform(hours_min, hours_max))
        local = clock.to_store_time(at, store.timezone)
        if local.hour >= 19 or local.hour < 9:  # the next working morning
            day = local.date() + timedelta(days=1 if local.hour >= 19 else 0)
            at = clock.store_local_to_utc(datetime.combine(day, time(9, rng.randrange(0, 50))), store.timezone)
        return at if at < now - timedelta(minutes=30) else None

    def run(moment, action) -> bool:
        if moment is None:
            return False
        with clock.frozen(moment):
            try:
                with db.session.begin_nested():
                    action({"store_id": store.id, "version": complaint.version})
            except DomainError:
                return False
        return True

    late = rng.random() < 0.15
    if not run(step(1, 30 if late else 8), lambda k: complaints.judge(
            complaint.id, actor_id=care, justified=not unjustified,
            explanation=UNJUSTIFIED.get(complaint.description, "已向客户解释原因，客户表示理解") if unjustified else None,
            **k)):
        return
    if unjustified:
        return

    def upto(status: ComplaintStatus) -> bool:
        return ORDER.index(target) >= ORDER.index(status)

    responsible = rng.choice(people["techs"]) if department == "workshop" and people["techs"] else (
        complaint.advisor_id if department == "service" else None)
    if not upto(ComplaintStatus.PROPOSING) or not run(step(4, 60 if late else 40), lambda k: complaints.investigate(
            complaint.id, actor_id=care, cause=cause, department=department, responsible_id=responsible, **k)):
        return
    for text, cost in solutions:
        if not run(step(0.2, 2), lambda k, text=text, cost=cost: complaints.add_solution(
                complaint.id, actor_id=care, text=text, cost=cost, **k)):
            return
    if not upto(ComplaintStatus.APPROVING) or not run(step(0.2, 3), lambda k: complaints.submit_for_approval(
            complaint.id, actor_id=care, **k)):
        return
    if len(solutions) > 1 and rng.random() < 0.2:  # the manager sends it back once
        if not run(step(1, 8), lambda k: complaints.reject(complaint.id, actor_id=approver,
                                                           reason="方案成本偏高，请再考虑", **k)):
            return
        if not run(step(1, 6), lambda k: complaints.submit_for_approval(complaint.id, actor_id=care, **k)):
            return
    if not upto(ComplaintStatus.CARRYING_OUT):
        return
    chosen = complaint.solutions[0 if rng.random() < 0.7 else -1].id
    if not run(step(1, 30 if late else 12), lambda k: complaints.approve(complaint.id, chosen, actor_id=approver,
                                                                         **k)):
        return
    chosen_text = next(s.text for s in complaint.solutions if s.id == chosen)
    if not upto(ComplaintStatus.CONFIRMING) or not run(step(4, 90 if late else 60), lambda k: complaints.carry_out(
            complaint.id, actor_id=doer, note=f"已为客户{chosen_text}，客户到店确认",
            penalty_note="按制度扣责任人绩效100元" if responsible and rng.random() < 0.5 else None, **k)):
        return
    if not upto(ComplaintStatus.CALLING_BACK):
        return
    signature = rng.random() < 0.5
    name = complaint.customer.name
    if not run(step(0.5, 20), lambda k: complaints.confirm(
            complaint.id, actor_id=doer, kind="signature" if signature else "recorded", signed_name=name,
            signature_png=_signature_png(name, rng) if signature else None,
            recording_ref=None if signature else f"电话录音 {clock.to_store_time(at, store.timezone):%Y%m%d-%H%M}",
            photo_folder=current_app.config["PHOTO_FOLDER"], **k)):
        return
    if not upto(ComplaintStatus.CLOSED):
        return
    run(step(20, 40 if late else 24), lambda k: complaints.call_back(
        complaint.id, actor_id=care, note=rng.choice(CALL_BACKS), satisfied=True, improvement=improvement, **k))
