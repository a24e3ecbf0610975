"""Inspection rounds (巡检): the store's areas and checklist templates, the day's schedule of
rounds with their time windows, walking a round item by item (each answer saved the moment it
is given), findings turned into corrective actions, scores per area and their trend."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.core import notices, transitions
from intranet.core.models import Photo, Role, Store, User
from intranet.core.photos import save_photo
from intranet.core.services import get_owned, holders_of
from intranet.director import actions
from intranet.director.models import (
    ROUND_TRANSITIONS, ActionPriority, ActionStatus, CorrectiveAction, DirectorEvent, InspectionArea,
    InspectionRound, InspectionTemplate, ItemKind, RoundAnswer, RoundSlot, RoundStatus, TemplateItem,
    TemplateVersion,
)
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

SUBJECT = "round"


class RoundStarted(Conflict):
    """The slot's round of that day is already under way: `round_id` is the one to open."""

    def __init__(self, message, *, round_id: int):
        super().__init__(message)
        self.round_id = round_id
MAX_WEIGHT = 10


# ------------------------------------------------------------------ areas and templates

def areas(store_id: int, *, active_only: bool = True) -> list[InspectionArea]:
    stmt = select(InspectionArea).options(joinedload(InspectionArea.owner)).where(InspectionArea.store_id == store_id)
    if active_only:
        stmt = stmt.where(InspectionArea.active.is_(True))
    return list(db.session.scalars(stmt.order_by(InspectionArea.position, InspectionArea.id)))


def save_area(store_id: int, *, area_id: int | None, name: str, owner_id: int | None, position: int | None = None,
              active: bool = True) -> InspectionArea:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the area."), field="name")
    clash = db.session.scalar(select(InspectionArea).where(InspectionArea.store_id == store_id,
                                                           InspectionArea.name == name))
    area = get_owned(InspectionArea, area_id, store_id, _l("No such area.")) if area_id else None
    if clash is not None and clash is not area:
        raise DomainError(_l("There is already an area called “%(name)s”.", name=name), field="name")
    if owner_id:
        owner = db.session.get(User, int(owner_id))
        if owner is None or owner.store_id != store_id:
            raise DomainError(_l("Choose who looks after the area."), field="owner_id")
    if area is None:
        last = db.session.scalar(select(func.max(InspectionArea.position)).where(InspectionArea.store_id == store_id))
        area = InspectionArea(store_id=store_id, position=(last or 0) + 1)
        db.session.add(area)
    area.name, area.owner_id, area.active = name[:64], int(owner_id) if owner_id else None, active
    if position is not None:
        area.position = position
    db.session.flush()
    return area


def templates(store_id: int) -> list[InspectionTemplate]:
    return list(db.session.scalars(select(InspectionTemplate).where(InspectionTemplate.store_id == store_id)
                                   .order_by(InspectionTemplate.id)))


def current_version(template_id: int) -> TemplateVersion | None:
    return db.session.scalar(select(TemplateVersion).options(selectinload(TemplateVersion.items))
                             .where(TemplateVersion.template_id == template_id)
                             .order_by(TemplateVersion.number.desc()).limit(1))


@dataclass
class ItemDraft:
    """One row of the template editor, as typed."""

    area_id: object
    text: str
    kind: str = ItemKind.PASS_FAIL
    weight: object = 1
    photo_on_fail: bool = False
    min_value: object = None
    max_value: object = None
    unit: str | None = None


