"""The equipment register (设备台账) and each piece's maintenance card (保养卡): lifts, the
compressor, the paint booth, the alignment and diagnostic machines… Each card lists its checks,
due every so many days and/or every so many running hours:

- by date: due `every_days` after the check was last done (`last_done_on`);
- by hours: due when the piece's hours reading reaches `last_done_hours + every_hours`;
- a check never recorded is overdue.

A check is overdue once its day has passed or its hours are reached; it is due soon within 7
days (within a quarter of its interval for checks more often than monthly, so a weekly check
done yesterday is not flagged) or within the last tenth of its hours. A piece takes the state of
its worst check. The closing round spot-checks a few cards
a day (`spot_checks_per_day`, least recently spot-checked first); a card found not up to date
opens a corrective action. Functions flush; the caller commits once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from intranet import clock
from intranet.core.models import Labelled, Role
from intranet.core.services import get_owned, get_store, holders_of
from intranet.director.models import (
    OPEN_ACTIONS, CorrectiveAction, Equipment, EquipmentKind, EquipmentSpotCheck, InspectionRound, MaintenanceRecord,
    MaintenanceTask, RoundStatus,
)
from intranet.director.actions import open_action
from intranet.director.settings import settings_for
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db

DUE_SOON_DAYS = 7
RECORDS_SHOWN = 60


class DueStatus(Labelled):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    OK = "ok"

    @classmethod
    def _labels(cls):
        return {cls.OVERDUE: _l("Overdue"), cls.DUE_SOON: _l("Due soon"), cls.OK: _l("Up to date")}

    @property
    def rank(self) -> int:
        return list(DueStatus).index(self)

    @property
    def tone(self) -> str:
        return {DueStatus.OVERDUE: "bad", DueStatus.DUE_SOON: "warn", DueStatus.OK: "ok"}[self]


def get_equipment(equipment_id: int | None, store_id: int) -> Equipment:
    return get_owned(Equipment, equipment_id, store_id, _l("No such equipment."))


def get_task(task_id: int | None, store_id: int) -> MaintenanceTask:
    task = db.session.get(MaintenanceTask, task_id) if task_id else None
    if task is None or task.equipment.store_id != store_id:
        raise NotFound(_l("No such check on a maintenance card."))
    return task


# ------------------------------------------------------------------ when is a check due

@dataclass
class TaskDue:
    task: MaintenanceTask
    status: DueStatus
    due_on: date | None  # by date
    days_left: int | None  # negative: days overdue
    hours_left: int | None  # by hours; negative: hours overdue
    never_done: bool = False
    piece: Equipment | None = None  # held here: the session keeps loaded rows only weakly

    @property
    def equipment(self) -> Equipment:
        return self.piece if self.piece is not None else self.task.equipment


def task_due(task: MaintenanceTask, equipment: Equipment, today: date) -> TaskDue:
    due = _task_due(task, equipment, today)
    due.piece = equipment
    set_committed_value(task, "equipment", equipment)  # task.equipment without a query
    return due


def _task_due(task: MaintenanceTask, equipment: Equipment, today: date) -> TaskDue:
    if task.last_done_on is None and task.last_done_hours is None:
        return TaskDue(task, DueStatus.OVERDUE, None, None, None, never_done=True)
    status, due_on, days_left, hours_left = DueStatus.OK, None, None, None
    if task.every_days:
        if task.last_done_on is None:
            return TaskDue(task, DueStatus.OVERDUE, None, None, None, never_done=True)
        due_on = task.last_done_on + timedelta(days=task.every_days)
        days_left = (due_on - today).days
        if days_left < 0:
            status = DueStatus.OVERDUE
        elif days_left <= min(DUE_SOON_DAYS, task.every_days // 4):
            status = DueStatus.DUE_SOON
    if task.every_hours:
        if task.last_done_hours is None:
            return TaskDue(task, DueStatus.OVERDUE, due_on, days_left, None, never_done=True)
        if equipment.hours_reading is not None:
            hours_left = task.last_done_hours + task.every_hours - equipment.hours_reading
            by_hours = (DueStatus.OVERDUE if hours_left <= 0
                        else DueStatus.DUE_SOON if hours_left * 10 <= task.every_hours else DueStatus.OK)
            status = min(status, by_hours, key=lambda s: s.rank)
    return TaskDue(task, status, due_on, days_left, hours_left)


@dataclass
class CardState:
    """A piece of equipment and where its maintenance card stands."""

    equipment: Equipment
    tasks: list[TaskDue]

    @property
    def status(self) -> DueStatus:
        return min((t.status for t in self.tasks), key=lambda s: s.rank, default=DueStatus.OK)

    @property
    def next_due(self) -> TaskDue | None:
        """The check to do first: the worst, then the nearest by date or hours."""
        return min(self.tasks, key=_urgency, default=None)


def _urgency(due: TaskDue):
    return (due.status.rank, not due.never_done, due.days_left if due.days_left is not None else 10**6,
            due.hours_left if due.hours_left is not None else 10**6, due.task.id)


def card_state(equipment: Equipment, today: date) -> CardState:
    return CardState(equipment, sorted((task_due(t, equipment, today) for t in equipment.tasks), key=_urgency))


def _active_equipment(store_id: int, *, include_inactive: bool = False) -> list[Equipment]:
    stmt = (select(Equipment).options(selectinload(Equipment.tasks))
            .where(Equipment.store_id == store_id).order_by(Equipment.name))
    if not include_inactive:
        stmt = stmt.where(Equipment.active.is_(True))
    return list(db.session.scalars(stmt))


def register(store_id: int, today: date, *, include_inactive: bool = False) -> list[CardState]:
    """The register: every piece with its card's state, overdue first, then due soon, then by the
    nearest check (two queries whatever the size of the workshop). Retired pieces, when asked
    for, come last."""
    states = [card_state(e, today) for e in _active_equipment(store_id, include_inactive=include_inactive)]
    return sorted(states, key=lambda s: (not s.equipment.active, s.status.rank,
                                         _urgency(s.next_due)[2:4] if s.next_due else (10**6, 10**6),
                                         s.equipment.name))


def overdue_maintenance(store_id: int, today: date) -> list[TaskDue]:
    """The overdue checks of the active equipment, most overdue first (for the director's day)."""
    overdue = [due for e in _active_equipment(store_id) for due in card_state(e, today).tasks
               if due.status == DueStatus.OVERDUE]
    return sorted(overdue, key=_urgency)


def records_of(equipment_id: int, store_id: int, *, limit: int = RECORDS_SHOWN) -> list[MaintenanceRecord]:
    get_equipment(equipment_id, store_id)
    return list(db.session.scalars(
        select(MaintenanceRecord).options(joinedload(MaintenanceRecord.task), joinedload(MaintenanceRecord.done_by))
        .where(MaintenanceRecord.equipment_id == equipment_id)
        .order_by(MaintenanceRecord.done_on.desc(), MaintenanceRecord.id.desc()).limit(limit)))


# ------------------------------------------------------------------ typed values

def _whole(value, field: str, *, required: bool = False, positive: bool = False) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        if required:
            raise DomainError(_l("This is required."), field=field)
        return None
    if not text.isdigit():
        raise DomainError(_l("Enter a whole number."), field=field)
    number = int(text)
    if positive and number <= 0:
        raise DomainError(_l("Enter a number greater than zero."), field=field)
    return number


def _day(value, field: str, *, required: bool = False) -> date | None:
    if isinstance(value, date):
        return value
    text = (value or "").strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise DomainError(_l("Enter the date."), field=field)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_l("Enter the date as 2026-11-30."), field=field) from None


