"""The director's day (售后总监的一天): the work log filled in from what the intranet already knows
— the day's rounds and findings, corrective actions, late cars, pending parts, the output value,
overnight cars and their keys, overdue equipment checks, the repair orders' form quality, the
complaints and hot alerts from customer care — next to the director's own notes and the problems
to raise at tomorrow's huddle; the huddle agenda (晨会) built from the same sources. The pack
for the Monday meeting on service quality, 6S, process compliance and repair quality (周例会) is
in director/week.py, which reads the shared pieces here.

Nothing here computes a figure another area already computes: each section calls the area that
owns it (rounds, actions, workshop, parts, keys, equipment, form quality, billing). Each page is
a constant number of queries whatever the size of the store. Functions flush; the view commits.

Some sections describe the day asked for (rounds, findings, actions opened and closed, output
value, form quality, complaints received, hot alerts, the log); others can only say how things are
now (late cars, pending parts, complaints with a late step): on an earlier day the page says so."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.care.models import COMPLAINT_OPEN, CallStatus, Complaint, FollowUpCall, Satisfaction
from intranet.core.billing import Totals, labour_by_team, totals
from intranet.core.models import Photo, RepairOrder, RepairOrderLine, Role, ROStatus, Store, User
from intranet.director import actions, equipment, form_quality, insurers, rounds
from intranet.director.models import (
    ActionStatus, CorrectiveAction, Equipment, RoundAnswer, RoundStatus, TemplateItem, WorkLog,
)
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.keys import services as key_services
from intranet.parts.models import OPEN_PENDING, PendingPart
from intranet.parts.services import pending_list
from intranet.workshop.closing import UnfinishedCar, unfinished_cars
from intranet.workshop.models import Team
from intranet.workshop.promise import promise_risk

LOG_LIMIT = 20000  # characters in each of the log's two texts
PROBLEMS_LOOKBACK_DAYS = 7  # how far back the huddle looks for the last day with a log
HUDDLE_SWITCH_HOUR = 12  # before noon the huddle asked for is this morning's, after it tomorrow's


# ------------------------------------------------------------------ the work log

class StaleLog(Conflict):
    """The log was saved elsewhere since the page was loaded; `current` is the log as saved."""

    def __init__(self, current: WorkLog):
        super().__init__(_l("This log was saved from another screen meanwhile. Your text is kept below, next to "
                            "the saved one: merge them and save again."))
        self.current = current


def logs_of(store_id: int, day: date) -> list[WorkLog]:
    return list(db.session.scalars(select(WorkLog).options(joinedload(WorkLog.author))
                                   .where(WorkLog.store_id == store_id, WorkLog.day == day)
                                   .order_by(WorkLog.author_id)))


def _find_log(store_id: int, day: date, author_id: int) -> WorkLog | None:
    return db.session.scalar(select(WorkLog).where(WorkLog.store_id == store_id, WorkLog.day == day,
                                                   WorkLog.author_id == author_id))


def _text(value: str | None, field_name: str) -> str | None:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > LOG_LIMIT:
        raise DomainError(_l("At most %(n)d characters.", n=LOG_LIMIT), field=field_name)
    return text or None


def save_log(store_id: int, day: date, *, author_id: int, notes: str | None, problems: str | None,
             expected_version: int | None, today: date) -> WorkLog:
    """Save the director's notes and problems of `day`. `expected_version` is the version the page
    was loaded with (0 or None: there was no log yet); a log saved since is not overwritten —
    StaleLog carries it so the page shows both texts. Saving the same words again is no conflict."""
    author = db.session.get(User, author_id)
    if author is None or author.store_id != store_id or not author.has_role(Role.DIRECTOR):
        raise DomainError(_l("Only the director writes the work log."))
    if day > today:
        raise DomainError(_l("A work log is written on its day or later, not before."), field="day")
    notes, problems = _text(notes, "notes"), _text(problems, "problems")
    log = _find_log(store_id, day, author_id)
    expected = int(expected_version or 0)
    if log is not None and log.version != expected:
        if (log.notes, log.problems) == (notes, problems):
            return log
        raise StaleLog(log)
    try:
        with db.session.begin_nested():
            if log is None:
                log = WorkLog(store_id=store_id, day=day, author_id=author_id)
                db.session.add(log)
            log.notes, log.problems, log.updated_at = notes, problems, clock.utcnow()
            db.session.flush()
    except (IntegrityError, StaleDataError):  # saved by another screen between our read and our write
        db.session.expire_all()
        raise StaleLog(_find_log(store_id, day, author_id)) from None
    return log


# ------------------------------------------------------------------ shared pieces

def day_bounds(store: Store, first: date, last: date | None = None) -> tuple[datetime, datetime]:
    """UTC [start, end) from the start of `first` to the end of `last` (store days)."""
    start, _ = clock.store_day_bounds_utc(first, store.timezone)
    _, end = clock.store_day_bounds_utc(last or first, store.timezone)
    return start, end


@dataclass
class OutputValue:
    """产值 = labour + parts (net of VAT) of the cars handed back in the period, labour split by team."""

    cars: int
    totals: Totals
    by_team: dict[str | None, Decimal]

    @property
    def labour(self) -> Decimal:
        return self.totals.labour

    @property
    def parts(self) -> Decimal:
        return self.totals.parts

    @property
    def total(self) -> Decimal:
        return self.totals.net

    @property
    def average(self) -> Decimal | None:
        return (self.total / self.cars).quantize(Decimal("0.01")) if self.cars else None

    @property
    def team_rows(self) -> list[tuple[str | None, Decimal]]:
        """Labour by team in the workshop's order (mechanical, body, paint), any other after."""
        order = {str(team): n for n, team in enumerate(Team)}
        return sorted(self.by_team.items(), key=lambda kv: (order.get(kv[0] or "", len(order)), kv[0] or ""))