def _decimal_or_none(value, field_name: str, row: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise DomainError(_l("Row %(row)d: the limit must be a number.", row=row), field=field_name)
    return number


def save_template(store_id: int, *, template_id: int | None, name: str, items: list[ItemDraft], actor_id: int,
                  note: str | None = None) -> TemplateVersion:
    """Write the template as a new version (rounds already walked keep theirs). Saving the same
    items again writes nothing."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the checklist."), field="name")
    if not items:
        raise DomainError(_l("A checklist needs at least one item."), field="items")
    known_areas = {a.id: a for a in areas(store_id, active_only=False)}
    rows = []
    for n, draft in enumerate(items, start=1):
        text = (draft.text or "").strip()
        if not text:
            raise DomainError(_l("Row %(row)d: say what to check.", row=n), field="items")
        try:
            area = known_areas[int(draft.area_id)]
        except (KeyError, TypeError, ValueError):
            raise DomainError(_l("Row %(row)d: choose the area.", row=n), field="items") from None
        try:
            kind = ItemKind(draft.kind)
        except ValueError:
            raise DomainError(_l("Row %(row)d: choose the kind of answer.", row=n), field="items") from None
        try:
            weight = int(draft.weight)
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= MAX_WEIGHT:
            raise DomainError(_l("Row %(row)d: the weight is a whole number from 1 to %(most)d.", row=n,
                                 most=MAX_WEIGHT), field="items")
        low = _decimal_or_none(draft.min_value, "items", n) if kind == ItemKind.NUMBER else None
        high = _decimal_or_none(draft.max_value, "items", n) if kind == ItemKind.NUMBER else None
        if low is not None and high is not None and low > high:
            raise DomainError(_l("Row %(row)d: the lowest value is above the highest.", row=n), field="items")
        rows.append(dict(area_id=area.id, area_name=area.name, position=n, text=text[:200], kind=str(kind),
                         weight=weight, photo_on_fail=bool(draft.photo_on_fail) and kind != ItemKind.TEXT,
                         min_value=low, max_value=high,
                         unit=(draft.unit or "").strip()[:16] or None if kind == ItemKind.NUMBER else None))
    template = get_owned(InspectionTemplate, template_id, store_id, _l("No such checklist.")) if template_id else None
    clash = db.session.scalar(select(InspectionTemplate).where(InspectionTemplate.store_id == store_id,
                                                               InspectionTemplate.name == name))
    if clash is not None and clash is not template:
        raise DomainError(_l("There is already a checklist called “%(name)s”.", name=name), field="name")
    if template is None:
        template = InspectionTemplate(store_id=store_id, name=name)
        db.session.add(template)
        db.session.flush()
    template.name = name[:80]
    latest = current_version(template.id)
    if latest is not None and [_comparable(i) for i in latest.items] == [_comparable(r) for r in rows]:
        return latest
    version = TemplateVersion(template_id=template.id, number=(latest.number + 1) if latest else 1,
                              created_by_id=actor_id, note=(note or "").strip()[:200] or None)
    version.items = [TemplateItem(**row) for row in rows]
    db.session.add(version)
    db.session.flush()
    return version


def _comparable(item) -> tuple:
    get = (lambda k: item[k]) if isinstance(item, dict) else (lambda k: getattr(item, k))
    number = lambda v: None if v is None else Decimal(v).normalize()  # noqa: E731
    return (get("area_id"), get("area_name"), get("text"), str(get("kind")), get("weight"), bool(get("photo_on_fail")),
            number(get("min_value")), number(get("max_value")), get("unit"))


# ------------------------------------------------------------------ the day's schedule

def slots(store_id: int, *, active_only: bool = True) -> list[RoundSlot]:
    stmt = select(RoundSlot).options(joinedload(RoundSlot.template)).where(RoundSlot.store_id == store_id)
    if active_only:
        stmt = stmt.where(RoundSlot.active.is_(True))
    return list(db.session.scalars(stmt.order_by(RoundSlot.starts_at, RoundSlot.position)))


def _time(value, field_name: str):
    try:
        return datetime.strptime((value or "").strip(), "%H:%M").time()
    except ValueError:
        raise DomainError(_l("Enter the time as hh:mm."), field=field_name) from None


def save_slot(store_id: int, *, slot_id: int | None, name: str, starts_at, ends_at, template_id, closing: bool = False,
              active: bool = True) -> RoundSlot:
    """A round of the day's schedule: its name, its time window and the checklist it walks."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the round."), field="name")
    start, end = _time(starts_at, "starts_at"), _time(ends_at, "ends_at")
    if end <= start:
        raise DomainError(_l("The window must end after it starts."), field="ends_at")
    try:
        template = get_owned(InspectionTemplate, int(template_id), store_id, _l("Choose the checklist."))
    except (TypeError, ValueError):
        raise DomainError(_l("Choose the checklist."), field="template_id") from None
    slot = get_owned(RoundSlot, slot_id, store_id, _l("No such round in the schedule.")) if slot_id else None
    if slot is None:
        count = db.session.scalar(select(func.count()).select_from(RoundSlot).where(RoundSlot.store_id == store_id))
        slot = RoundSlot(store_id=store_id, code=f"r{(count or 0) + 1}", position=(count or 0) + 1)
        db.session.add(slot)
    slot.name, slot.starts_at, slot.ends_at = name[:64], start, end
    slot.template_id, slot.closing, slot.active = template.id, closing, active
    db.session.flush()
    return slot


@dataclass
class SlotToday:
    slot: RoundSlot
    round: InspectionRound | None
    state: str  # "upcoming", "open", "late" (window passed, not started), or the round's status
    window_start: datetime
    window_end: datetime

    @property
    def startable(self) -> bool:
        return self.round is None or self.round.status_enum == RoundStatus.MISSED


def _window(store: Store, day: date, slot: RoundSlot) -> tuple[datetime, datetime]:
    start = clock.store_local_to_utc(datetime.combine(day, slot.starts_at), store.timezone)
    end = clock.store_local_to_utc(datetime.combine(day, slot.ends_at), store.timezone)
    return start, end


def day_schedule(store: Store, day: date, now: datetime) -> list[SlotToday]:
    rounds = {r.slot_id: r for r in db.session.scalars(
        select(InspectionRound).options(joinedload(InspectionRound.started_by))
        .where(InspectionRound.store_id == store.id, InspectionRound.day == day))}
    schedule = []
    for slot in slots(store.id):
        start, end = _window(store, day, slot)
        found = rounds.get(slot.id)
        if found is not None:
            state = found.status
        else:
            state = "upcoming" if now < start else "open" if now <= end else "late"
        schedule.append(SlotToday(slot=slot, round=found, state=state, window_start=start, window_end=end))
    return schedule


def start_round(store: Store, slot_id: int, day: date, *, actor_id: int, now: datetime) -> InspectionRound:
    """Start the slot's round of `day` with its checklist as it is now. A second start of the same
    slot is refused (naming who started it); a missed round can still be walked, late."""
    slot = get_owned(RoundSlot, slot_id, store.id, _l("No such round in the schedule."))
    existing = db.session.scalar(select(InspectionRound).where(
        InspectionRound.store_id == store.id, InspectionRound.slot_id == slot.id, InspectionRound.day == day))
    version = current_version(slot.template_id)
    if version is None:
        raise DomainError(_l("The checklist of this round has no items yet."))
    if existing is not None and existing.status_enum != RoundStatus.MISSED:
        who = existing.started_by.display_name if existing.started_by else "—"
        raise RoundStarted(_l("%(round)s was already started by %(name)s at %(time)s: open it instead.",
                              round=slot.name, name=who,
                              time=clock.to_store_time(existing.started_at, store.timezone).strftime("%H:%M")
                              if existing.started_at else "—"), round_id=existing.id)
    _start, end = _window(store, day, slot)
    if existing is None:
        existing = InspectionRound(store_id=store.id, slot_id=slot.id, day=day, status=RoundStatus.IN_PROGRESS,
                                   missed=now > end)
        db.session.add(existing)
        existing.version_id, existing.started_at, existing.started_by_id = version.id, now, actor_id
        db.session.flush()
        transitions.opened(existing, event_model=DirectorEvent, subject=SUBJECT, actor_id=actor_id)
    else:
        existing.version_id, existing.started_at, existing.started_by_id = version.id, now, actor_id
        _move(existing, RoundStatus.IN_PROGRESS, actor_id, _("Walked late."))
    db.session.flush()
    return existing


def _refusal(current):
    return _l("This round is “%(status)s”: that is not possible now.", status=current.label)


def _move(round_: InspectionRound, to: RoundStatus, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(round_, to, ROUND_TRANSITIONS, event_model=DirectorEvent, subject=SUBJECT, actor_id=actor_id,
                     refusal=_refusal, note=note)


def get_round(store_id: int, round_id: int) -> InspectionRound:
    return get_owned(InspectionRound, round_id, store_id, _l("No such round."))


def round_history(round_id: int) -> list[DirectorEvent]:
    return transitions.events_of(DirectorEvent, SUBJECT, round_id)


def pause_round(store_id: int, round_id: int, *, actor_id: int, area_id: int | None = None) -> InspectionRound:
    round_ = get_round(store_id, round_id)
    _move(round_, RoundStatus.PAUSED, actor_id)
    if area_id:
        round_.last_area_id = area_id
    db.session.flush()
    return round_


def resume_round(store_id: int, round_id: int, *, actor_id: int) -> InspectionRound:
    round_ = get_round(store_id, round_id)
    _move(round_, RoundStatus.IN_PROGRESS, actor_id)
    db.session.flush()
    return round_


# ------------------------------------------------------------------ walking a round

@dataclass
class AreaSheet:
    area_id: int
    name: str
    items: list[TemplateItem] = field(default_factory=list)
    answered: int = 0
    failed: int = 0
    score: float | None = None


@dataclass
class RoundSheet:
    round: InspectionRound
    areas: list[AreaSheet]
    answers: dict[int, RoundAnswer]  # by item id
    actions: dict[int, CorrectiveAction]  # by answer id
    score: float | None

    @property
    def total(self) -> int:
        return sum(len(a.items) for a in self.areas)

    @property
    def answered(self) -> int:
        return sum(a.answered for a in self.areas)

    def area(self, area_id: int | None) -> AreaSheet:
        return next((a for a in self.areas if a.area_id == area_id), self.areas[0])

    def missing_photos(self) -> list[TemplateItem]:
        return [item for a in self.areas for item in a.items
                if item.photo_on_fail and (ans := self.answers.get(item.id)) is not None and ans.passed is False
                and not ans.photos]


def sheet(round_: InspectionRound) -> RoundSheet:
    """The round with its items by area, its answers and their actions: four queries."""
    items = list(db.session.scalars(select(TemplateItem).where(TemplateItem.version_id == round_.version_id)
                                    .order_by(TemplateItem.position))) if round_.version_id else []
    answers = {a.item_id: a for a in db.session.scalars(
        select(RoundAnswer).options(selectinload(RoundAnswer.photos)).where(RoundAnswer.round_id == round_.id))}
    acts = {a.answer_id: a for a in db.session.scalars(
        select(CorrectiveAction).options(joinedload(CorrectiveAction.owner))
        .where(CorrectiveAction.round_id == round_.id, CorrectiveAction.answer_id.is_not(None)))}
    by_area: dict[int, AreaSheet] = {}
    for item in items:
        by_area.setdefault(item.area_id, AreaSheet(area_id=item.area_id, name=item.area_name)).items.append(item)
    for area in by_area.values():
        given = [answers[i.id] for i in area.items if i.id in answers]
        area.answered = len(given)
        area.failed = sum(1 for a in given if a.passed is False)
        area.score = _score([(i, answers.get(i.id)) for i in area.items])
    return RoundSheet(round=round_, areas=list(by_area.values()), answers=answers, actions=acts,
                      score=_score([(i, answers.get(i.id)) for i in items]))


def _fraction(item: TemplateItem, answer: RoundAnswer | None) -> float | None:
    """How well an item did, 0…1; None when it does not count (unanswered, or a text remark)."""
    if answer is None or item.kind == ItemKind.TEXT:
        return None
    if item.kind == ItemKind.SCORE:
        return None if answer.score is None else (answer.score - 1) / 4
    return None if answer.passed is None else float(answer.passed)


def _score(pairs) -> float | None:
    weighted = [(item.weight, f) for item, answer in pairs if (f := _fraction(item, answer)) is not None]
    total = sum(w for w, _f in weighted)
    return round(100 * sum(w * f for w, f in weighted) / total, 1) if total else None


def _parse_answer(item: TemplateItem, value: str | None) -> dict:
    value = (value or "").strip()
    kind = item.kind_enum
    if kind == ItemKind.PASS_FAIL:
        if value not in ("pass", "fail"):
            raise DomainError(_l("Tap pass or fail."), field="value")
        return {"passed": value == "pass"}
    if kind == ItemKind.SCORE:
        if value not in {"1", "2", "3", "4", "5"}:
            raise DomainError(_l("Give a score from 1 to 5."), field="value")
        # a 1 or 2 is a finding, like a fail
        return {"score": int(value), "passed": int(value) >= 3}
    if kind == ItemKind.NUMBER:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= Decimal("1e8"):
            raise DomainError(_l("Enter the reading as a number."), field="value")
        number = number.quantize(Decimal("0.01"))
        low, high = item.min_value, item.max_value
        return {"number": number, "passed": (low is None or number >= low) and (high is None or number <= high)}
    if not value:
        raise DomainError(_l("Write the remark."), field="value")
    return {"text": value[:2000], "passed": None}


def answer_item(store_id: int, round_id: int, item_id: int, *, value: str | None, actor_id: int,
                note: str | None = None, photos=(), folder=None) -> RoundAnswer:
    """Save one answer now (answering again replaces it). A failed item becomes a corrective action
    owned by its area's owner; answered again as a pass, its untouched action is cancelled. Photos
    are checked to be images before anything is saved."""
    round_ = get_round(store_id, round_id)
    if round_.status_enum == RoundStatus.DONE:
        raise DomainError(_l("This round is finished: its answers can no longer change."))
    item = db.session.get(TemplateItem, item_id)
    if item is None or item.version_id != round_.version_id:
        raise DomainError(_l("This item is not on this round's checklist."))
    parsed = _parse_answer(item, value)
    uploads = [p for p in photos if p and getattr(p, "filename", "")]
    if round_.status_enum in (RoundStatus.PAUSED, RoundStatus.MISSED):
        _move(round_, RoundStatus.IN_PROGRESS, actor_id)
    answer = db.session.scalar(select(RoundAnswer).where(RoundAnswer.round_id == round_.id,
                                                         RoundAnswer.item_id == item.id))
    if answer is None:
        answer = RoundAnswer(round_id=round_.id, item_id=item.id)
        db.session.add(answer)
    answer.passed, answer.score = parsed.get("passed"), parsed.get("score")
    answer.number, answer.text = parsed.get("number"), parsed.get("text")
    if note is not None:
        answer.note = note.strip()[:400] or None
    answer.answered_by_id, answer.answered_at = actor_id, clock.utcnow()
    round_.last_area_id = item.area_id
    db.session.flush()
    for upload in uploads:
        save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, field="photos",
                   round_answer_id=answer.id)
    if answer.passed is False:
        _finding_action(round_, item, answer, actor_id)
    else:
        actions.cancel_for_answer(answer.id, actor_id=actor_id)
    db.session.flush()
    db.session.expire(answer, ["photos"])
    return answer


def _finding_action(round_: InspectionRound, item: TemplateItem, answer: RoundAnswer, actor_id: int) -> None:
    existing = db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.answer_id == answer.id))
    if existing is not None:
        if existing.status_enum == ActionStatus.CANCELLED:  # failed again after a pass: back to work
            actions.restore(existing, actor_id=actor_id)
        if answer.note:
            existing.detail = answer.note
        return
    area = db.session.get(InspectionArea, item.area_id)
    owner_id = (area.owner_id if area and area.owner_id else None) or actor_id
    priority = ActionPriority.HIGH if item.weight >= 3 else ActionPriority.NORMAL
    actions.open_action(round_.store_id, title=f"{item.area_name}：{item.text}", owner_id=owner_id,
                        actor_id=actor_id, priority=priority, area_id=item.area_id, round_id=round_.id,
                        answer_id=answer.id, detail=answer.note)