def _store_today(store_id: int) -> date:
    return clock.store_today(get_store(store_id).timezone)


# ------------------------------------------------------------------ the register and the cards

def save_equipment(*, store_id: int, name: str | None, equipment_id: int | None = None, kind: str | None = None,
                   location: str | None = None, serial: str | None = None, active: bool = True) -> Equipment:
    """Add a piece of equipment, or change one. Its name is unique in the store."""
    equipment = get_equipment(equipment_id, store_id) if equipment_id else None
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Enter the equipment's name."), field="name")
    if len(name) > 64:
        raise DomainError(_l("Keep the name under 64 characters."), field="name")
    try:
        kind = EquipmentKind(kind or EquipmentKind.OTHER)
    except ValueError:
        raise DomainError(_l("Choose what kind of equipment it is."), field="kind") from None
    taken = db.session.scalar(select(Equipment.id).where(Equipment.store_id == store_id,
                                                         func.lower(Equipment.name) == name.lower()))
    if taken and (equipment is None or taken != equipment.id):
        raise Conflict(_l("There is already equipment called “%(name)s”.", name=name), field="name")
    if equipment is None:
        equipment = Equipment(store_id=store_id)
        db.session.add(equipment)
    equipment.name, equipment.kind = name, kind
    equipment.location = (location or "").strip()[:64] or None
    equipment.serial = (serial or "").strip()[:64] or None
    equipment.active = bool(active)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("There is already equipment called “%(name)s”.", name=name), field="name") from None
    return equipment