def output_value(store: Store, first: date, last: date) -> OutputValue:
    """The output value of the cars delivered from `first` to `last` (store days). Two queries."""
    start, end = day_bounds(store, first, last)
    delivered = (RepairOrder.store_id == store.id, RepairOrder.delivered_at >= start, RepairOrder.delivered_at < end,
                 RepairOrder.status != ROStatus.CANCELLED)
    cars = db.session.scalar(select(func.count()).select_from(RepairOrder).where(*delivered))
    lines = list(db.session.scalars(select(RepairOrderLine).join(RepairOrder).where(*delivered)))
    return OutputValue(cars=cars or 0, totals=totals(lines, store.tax_rate), by_team=labour_by_team(lines))


@dataclass
class CarRow:
    """A car that is late or at risk of missing its promise, with the end-of-day note if any."""

    car: UnfinishedCar
    risk: str | None  # "late", "at_risk" or None

    @property
    def ro(self) -> RepairOrder:
        return self.car.ro


def _cars(store: Store, today: date, now: datetime) -> tuple[list[UnfinishedCar], dict[int, str]]:
    cars = unfinished_cars(store, today)
    return cars, promise_risk([c.ro for c in cars], now)


@dataclass
class PendingSummary:
    """The open lines of the pending-parts sheet as of `today`."""

    rows: list[PendingPart]
    today: date

    @property
    def open(self) -> list[PendingPart]:
        return [r for r in self.rows if r.status in OPEN_PENDING]

    @property
    def overdue(self) -> list[PendingPart]:
        return [r for r in self.open if r.overdue]  # pending_list judges it against `today`

    def expected_on(self, day: date) -> list[PendingPart]:
        return [r for r in self.open if r.expected_on == day]

    @property
    def cars_waiting(self) -> int:
        return len({r.repair_order_id for r in self.open})


def pending_summary(store_id: int, today: date) -> PendingSummary:
    return PendingSummary(rows=pending_list(store_id, today=today), today=today)


# ------------------------------------------------------------------ the day's log sheet

@dataclass
class FindingRow:
    answer: RoundAnswer
    item: TemplateItem
    photos: list[Photo]
    action: CorrectiveAction | None
    round_name: str | None


@dataclass
class DaySheet:
    store: Store
    day: date
    today: date
    now: datetime
    schedule: list  # rounds.SlotToday
    findings: list[FindingRow]
    opened: list[CorrectiveAction]
    closed: list[CorrectiveAction]
    overdue: list[CorrectiveAction]
    action_counts: dict[str, int]
    unfinished: int
    cars: list[CarRow]
    pending: PendingSummary
    output: OutputValue
    overnight: list  # keys.services.OvernightRow
    keys_out: list | None  # None before the key-collection time
    key_time: datetime  # the key-collection time of the day, UTC
    equipment: list  # equipment.TaskDue, overdue only
    forms: form_quality.DayCheck
    insurers_behind: list  # insurers.InsurerProgress
    logs: list[WorkLog]
    care: CareOfDay | None = None

    @property
    def is_today(self) -> bool:
        return self.day == self.today

    @property
    def rounds_missed(self) -> list:
        return [e for e in self.schedule if slot_missed(e)]

    @property
    def rounds_done(self) -> list:
        return [e for e in self.schedule if e.round is not None and e.round.status == RoundStatus.DONE]

    @property
    def late(self) -> list[CarRow]:
        return [c for c in self.cars if c.risk == "late"]

    @property
    def at_risk(self) -> list[CarRow]:
        return [c for c in self.cars if c.risk == "at_risk"]

    def log_of(self, author_id: int) -> WorkLog | None:
        return next((log for log in self.logs if log.author_id == author_id), None)