def add_photo(store_id: int, round_id: int, item_id: int, *, upload, actor_id: int, folder) -> RoundAnswer:
    """A photo for an answer already given (the camera came after the tap)."""
    round_ = get_round(store_id, round_id)
    if round_.status_enum == RoundStatus.DONE:
        raise DomainError(_l("This round is finished: its answers can no longer change."))
    answer = db.session.scalar(select(RoundAnswer).where(RoundAnswer.round_id == round_.id,
                                                         RoundAnswer.item_id == item_id))
    if answer is None:
        raise DomainError(_l("Answer the item first, then add its photo."), field="photos")
    save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, field="photos",
               round_answer_id=answer.id)
    db.session.flush()
    db.session.expire(answer, ["photos"])
    return answer


def finish_round(store: Store, round_id: int, *, actor_id: int, now: datetime,
                 extra_check=None) -> InspectionRound:
    """Finish: every item answered, every failed item that needs a photo has one. `extra_check`
    (the closing round's overnight cars) may refuse too. The score is kept on the round."""
    round_ = get_round(store.id, round_id)
    current = sheet(round_)
    if current.answered < current.total:
        raise DomainError(_l("%(n)d of %(total)d items are not answered yet.", n=current.total - current.answered,
                             total=current.total))
    missing = current.missing_photos()
    if missing:
        raise DomainError(_l("A photo is required for each failed item: %(items)s.",
                             items="、".join(item.text for item in missing[:5])), field="photos")
    if extra_check is not None:
        extra_check(round_)
    _move(round_, RoundStatus.DONE, actor_id)
    round_.finished_at = now
    round_.score = Decimal(str(current.score)) if current.score is not None else None
    _start, end = _window(store, round_.day, round_.slot)
    if now > end:
        round_.missed = True
    db.session.flush()
    return round_