def save_task(*, store_id: int, equipment_id: int, name: str | None, every_days=None, every_hours=None,
              task_id: int | None = None, last_done_on=None, last_done_hours=None) -> MaintenanceTask:
    """Add a check to a card, or change one. It is due every so many days, or running hours, or
    both; the last time it was done may be copied from the paper card."""
    equipment = get_equipment(equipment_id, store_id)
    task = get_task(task_id, store_id) if task_id else None
    if task is not None and task.equipment_id != equipment.id:
        raise DomainError(_l("No such check on a maintenance card."))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Name the check (e.g. “Check the safety locks”)."), field="name")
    days = _whole(every_days, "every_days", positive=True)
    hours = _whole(every_hours, "every_hours", positive=True)
    if days is None and hours is None:
        raise DomainError(_l("A check is due every so many days, or running hours, or both: enter at least one."),
                          field="every_days")
    done_on = _day(last_done_on, "last_done_on")
    if done_on is not None and done_on > _store_today(store_id):
        raise DomainError(_l("The last time it was done cannot be in the future."), field="last_done_on")
    done_hours = _whole(last_done_hours, "last_done_hours")
    if task is None:
        task = MaintenanceTask(equipment_id=equipment.id)
        db.session.add(task)
    task.name, task.every_days, task.every_hours = name[:100], days, hours
    if done_on is not None:
        task.last_done_on = done_on
    if done_hours is not None:
        task.last_done_hours = done_hours
    db.session.flush()
    return task


def update_hours(*, store_id: int, equipment_id: int, reading, read_on=None) -> Equipment:
    """A new running-hours reading; it may not go back."""
    equipment = get_equipment(equipment_id, store_id)
    hours = _whole(reading, "reading", required=True)
    today = _store_today(store_id)
    day = _day(read_on, "read_on") or today
    if day > today:
        raise DomainError(_l("A reading cannot be dated in the future."), field="read_on")
    if equipment.hours_reading is not None and hours < equipment.hours_reading:
        raise DomainError(_l("%(hours)s h is lower than the last reading (%(last)s h on %(day)s): an hour meter "
                             "does not go back.", hours=hours, last=equipment.hours_reading,
                             day=equipment.hours_read_on or "—"), field="reading")
    equipment.hours_reading, equipment.hours_read_on = hours, day
    db.session.flush()
    return equipment


def record_check(*, store_id: int, actor_id: int, task_id: int, done_on=None, hours_reading=None,
                 note: str | None = None) -> MaintenanceRecord:
    """A check of the card done: dated today or earlier, with the hours reading (required for a
    check due by hours) that may not be lower than a reading taken on or before that day."""
    task = get_task(task_id, store_id)
    equipment = task.equipment
    today = _store_today(store_id)
    day = _day(done_on, "done_on") or today
    if day > today:
        raise DomainError(_l("A check is recorded once it is done: %(day)s is in the future.", day=day),
                          field="done_on")
    hours = _whole(hours_reading, "hours_reading")
    if hours is None and task.every_hours:
        raise DomainError(_l("This check is due by running hours: enter the hours reading."), field="hours_reading")
    if hours is not None:
        readings = [r for r in db.session.scalars(select(MaintenanceRecord.hours_reading).where(
            MaintenanceRecord.equipment_id == equipment.id, MaintenanceRecord.done_on <= day,
            MaintenanceRecord.hours_reading.is_not(None)))]
        if equipment.hours_reading is not None and (equipment.hours_read_on or today) <= day:
            readings.append(equipment.hours_reading)
        last = max(readings, default=None)
        if last is not None and hours < last:
            raise DomainError(_l("%(hours)s h is lower than the last reading (%(last)s h): an hour meter does not "
                                 "go back.", hours=hours, last=last), field="hours_reading")
        if equipment.hours_read_on is None or day >= equipment.hours_read_on:
            equipment.hours_reading, equipment.hours_read_on = hours, day
    record = MaintenanceRecord(store_id=store_id, equipment_id=equipment.id, task_id=task.id, done_on=day,
                               hours_reading=hours, note=(note or "").strip()[:200] or None, done_by_id=actor_id,
                               recorded_at=clock.utcnow())
    db.session.add(record)
    if task.last_done_on is None or day >= task.last_done_on:
        task.last_done_on = day
        if hours is not None:
            task.last_done_hours = hours
    db.session.flush()
    return record


# ------------------------------------------------------------------ the closing round's spot checks

@dataclass
class SpotCheckRow:
    equipment: Equipment
    state: CardState
    check: EquipmentSpotCheck | None

    @property
    def status(self) -> DueStatus:
        return self.state.status


def get_round(round_id: int | None, store_id: int) -> InspectionRound:
    return get_owned(InspectionRound, round_id, store_id, _l("No such round."))