def slot_missed(entry) -> bool:
    """Not walked in its window: flagged missed, or its window passed with no round started."""
    return entry.state in ("late", RoundStatus.MISSED) or bool(entry.round is not None and entry.round.missed)


def _findings(store_id: int, start: datetime, end: datetime, schedule) -> list[FindingRow]:
    pairs = rounds.findings_between(store_id, start, end)
    ids = [answer.id for answer, _item in pairs]
    photos = rounds.answer_photos(ids)
    by_answer = {a.answer_id: a for a in db.session.scalars(
        select(CorrectiveAction).options(joinedload(CorrectiveAction.owner))
        .where(CorrectiveAction.answer_id.in_(ids)))} if ids else {}
    names = {e.round.id: e.slot.name for e in schedule if e.round is not None}
    return [FindingRow(answer=answer, item=item, photos=photos.get(answer.id, []), action=by_answer.get(answer.id),
                       round_name=names.get(answer.round_id)) for answer, item in pairs]


def _actions_of_day(store_id: int, start: datetime, end: datetime):
    """The actions opened in [start, end) and those closed in it by their owner. One query."""
    moved = list(db.session.scalars(
        select(CorrectiveAction).options(joinedload(CorrectiveAction.owner), joinedload(CorrectiveAction.area))
        .where(CorrectiveAction.store_id == store_id,
               or_(and_(CorrectiveAction.created_at >= start, CorrectiveAction.created_at < end),
                   and_(CorrectiveAction.closed_at >= start, CorrectiveAction.closed_at < end)))
        .order_by(CorrectiveAction.id)))
    opened = [a for a in moved if start <= a.created_at < end]
    closed = [a for a in moved if a.closed_at is not None and start <= a.closed_at < end]
    return opened, closed


def _overdue_checks(store_id: int, day: date) -> list:
    """`equipment.overdue_maintenance`, with each check's piece of equipment loaded. A check reaches
    its piece through `task.equipment`; the pieces `overdue_maintenance` loaded are gone from the
    session once it returns (the identity map holds them weakly), so each row would load its own."""
    overdue = equipment.overdue_maintenance(store_id, day)
    pieces = {piece.id: piece for piece in db.session.scalars(select(Equipment).where(
        Equipment.id.in_({due.task.equipment_id for due in overdue} or {0})))}
    for due in overdue:
        set_committed_value(due.task, "equipment", pieces[due.task.equipment_id])
    return overdue


@dataclass
class CareOfDay:
    """What customer care brings to the director (step 8): the complaints received on the day,
    the open complaints whose current step is late now, and the hot alerts — follow-up calls
    reached on the day with a dissatisfied customer."""

    received: list  # care.models.Complaint
    late: list  # care.models.Complaint, open, step due before now: the LATE_SHOWN latest-due first
    late_count: int  # all of them
    hot: list  # care.models.FollowUpCall


LATE_SHOWN = 5  # the page lists the most overdue complaints; the complaints list has them all

def care_of_day(store_id: int, start: datetime, end: datetime, now: datetime) -> CareOfDay:
    """Four queries."""
    shown = (joinedload(Complaint.customer), joinedload(Complaint.vehicle), joinedload(Complaint.advisor),
             joinedload(Complaint.handler))
    received = list(db.session.scalars(
        select(Complaint).options(*shown)
        .where(Complaint.store_id == store_id, Complaint.received_at >= start, Complaint.received_at < end)
        .order_by(Complaint.received_at, Complaint.id)))
    is_late = (Complaint.store_id == store_id, Complaint.status.in_([str(s) for s in COMPLAINT_OPEN]),
               Complaint.step_due_at < now)
    late = list(db.session.scalars(select(Complaint).options(*shown).where(*is_late)
                                   .order_by(Complaint.step_due_at, Complaint.id).limit(LATE_SHOWN)))
    late_count = db.session.scalar(select(func.count()).select_from(Complaint).where(*is_late))
    hot = list(db.session.scalars(
        select(FollowUpCall).options(joinedload(FollowUpCall.customer), joinedload(FollowUpCall.vehicle),
                                     joinedload(FollowUpCall.agent),
                                     joinedload(FollowUpCall.repair_order).joinedload(RepairOrder.advisor))
        .where(FollowUpCall.store_id == store_id, FollowUpCall.status == CallStatus.DONE,
               FollowUpCall.satisfaction == Satisfaction.DISSATISFIED,
               FollowUpCall.reached_at >= start, FollowUpCall.reached_at < end)
        .order_by(FollowUpCall.reached_at, FollowUpCall.id)))
    return CareOfDay(received=received, late=late, late_count=late_count, hot=hot)