# ------------------------------------------------------------------ missed rounds

def flag_missed(store: Store, now: datetime) -> list[InspectionRound]:
    """Rounds whose window has ended today without being started become MISSED (and the director
    is told, once: the row is the memory); rounds still open past their window are marked late."""
    day = clock.to_store_time(now, store.timezone).date()
    made = []
    for entry in day_schedule(store, day, now):
        if now <= entry.window_end:
            continue
        if entry.round is None:
            round_ = InspectionRound(store_id=store.id, slot_id=entry.slot.id, day=day, status=RoundStatus.MISSED,
                                     missed=True)
            db.session.add(round_)
            db.session.flush()
            transitions.opened(round_, event_model=DirectorEvent, subject=SUBJECT, actor_id=None)
            made.append(round_)
        elif entry.round.status_enum in (RoundStatus.IN_PROGRESS, RoundStatus.PAUSED) and not entry.round.missed:
            entry.round.missed = True
    db.session.flush()
    if made:
        notices.notify(store.id, holders_of(store.id, Role.DIRECTOR), "round_missed",
                       {"rounds": "、".join(r.slot.name for r in made)}, link="/director/rounds/")
    return made


notices.register("round_missed", lambda p: _("Round not done in its time window: %(rounds)s", rounds=p.get("rounds")))


