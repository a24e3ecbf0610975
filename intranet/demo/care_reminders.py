"""Demo reminders, win-back lists and events: the nightly reminder job run for each day of the
history (its messages sent that morning, a few bouncing off a dead number), the agents working
through the reminders as they would — most done, some not needed, the last days still open —,
last month's win-back list fully called and this month's half way, one past event with its
replies and two coming ones with their invitations.

Each part looks whether it was seeded already, and every draw comes from a fixed seed: a rerun
adds nothing."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from intranet import clock
from intranet.care import events, lapsed, reminders
from intranet.care.gateway import GatewayError, send_batch
from intranet.care.models import (
    CareReminder, EventInvitation, InvitationReply, LostCause, ReminderStatus, StoreEvent, WinBackCall,
)
from intranet.care.service_due import add_months
from intranet.core.models import Customer, Role, Store
from intranet.core.services import holders_of
from intranet.extensions import db

OUTCOMES = {
    "maintenance": ["已预约本周六上午保养", "客户说下周自己来店", "已预约，需要代步车", "客户出差，月底再约",
                    "已在微信上预约保养"],
    "inspection": ["客户同意本店代办年审", "客户自己去车管所办理", "已预约年审前检测", "客户说车辆准备置换"],
    "insurance": ["已报价，客户同意在本店续保", "客户比价中，三天后再联系", "客户已在其他渠道续保", "已续保人保，已出单",
                  "客户要求发报价到微信"],
    "birthday": ["已电话祝福，礼品到店领取", "已寄出生日礼品（车载香薰）", "客户很开心，下次保养来拿礼品"],
}
DISMISS = ["车辆已卖出", "客户已在外地，不再回店", "已在其他店做过", "号码是空号，已转客户档案更正"]
CAUSE_WEIGHTS = ((LostCause.NATURAL, 20), (LostCause.COMPETITOR, 22), (LostCause.MARKET, 18),
                 (LostCause.NEGLECT, 12), (LostCause.QUALITY, 10), (LostCause.TRUST, 10), (LostCause.STAFF_LEFT, 8))
CAUSE_NOTES = {
    LostCause.NATURAL: ["搬到苏州了", "车已经卖了", "换了电动车，不在本品牌"],
    LostCause.COMPETITOR: ["家附近新开了一家4S店", "在快修连锁店做保养，便宜", "朋友介绍去了别的店"],
    LostCause.MARKET: ["保险在网上买更便宜", "工时费比外面贵", "出保修期了，去路边店"],
    LostCause.NEGLECT: ["上次来没人接待，等了很久", "觉得我们只重视大客户", "打电话预约没人回"],
    LostCause.QUALITY: ["上次保养后还是有异响", "同一个问题修了两次没修好"],
    LostCause.TRUST: ["觉得我们乱推销项目", "结算价和报价不一样"],
    LostCause.STAFF_LEFT: ["原来的服务顾问离职了，跟着他走了", "熟悉的师傅走了"],
}


class DemoGateway:
    """Takes every message but the ones to a suspended number (about one in thirty)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def send(self, channel: str, to: str, body: str) -> str:
        if self.rng.random() < 0.035:
            raise GatewayError("号码已停机" if channel == "sms" else "用户已取消关注")
        return f"demo-{self.rng.randrange(16**10):010x}"


def _at(day: date, hour: int, minute: int, tz: str) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), tz)


def seed_reminders(store: Store, today: date, history_days: int = 60) -> None:
    rng = random.Random(f"reminders-{store.code}")
    _fill_last_visits(store, today)
    _seed_reminders(store, today, history_days, rng)
    _seed_win_back(store, today, rng)
    _seed_events(store, today, rng)
    with clock.frozen(_at(today, 2, 10, store.timezone)):
        reminders.make_reminders(store.id, today)  # last night's run: its messages wait for the morning
    db.session.flush()


def _fill_last_visits(store: Store, today: date) -> None:
    """Customers without a visit in the history came before it: from two months to three years ago
    (a good part of them more than a year ago — the lapsed customers)."""
    for customer in db.session.scalars(select(Customer).where(Customer.store_id == store.id,
                                                              Customer.last_visit_on.is_(None))):
        draw = random.Random(f"last-visit-{customer.id}")
        customer.last_visit_on = today - timedelta(days=draw.choice((
            draw.randrange(61, 360), draw.randrange(61, 360), draw.randrange(370, 1100))))
    db.session.flush()


def _seed_reminders(store: Store, today: date, history_days: int, rng: random.Random) -> None:
    if db.session.scalar(select(func.count(CareReminder.id)).where(CareReminder.store_id == store.id)):
        return
    gateway = DemoGateway(rng)
    for back in range(history_days, 0, -1):
        day = today - timedelta(days=back)
        with clock.frozen(_at(day, 2, 10, store.timezone)):
            reminders.make_reminders(store.id, day)
        with clock.frozen(_at(day, 9, 5, store.timezone)):
            send_batch(gateway, store_id=store.id, limit=1000)
        _work_reminders(store, day, today, rng)


def _work_reminders(store: Store, day: date, today: date, rng: random.Random) -> None:
    """The agents handle the reminders due on `day` over the next day or two; those of the last
    two days are still on the list."""
    if day >= today - timedelta(days=2):
        return
    due = db.session.scalars(select(CareReminder).where(
        CareReminder.store_id == store.id, CareReminder.status == ReminderStatus.OPEN,
        CareReminder.due_on == day).order_by(CareReminder.id)).all()
    for reminder in due:
        fate = rng.random()
        if fate < 0.1:
            continue  # forgotten: still open, late
        when = _at(day + timedelta(days=rng.choice((0, 0, 1))), rng.randrange(9, 17), rng.randrange(60),
                   store.timezone)
        actor = reminder.agent_id or (holders_of(store.id, Role.CARE) or [None])[0]
        with clock.frozen(when):
            if fate < 0.22:
                reminders.dismiss(reminder.id, store_id=store.id, actor_id=actor, reason=rng.choice(DISMISS))
            else:
                reminders.complete(reminder.id, store_id=store.id, actor_id=actor,
                                   outcome=rng.choice(OUTCOMES[reminder.kind]))