def spot_check_list(store_id: int, round_id: int, day: date) -> list[SpotCheckRow]:
    """The cards this round spot-checks: those it already checked, then the least recently
    spot-checked active pieces (never checked first, then by id) up to the store's number a day.
    The same pieces on every request, whatever has been answered meanwhile."""
    wanted = settings_for(store_id).spot_checks_per_day
    checks = {c.equipment_id: c for c in db.session.scalars(
        select(EquipmentSpotCheck).where(EquipmentSpotCheck.store_id == store_id,
                                         EquipmentSpotCheck.round_id == round_id))}
    last_checked = dict(db.session.execute(
        select(EquipmentSpotCheck.equipment_id, func.max(EquipmentSpotCheck.checked_at))
        .where(EquipmentSpotCheck.store_id == store_id, EquipmentSpotCheck.round_id != round_id)
        .group_by(EquipmentSpotCheck.equipment_id)).all())
    equipment = {e.id: e for e in _active_equipment(store_id)}
    picked = [e for e in equipment.values() if e.id in checks]
    others = sorted((e for e in equipment.values() if e.id not in checks),
                    key=lambda e: (last_checked.get(e.id) is not None, last_checked.get(e.id) or 0, e.id))
    picked += others[:max(wanted - len(picked), 0)]
    picked.sort(key=lambda e: e.id)
    return [SpotCheckRow(e, card_state(e, day), checks.get(e.id)) for e in picked]


def spot_check_row(store_id: int, round_id: int, equipment_id: int, day: date) -> SpotCheckRow:
    """One row of the list, as it is now (after an answer)."""
    equipment = get_equipment(equipment_id, store_id)
    check = db.session.scalar(select(EquipmentSpotCheck).where(EquipmentSpotCheck.round_id == round_id,
                                                               EquipmentSpotCheck.equipment_id == equipment.id))
    return SpotCheckRow(equipment, card_state(equipment, day), check)


def action_title(equipment: Equipment) -> str:
    return str(_l("Maintenance card not up to date: %(name)s", name=equipment.name))


def record_spot_check(store_id: int, round_id: int, equipment_id: int, *, card_ok: bool, note: str | None,
                      actor_id: int) -> EquipmentSpotCheck:
    """The director's look at a card during the round: up to date or not. Answering again updates
    the answer. A card not up to date opens a corrective action for the controller (the actor when
    the store has none) — once per round and piece."""
    spot_round = get_round(round_id, store_id)
    equipment = get_equipment(equipment_id, store_id)
    if spot_round.status == RoundStatus.DONE:
        raise Conflict(_l("This round is finished: its spot checks can no longer be changed."))
    note = (note or "").strip()[:200] or None
    now = clock.utcnow()
    check = db.session.scalar(select(EquipmentSpotCheck).where(EquipmentSpotCheck.round_id == spot_round.id,
                                                               EquipmentSpotCheck.equipment_id == equipment.id))
    if check is None:
        try:
            with db.session.begin_nested():
                check = EquipmentSpotCheck(store_id=store_id, round_id=spot_round.id, equipment_id=equipment.id,
                                           card_ok=bool(card_ok), note=note, checked_by_id=actor_id, checked_at=now)
                db.session.add(check)
        except IntegrityError:  # answered at the same moment on another tablet: this answer wins
            check = db.session.scalar(select(EquipmentSpotCheck).where(
                EquipmentSpotCheck.round_id == spot_round.id, EquipmentSpotCheck.equipment_id == equipment.id))
    check.card_ok, check.note, check.checked_by_id, check.checked_at = bool(card_ok), note, actor_id, now
    db.session.flush()
    if not card_ok and not db.session.scalar(select(CorrectiveAction.id).where(
            CorrectiveAction.round_id == spot_round.id, CorrectiveAction.title == action_title(equipment)[:200],
            CorrectiveAction.status.in_([str(s) for s in OPEN_ACTIONS]))):
        _open_card_action(spot_round, equipment, note, actor_id)
    return check


def _open_card_action(spot_round: InspectionRound, equipment: Equipment, note: str | None, actor_id: int):
    controllers = holders_of(spot_round.store_id, Role.CONTROLLER)
    state = card_state(equipment, spot_round.day)
    late = [str(_l("%(check)s: %(status)s", check=d.task.name, status=d.status.label))
            for d in state.tasks if d.status != DueStatus.OK]
    detail = "\n".join([note] * bool(note) + late) or None
    return open_action(spot_round.store_id, title=action_title(equipment)[:200],
                       owner_id=controllers[0] if controllers else actor_id, actor_id=actor_id,
                       round_id=spot_round.id, detail=detail)
