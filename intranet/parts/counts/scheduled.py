"""Overnight: open the scheduled counts (an A-class cycle count every Monday, the full count on the
last day of the month) and check every part's on-hand against its ledger
(`parts.jobs.overnight_counts_job`)."""
from __future__ import annotations

import calendar
import json
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.core import notices
from intranet.core.models import Notice, Store, User, UserRole
from intranet.extensions import db
from intranet.jobs import queue
from intranet.parts import ledger
from intranet.parts.counts.opening import open_count
from intranet.parts.counts.rules import APPROVER_ROLES, DRIFT_LISTED, DRIFT_NOTICE, CountOverlaps

NOT_OPENED_NOTICE = "parts_count_not_opened"
from intranet.parts.models import AbcClass, CountKind, StockCount

# ------------------------------------------------------------------ overnight

def _last_day_of_month(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def open_scheduled_counts(store: Store, day: date) -> list[StockCount]:
    """Open the counts due on `day`: the full count on the last day of the month, an A-class cycle
    count every Monday. Each is opened once (unique store, kind, date): a rerun opens nothing. A
    count over bins another open count still takes is not opened (each variance is posted once):
    the Monday count on a month's last day is the full count's A-class part; any other open count
    in the way is told to the parts staff, once a day."""
    due = []
    if _last_day_of_month(day):
        due.append((CountKind.FULL, None))
    if day.weekday() == 0:
        due.append((CountKind.CYCLE, AbcClass.A.value))
    opened = []
    for kind, classes in due:
        exists = db.session.scalar(select(StockCount.id).where(
            StockCount.store_id == store.id, StockCount.kind == kind, StockCount.scheduled_for == day))
        if exists is not None:
            continue
        try:
            with db.session.begin_nested():
                opened.append(open_count(store_id=store.id, actor_id=None, kind=kind, classes=classes,
                                         scheduled_for=day))
        except IntegrityError:  # another run opened it at the same moment
            continue
        except CountOverlaps as refused:
            other = db.session.get(StockCount, refused.other_id)
            if other is not None and other.scheduled_for != day:
                _tell_not_opened(store.id, day, kind, other)
    return opened


def _not_opened_text(params: dict) -> str:
    return _("The scheduled %(kind)s of %(day)s was not opened: count %(number)s is still open over the same "
             "bins. Finish or cancel it, then open the count by hand.",
             kind=CountKind(params.get("kind")).label if params.get("kind") in {k.value for k in CountKind}
             else params.get("kind"), day=params.get("day"), number=params.get("number"))


notices.register(NOT_OPENED_NOTICE, _not_opened_text)


def _tell_not_opened(store_id: int, day: date, kind: str, other: StockCount) -> None:
    recipients = list(db.session.scalars(
        select(User.id).where(User.store_id == store_id, User.active.is_(True),
                              User.role_rows.any(UserRole.role.in_([str(r) for r in APPROVER_ROLES])))
        .order_by(User.id)))
    marker = json.dumps({"day": day.isoformat(), "kind": str(kind)}, ensure_ascii=False)[1:-1]
    told = set(db.session.scalars(select(Notice.user_id).where(
        Notice.store_id == store_id, Notice.kind == NOT_OPENED_NOTICE, Notice.params_json.contains(marker))))
    notices.notify(store_id, [u for u in recipients if u not in told], NOT_OPENED_NOTICE,
                   {"day": day.isoformat(), "kind": str(kind), "number": other.number},
                   link=f"/parts/counts/{other.id}")


def _drift_text(params: dict) -> str:
    numbers = ", ".join(params.get("numbers") or [])
    more = params.get("total", 0) - len(params.get("numbers") or [])
    text = _("Stock check of %(day)s: the on-hand of %(n)s parts differs from their ledger: %(numbers)s",
             day=params.get("day"), n=params.get("total"), numbers=numbers)
    return text + (_(" (and %(n)s more)", n=more) if more > 0 else "")


notices.register(DRIFT_NOTICE, _drift_text)


def report_drift(store_id: int, day: date) -> tuple[list, int]:
    """Check every part's on-hand against its ledger; tell the parts staff and the director once per
    day about the parts that drift. Returns the drifting rows and the number of notices sent."""
    drift = ledger.ledger_drift(store_id)
    if not drift:
        return drift, 0
    recipients = list(db.session.scalars(
        select(User.id).where(User.store_id == store_id, User.active.is_(True),
                              User.role_rows.any(UserRole.role.in_([str(r) for r in APPROVER_ROLES])))
        .order_by(User.id)))
    # the notice of the day, once per person: a rerun the same night finds it and says nothing
    marker = json.dumps({"day": day.isoformat()}, ensure_ascii=False)[1:-1]
    told = set(db.session.scalars(select(Notice.user_id).where(
        Notice.store_id == store_id, Notice.kind == DRIFT_NOTICE, Notice.params_json.contains(marker))))
    params = {"day": day.isoformat(), "total": len(drift), "numbers": [row[1] for row in drift[:DRIFT_LISTED]]}
    sent = notices.notify(store_id, [u for u in recipients if u not in told], DRIFT_NOTICE, params,
                          link="/parts/stock")
    return drift, len(sent)


def overnight(now=None) -> dict:
    """For every store: open the counts due today and enqueue their sheets, then check the ledger.
    Commits each store's new counts before enqueueing their sheets (the worker must find them); the
    caller (`parts.jobs.overnight_counts_job`) commits the rest."""
    summary = {"stores": 0, "opened": [], "enqueued": 0, "drifting": 0, "notices": 0}
    for store in db.session.scalars(select(Store).order_by(Store.id)).all():
        summary["stores"] += 1
        day = clock.store_today(store.timezone)
        opened = open_scheduled_counts(store, day)
        ids = [c.id for c in opened]
        summary["opened"] += [c.number for c in opened]
        db.session.commit()  # the worker must see the counts before it generates their sheets
        for count_id in ids:
            queue.enqueue("parts-count-sheets", count_id=count_id)
            summary["enqueued"] += 1
        drift, sent = report_drift(store.id, day)
        summary["drifting"] += len(drift)
        summary["notices"] += sent
    return summary