def _seed_win_back(store: Store, today: date, rng: random.Random) -> None:
    if db.session.scalar(select(func.count(WinBackCall.id)).where(WinBackCall.store_id == store.id)):
        return
    this_month = lapsed.month_start(today)
    last_month = add_months(this_month, -1)
    causes, weights = zip(*CAUSE_WEIGHTS, strict=True)
    for month, share in ((last_month, 1.0), (this_month, 0.45)):
        with clock.frozen(_at(month, 2, 40, store.timezone)):
            lapsed.make_win_back_list(store.id, month)
        calls = db.session.scalars(select(WinBackCall).where(
            WinBackCall.store_id == store.id, WinBackCall.list_month == month).order_by(WinBackCall.id)).all()
        days = max((min(today, add_months(month, 1)) - month).days, 1)
        for call in calls:
            if rng.random() > share or month + timedelta(days=1) >= today:
                continue
            actor = call.agent_id
            first = month + timedelta(days=rng.randrange(0, max(days - 1, 1)))
            never = rng.random() < 0.3
            tries = rng.choice((0, 0, 1, 2)) or (1 if never else 0)
            for attempt in range(tries):  # unanswered tries first
                with clock.frozen(_at(first + timedelta(days=attempt), rng.randrange(10, 19), rng.randrange(60),
                                      store.timezone)):
                    lapsed.record_outcome(call.id, store_id=store.id, actor_id=actor, reached=False,
                                          note=rng.choice(("无人接听", "关机", "占线", None)))
            if never:
                continue
            cause = rng.choices(causes, weights)[0]
            with clock.frozen(_at(min(first + timedelta(days=3), today - timedelta(days=1)), rng.randrange(10, 19),
                                  rng.randrange(60), store.timezone)):
                lapsed.record_outcome(call.id, store_id=store.id, actor_id=actor, reached=True, lost_cause=cause,
                                      will_return=None if cause == LostCause.NATURAL else rng.random() < 0.35,
                                      note=rng.choice(CAUSE_NOTES[cause]))
    lapsed.mark_won_back(store.id)


def _seed_events(store: Store, today: date, rng: random.Random) -> None:
    if db.session.scalar(select(func.count(StoreEvent.id)).where(StoreEvent.store_id == store.id)):
        return
    director = (holders_of(store.id, Role.DIRECTOR) or holders_of(store.id, Role.CARE) or [None])[0]
    agent = (holders_of(store.id, Role.CARE) or [director])[0]
    plans = [
        # title, days from today, place, description, capacity, created days before, audience
        ("车主爱车养护讲堂", -18, "售后客户休息区", "技术总监讲解日常检查与保养误区，现场免费检测轮胎与电瓶。", 40, 40,
         events.Audience(visited_within_months=6)),
        ("冬季免费检测日", 10, "售后车间", "免费 30 项冬季安全检测，玻璃水、防冻液免费加注。", None, 20,
         events.Audience()),
        ("新能源车主用车讲堂", 30, "展厅二楼会议室", "电池保养、冬季续航与充电安全，工程师现场答疑。", 30, 2,
         events.Audience(model="ID.")),
    ]
    for title, offset, place, description, capacity, created_before, audience in plans:
        held_on = today + timedelta(days=offset)
        created = held_on - timedelta(days=created_before) if offset < 0 else today - timedelta(days=created_before)
        with clock.frozen(_at(created, 10, 30, store.timezone)):
            event = events.create_event(store_id=store.id, actor_id=director, title=title, held_on=held_on,
                                        today=created, place=place, description=description, capacity=capacity)
            events.invite(event.id, store_id=store.id, actor_id=agent, audience=audience, today=created)
        notice = events.notify_on(event)
        if notice <= today:
            with clock.frozen(_at(max(notice, created), 9, 30, store.timezone)):
                events.notify_event(event, max(notice, created))
                send_batch(DemoGateway(rng), store_id=store.id, limit=1000)
            _replies(store, event, agent, max(notice, created), min(today, held_on - timedelta(days=1)), rng)


def _replies(store: Store, event: StoreEvent, agent: int | None, first: date, last: date,
             rng: random.Random) -> None:
    invitations = db.session.scalars(select(EventInvitation).where(EventInvitation.event_id == event.id)
                                     .order_by(EventInvitation.id)).all()
    span = max((last - first).days, 0)
    taken = 0
    for invitation in invitations:
        draw = rng.random()
        reply = (InvitationReply.YES if draw < 0.3 else InvitationReply.NO if draw < 0.5
                 else InvitationReply.MAYBE if draw < 0.58 else None)
        if reply is None:
            continue
        guests = rng.choice((1, 1, 2, 2, 3)) if reply != InvitationReply.NO else None
        if reply == InvitationReply.YES and event.capacity and taken + guests > event.capacity:
            reply, guests = InvitationReply.MAYBE, 1
        when = _at(first + timedelta(days=rng.randrange(0, span + 1)), rng.randrange(9, 18), rng.randrange(60),
                   store.timezone)
        with clock.frozen(when):
            events.record_reply(invitation.id, store_id=store.id, actor_id=agent, reply=reply, guests=guests,
                                note=rng.choice((None, None, "带孩子一起来", "希望安排上午", "需要停车位")))
        if reply == InvitationReply.YES:
            taken += guests

