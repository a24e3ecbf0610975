"""Demo follow-up calls: the deliveries of the history made their first calls; this works through
them day by day as the agents would have — most customers reached and satisfied, some reached
only on a second try, a few never (expired), and some unhappy ones whose complaints open and who
are called again until satisfied. Today's and yesterday's calls are left for the queue."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, true

from intranet import clock
from intranet.care import calls, questions
from intranet.care.models import CallAttempt, CallKind, CallStatus, Complaint, FollowUpCall
from intranet.care.staff import supervisor_of
from intranet.core.models import Role, Store
from intranet.core.services import holders_of
from intranet.extensions import db

PRAISE = ["挺好的，服务很周到", "师傅很专业", "速度挺快", "休息区不错", "没什么建议", "洗车很干净", "价格透明"]
GRIPES = [  # (topic, what the customer said)
    ("quality", "保养后发动机有异响"), ("quality", "刹车还是有点响"), ("time", "交车比承诺晚了两个小时"),
    ("time", "等了很久才有人接待"), ("price", "工时费比预估贵了不少"), ("cleanliness", "座椅上有油污，洗车不干净"),
    ("reception", "服务顾问态度比较冷淡，解释不清楚"),
]
ASKED = [
    ("保修期内变速箱顿挫能否免费检查？", "可以，预约后免费检测，确认属保修范围免费处理。"),
    ("下次保养能不能用保养券抵扣工时？", "可以，本月保养券可抵扣全部工时费。"),
    ("新能源车电池检测多久做一次？", "建议每一万公里或一年检测一次，可与常规保养同做。"),
    ("代步车服务怎么申请？", None),
]


def _at(call: FollowUpCall, day: date, rng: random.Random, tz: str) -> datetime:
    """A moment inside the customer's preferred time on `day`, as UTC."""
    start, end = calls.contact_window(call.customer)
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    local = datetime.combine(day, start) + timedelta(minutes=rng.randrange(5, max(minutes - 5, 10)))
    return clock.store_local_to_utc(local, tz)


def seed_calls(store: Store, today: date) -> None:
    if db.session.scalar(select(func.count(CallAttempt.id)).join(FollowUpCall).where(
            FollowUpCall.store_id == store.id)):
        return
    rng = random.Random(f"calls-{store.code}")
    cutoff = today - timedelta(days=1)  # yesterday's and today's calls stay in the queue
    handled: set[int] = set()
    while True:
        batch = list(db.session.scalars(select(FollowUpCall).where(
            FollowUpCall.store_id == store.id, FollowUpCall.status == CallStatus.DUE,
            FollowUpCall.due_from < cutoff, FollowUpCall.id.not_in(handled) if handled else true())
            .order_by(FollowUpCall.due_from, FollowUpCall.id)))
        if not batch:
            break
        for call in batch:
            handled.add(call.id)
            _work_call(call, store, rng, cutoff)
        db.session.flush()
    calls.expire_calls(store.id, today)
    _seed_questions(store, today, rng)
    db.session.flush()


def _work_call(call: FollowUpCall, store: Store, rng: random.Random, cutoff: date) -> None:
    agent_id = call.agent_id or (holders_of(store.id, Role.CARE) or [None])[0]
    args = {"store_id": store.id, "actor_id": agent_id}
    day = call.due_from + timedelta(days=rng.choice((0, 0, 0, 1)))
    fate = rng.random()
    if fate < 0.06:  # never reached: two tries, then the window closes
        for attempt in range(2):
            moment = _at(call, min(day + timedelta(days=attempt), cutoff - timedelta(days=1)), rng, store.timezone)
            with clock.frozen(moment):
                calls.record_not_reached(call.id, outcome=rng.choice(("no_answer", "busy")),
                                         retry_at=moment + timedelta(days=1), **args)
        return
    if fate < 0.22:  # reached on the second try
        moment = _at(call, day, rng, store.timezone)
        with clock.frozen(moment):
            calls.record_not_reached(call.id, outcome="no_answer", retry_at=None, note="无人接听", **args)
        day += timedelta(days=1)
    if day >= cutoff:
        return
    with clock.frozen(_at(call, day, rng, store.timezone)):
        unhappy_chance = {CallKind.RECALL: 0.2, CallKind.FIRST: 0.015}.get(CallKind(call.kind), 0.005)
        if rng.random() < unhappy_chance:
            topic, said = rng.choice(GRIPES)
            if call.kind == CallKind.RECALL and call.complaint_id:  # still the same problem
                first = db.session.get(Complaint, call.complaint_id)
                topic = next((t for t, words in GRIPES if words == first.description), topic)
                said = f"还没解决：{first.description}"
            answers = calls.Answers("dissatisfied" if rng.random() < 0.5 else "neutral",
                                    {t: "satisfied" for t in ("reception", "quality", "time", "price",
                                                              "cleanliness") if t != topic} | {topic: "dissatisfied"},
                                    said)
        else:
            answers = calls.Answers("satisfied", {t: rng.choice(("satisfied",) * 6 + ("neutral",))
                                                  for t in ("reception", "quality", "time", "price", "cleanliness")},
                                    rng.choice(PRAISE) if rng.random() < 0.4 else None)
        calls.record_reached(call.id, answers=answers, **args)


def _seed_questions(store: Store, today: date, rng: random.Random) -> None:
    done = list(db.session.scalars(select(FollowUpCall).where(
        FollowUpCall.store_id == store.id, FollowUpCall.status == CallStatus.DONE).order_by(FollowUpCall.id.desc())
        .limit(40)))
    supervisor = supervisor_of(store.id)
    for index, (asked, answer) in enumerate(ASKED):
        if index >= len(done):
            break
        call = done[index * 7 % len(done)]
        when = call.reached_at
        with clock.frozen(when):
            question = questions.ask_supervisor(store_id=store.id, actor_id=call.agent_id, call_id=call.id,
                                                question=asked)
        if answer and supervisor:
            with clock.frozen(when + timedelta(hours=rng.randrange(3, 30))):
                questions.answer(question.id, store_id=store.id, actor_id=supervisor, answer_text=answer)
            if index % 2 == 0:
                with clock.frozen(when + timedelta(hours=32)):
                    questions.mark_told(question.id, store_id=store.id, actor_id=call.agent_id, note="已电话告知")
    db.session.flush()