# ------------------------------------------------------------------ scores over time

def rounds_between(store_id: int, first: date, last: date) -> list[InspectionRound]:
    return list(db.session.scalars(
        select(InspectionRound).options(joinedload(InspectionRound.slot), joinedload(InspectionRound.started_by))
        .where(InspectionRound.store_id == store_id, InspectionRound.day.between(first, last))
        .order_by(InspectionRound.day.desc(), InspectionRound.id.desc())))


@dataclass
class AreaTrend:
    area_id: int
    name: str
    weeks: dict[date, float | None]  # Monday of the week → score
    failed: int

    @property
    def latest(self) -> float | None:
        scored = [s for s in self.weeks.values() if s is not None]
        return scored[-1] if scored else None


def area_trend(store_id: int, today: date, weeks: int = 8) -> tuple[list[date], list[AreaTrend]]:
    """Each area's weighted score per week over the last `weeks` weeks of finished rounds."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    rows = db.session.execute(
        select(InspectionRound.day, TemplateItem.area_id, TemplateItem.area_name, TemplateItem.kind,
               TemplateItem.weight, RoundAnswer.passed, RoundAnswer.score)
        .join(RoundAnswer, RoundAnswer.round_id == InspectionRound.id)
        .join(TemplateItem, TemplateItem.id == RoundAnswer.item_id)
        .where(InspectionRound.store_id == store_id, InspectionRound.status == RoundStatus.DONE,
               InspectionRound.day >= starts[0], InspectionRound.day <= today)).all()
    sums: dict[tuple[int, date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    names: dict[int, str] = {}
    failed: dict[int, int] = defaultdict(int)
    for day, area_id, area_name, kind, weight, passed, score in rows:
        names.setdefault(area_id, area_name)
        if kind == ItemKind.TEXT:
            continue
        fraction = ((score - 1) / 4 if score is not None else None) if kind == ItemKind.SCORE else (
            None if passed is None else float(passed))
        if fraction is None:
            continue
        week = day - timedelta(days=day.weekday())
        sums[(area_id, week)][0] += weight * fraction
        sums[(area_id, week)][1] += weight
        failed[area_id] += passed is False
    order = {a.id: (a.position, a.id) for a in areas(store_id, active_only=False)}
    trends = [AreaTrend(area_id=area_id, name=name,
                        weeks={w: (round(100 * s[0] / s[1], 1) if (s := sums.get((area_id, w))) and s[1] else None)
                               for w in starts},
                        failed=failed[area_id])
              for area_id, name in sorted(names.items(), key=lambda kv: order.get(kv[0], (999, kv[0])))]
    return starts, trends


def findings_between(store_id: int, start: datetime, end: datetime) -> list[tuple[RoundAnswer, TemplateItem]]:
    """Failed items answered in [start, end), newest first — the day's findings."""
    return list(db.session.execute(
        select(RoundAnswer, TemplateItem).join(TemplateItem, TemplateItem.id == RoundAnswer.item_id)
        .join(InspectionRound, InspectionRound.id == RoundAnswer.round_id)
        .where(InspectionRound.store_id == store_id, RoundAnswer.passed.is_(False),
               RoundAnswer.answered_at >= start, RoundAnswer.answered_at < end)
        .order_by(RoundAnswer.answered_at.desc())).all())


def answer_photos(answer_ids: list[int]) -> dict[int, list[Photo]]:
    found: dict[int, list[Photo]] = defaultdict(list)
    if answer_ids:
        for photo in db.session.scalars(select(Photo).where(Photo.round_answer_id.in_(answer_ids)).order_by(Photo.id)):
            found[photo.round_answer_id].append(photo)
    return found