def key_collection_time(store: Store, day: date) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, store.key_collection_at), store.timezone)


def day_sheet(store: Store, day: date, now: datetime) -> DaySheet:
    """Everything the director's log of `day` shows, in a constant number of queries."""
    today = clock.store_today(store.timezone)
    start, end = day_bounds(store, day)
    schedule = rounds.day_schedule(store, day, now)
    opened, closed = _actions_of_day(store.id, start, end)
    cars, risk = _cars(store, today, now)
    key_time = key_collection_time(store, day)
    return DaySheet(
        store=store, day=day, today=today, now=now, schedule=schedule,
        findings=_findings(store.id, start, end, schedule),
        opened=opened, closed=closed, overdue=actions.list_actions(store.id, overdue_at=min(now, end)),
        action_counts=actions.counts(store.id, now),
        unfinished=len(cars),
        cars=[CarRow(car=c, risk=risk[c.ro.id]) for c in cars if c.ro.id in risk],
        pending=pending_summary(store.id, today),
        output=output_value(store, day, day),
        overnight=key_services.overnight_cars(store, day),
        keys_out=key_services.keys_out(store, day) if now >= key_time else None,
        key_time=key_time,
        equipment=_overdue_checks(store.id, day),
        forms=form_quality.check_day(store.id, day),
        insurers_behind=[p for p in insurers.month_progress(store.id, day.replace(day=1), today=day)
                         if p.state == "behind"],
        logs=logs_of(store.id, day),
        care=care_of_day(store.id, start, end, now),
    )


# ------------------------------------------------------------------ the huddle agenda

def default_huddle_day(store: Store, now: datetime) -> date:
    """The morning the agenda is for: this morning's until noon, then tomorrow's (it is prepared
    at the end of the day, step 16, and read at the huddle before the morning meeting, step 3)."""
    local = clock.to_store_time(now, store.timezone)
    return local.date() if local.hour < HUDDLE_SWITCH_HOUR else local.date() + timedelta(days=1)


@dataclass
class Huddle:
    day: date  # the morning of the huddle
    now: datetime
    actions: list[CorrectiveAction]  # open, soonest due first
    to_verify: int
    late: list[CarRow]
    due_cars: list[CarRow]  # promised on the huddle day, with their risk
    pending_overdue: list[PendingPart]
    pending_expected: list[PendingPart]  # expected on the huddle day
    problems_day: date | None  # the last day before the huddle with a log
    problems: list[WorkLog]
    missed: list  # rounds.SlotToday of the day before, not walked in their window
    eve: date

    def overdue(self, action: CorrectiveAction) -> bool:
        return action.due_at < self.now

    @property
    def overdue_count(self) -> int:
        return sum(1 for a in self.actions if self.overdue(a))

    @property
    def at_risk_due(self) -> list[CarRow]:
        return [c for c in self.due_cars if c.risk]


def _last_problems(store_id: int, before: date) -> tuple[date | None, list[WorkLog]]:
    """The logs of the last day before `before` on which one was written (one query)."""
    logs = list(db.session.scalars(
        select(WorkLog).options(joinedload(WorkLog.author))
        .where(WorkLog.store_id == store_id, WorkLog.day < before,
               WorkLog.day >= before - timedelta(days=PROBLEMS_LOOKBACK_DAYS))
        .order_by(WorkLog.day.desc(), WorkLog.author_id)))
    if not logs:
        return None, []
    last = logs[0].day
    return last, [log for log in logs if log.day == last]


def huddle(store: Store, day: date, now: datetime) -> Huddle:
    """The agenda of the huddle on the morning of `day`, as things stand `now`."""
    today = clock.store_today(store.timezone)
    cars, risk = _cars(store, today, now)
    due_start, due_end = day_bounds(store, day)
    pending = pending_summary(store.id, today)
    problems_day, problems = _last_problems(store.id, day)
    eve = day - timedelta(days=1)
    open_actions = actions.list_actions(store.id, status=ActionStatus.OPEN)
    return Huddle(
        day=day, now=now, actions=open_actions, to_verify=actions.counts(store.id, now)["to_verify"],
        late=[CarRow(c, "late") for c in cars if risk.get(c.ro.id) == "late"],
        due_cars=[CarRow(c, risk.get(c.ro.id)) for c in cars
                  if c.ro.promised_at is not None and due_start <= c.ro.promised_at < due_end
                  and risk.get(c.ro.id) != "late"],
        pending_overdue=pending.overdue, pending_expected=pending.expected_on(day),
        problems_day=problems_day, problems=problems,
        missed=[e for e in rounds.day_schedule(store, eve, now) if slot_missed(e)], eve=eve)
