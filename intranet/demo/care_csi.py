"""The manufacturer's CSI survey scores in the demo store: about 60% of the cars delivered in the
history are surveyed a few days after delivery; most score 90–100, each advisor has a slightly
different level (one a little below the target), and a few surveys are low with a comment.

Every draw is decided by the repair order's number (zlib.crc32), and a score is written only
where the repair order has none, so running it again adds nothing."""
from __future__ import annotations

import random
import zlib
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from intranet import clock
from intranet.care.models import CsiScore
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.extensions import db

SURVEYED_SHARE = 0.6
LOW_SHARE = 0.04
GOOD_COMMENTS = ["服务很好，顾问讲解很清楚", "交车准时", "车洗得很干净", "", "", "", "", "休息区环境不错"]
LOW_COMMENTS = ["等待时间太长", "交车时没有讲解维修项目", "价格比预估高，没有提前说明", "车内有油污",
                "预约了还要排队", "问题没有一次修好"]


def _advisor_offset(advisor_id: int | None) -> float:
    """Each advisor's level: most near the top, one (by id) a few points lower."""
    if advisor_id is None:
        return -2.0
    return (-4.5, 0.0, -0.5, -1.5)[advisor_id % 4]


def seed_csi(store: Store, today: date, history_days: int = 60) -> int:
    """Survey scores for about 60% of the repair orders delivered in the last `history_days` days
    (survey 2–7 days after delivery, never after `today`). Returns the number of scores added."""
    start, _ = clock.store_day_bounds_utc(today - timedelta(days=history_days), store.timezone)
    _, end = clock.store_day_bounds_utc(today, store.timezone)
    orders = list(db.session.scalars(
        select(RepairOrder).where(RepairOrder.store_id == store.id,
                                  RepairOrder.status.in_((ROStatus.DELIVERED, ROStatus.CLOSED)),
                                  RepairOrder.delivered_at >= start, RepairOrder.delivered_at < end)
        .order_by(RepairOrder.id)))
    scored = set(db.session.scalars(select(CsiScore.ro_number).where(CsiScore.store_id == store.id)))
    added = 0
    for ro in orders:
        rng = random.Random(zlib.crc32(ro.number.encode()))
        if ro.number in scored or rng.random() >= SURVEYED_SHARE:
            continue
        delivered_on = clock.to_store_time(ro.delivered_at, store.timezone).date()
        surveyed_on = delivered_on + timedelta(days=rng.randint(2, 7))
        if surveyed_on > today:
            continue  # the manufacturer has not surveyed this customer yet
        if rng.random() < LOW_SHARE:
            value, comment = rng.uniform(55, 82), rng.choice(LOW_COMMENTS)
        else:
            value = min(100.0, rng.triangular(89, 100, 99) + _advisor_offset(ro.advisor_id))
            comment = rng.choice(GOOD_COMMENTS) or None
        db.session.add(CsiScore(store_id=store.id, ro_number=ro.number, repair_order_id=ro.id,
                                advisor_id=ro.advisor_id, surveyed_on=surveyed_on,
                                score=Decimal(str(round(value))).quantize(Decimal("0.1")), comment=comment,
                                imported_at=clock.utcnow()))
        added += 1
    db.session.flush()
    return added
