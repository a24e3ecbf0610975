"""Car keys: numbered tags, every movement of a key (who had it, where it went, when), the key
board, and the overnight key collection. Plain functions; they flush, the caller commits.

Where a key is now is kept on its tag (the latest movement), so the board is one query; the
movements are the history. A tag carries its car from check-in until the key is handed back."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.core import notices
from intranet.core.identifiers import normalize_plate
from intranet.core.models import RO_ON_SITE, Notice, RepairOrder, Role, ROStatus, Store, User, UserRole, Vehicle
from intranet.core.services import get_owned, get_store, holders_of
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.keys import hooks
from intranet.keys.models import KeyMovement, KeyPlace, KeyReminder, KeyTag, OvernightCar
from intranet.live.services import bump

BOARD = "keys"  # the live board's name
CODE_RE = re.compile(r"[A-Z0-9-]{1,16}")
MAX_RANGE = 500
# the key goes back to the customer once the car's work is over (or the visit was cancelled)
HANDOVER_STATUSES = frozenset({ROStatus.READY, ROStatus.DELIVERED, ROStatus.CLOSED, ROStatus.CANCELLED})
# the board's sections, in the order people look for a key
BOARD_ORDER = (KeyPlace.TECHNICIAN, KeyPlace.RECEPTION, KeyPlace.WASH, KeyPlace.BOARD)
HOLDER_NOTICE = "key_collect"
REPORT_NOTICE = "key_report"


class StaleKey(Conflict):
    """The key was moved by someone else since the page was loaded."""


def _on_site(ro: RepairOrder | None) -> bool:
    return ro is not None and ro.status_enum in RO_ON_SITE


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


def _checked_code(code: str | None, field_name: str = "key_tag") -> str:
    code = normalize_code(code)
    if not CODE_RE.fullmatch(code):
        raise DomainError(_l("A key tag number is up to 16 letters, digits or “-” (e.g. 012)."), field=field_name)
    return code


def _tag_options():
    return (joinedload(KeyTag.repair_order).joinedload(RepairOrder.vehicle),
            joinedload(KeyTag.repair_order).joinedload(RepairOrder.advisor),
            joinedload(KeyTag.holder))


# ------------------------------------------------------------------ tags

def tag_by_code(store_id: int, code: str | None) -> KeyTag | None:
    """The store's tag with this number (as typed or scanned), with its car and holder; None if unknown."""
    code = normalize_code(code)
    if not code:
        return None
    return db.session.scalar(select(KeyTag).options(*_tag_options())
                             .where(KeyTag.store_id == store_id, KeyTag.code == code))


def find_tag(store_id: int, typed: str | None) -> KeyTag | None:
    """What a person types into the key board's search box: a tag's number (or its scanned QR code),
    or the car's plate or repair order number — the tag on that car's key while it is here."""
    tag = tag_by_code(store_id, typed)
    text = normalize_code(typed)
    if tag is not None or not text:
        return tag
    return db.session.scalar(
        select(KeyTag).options(*_tag_options())
        .join(RepairOrder, KeyTag.repair_order_id == RepairOrder.id).join(Vehicle, RepairOrder.vehicle_id == Vehicle.id)
        .where(KeyTag.store_id == store_id, KeyTag.active.is_(True),
               or_(RepairOrder.number == text, Vehicle.plate == normalize_plate(text)))
        .order_by(KeyTag.code).limit(1))


def nothing_found(typed: str) -> NotFound:
    return NotFound(_l("Nothing on the key board matches “%(text)s”: type a key tag number, a plate or a repair "
                       "order number.", text=normalize_code(typed)))


def get_tag(store_id: int, tag_id: int) -> KeyTag:
    return get_owned(KeyTag, tag_id, store_id, _l("No such key tag."))


def tags_of_repair_order(store_id: int, ro_id: int) -> list[KeyTag]:
    return list(db.session.scalars(select(KeyTag).options(joinedload(KeyTag.holder)).where(
        KeyTag.store_id == store_id, KeyTag.repair_order_id == ro_id, KeyTag.active.is_(True)).order_by(KeyTag.code)))


def all_tags(store_id: int) -> list[KeyTag]:
    """Every tag, retired ones too, for the tags page."""
    return list(db.session.scalars(select(KeyTag).options(*_tag_options())
                                   .where(KeyTag.store_id == store_id).order_by(KeyTag.active.desc(), KeyTag.code)))


def _range_codes(first: str | None, last: str | None) -> list[str]:
    first, last = normalize_code(first), normalize_code(last)
    if not first:
        raise DomainError(_l("Enter the first tag number."), field="first")
    if not last or last == first:
        return [_checked_code(first, "first")]
    if not (first.isdigit() and last.isdigit()):
        raise DomainError(_l("A range runs from one number to another, e.g. 001 to 060."), field="last")
    low, high = int(first), int(last)
    if high < low:
        raise DomainError(_l("The last number comes after the first."), field="last")
    if high - low + 1 > MAX_RANGE:
        raise DomainError(_l("At most %(n)d tags at a time.", n=MAX_RANGE), field="last")
    width = max(len(first), len(last))
    if width > 16:
        raise DomainError(_l("A key tag number is up to 16 letters, digits or “-” (e.g. 012)."), field="last")
    return [f"{n:0{width}d}" for n in range(low, high + 1)]


def add_tags(store_id: int, first: str | None, last: str | None = None) -> list[KeyTag]:
    """Add the tags first…last ("001"–"060", keeping the zeros); numbers already there are left as
    they are (a retired one is put back in use). Returns the tags added or put back."""
    codes = _range_codes(first, last)
    known = {tag.code: tag for tag in db.session.scalars(
        select(KeyTag).where(KeyTag.store_id == store_id, KeyTag.code.in_(codes)))}
    changed = []
    for code in codes:
        tag = known.get(code)
        if tag is None:
            tag = KeyTag(store_id=store_id, code=code, place=KeyPlace.BOARD, active=True)
            db.session.add(tag)
            changed.append(tag)
        elif not tag.active:
            tag.active = True
            changed.append(tag)
    db.session.flush()
    if changed:
        bump(store_id, BOARD)
    return changed


def set_tag_active(store_id: int, tag_id: int, active: bool) -> KeyTag:
    """Retire a tag (lost, broken) or put it back in use. A tag on a car still here is not retired."""
    tag = get_tag(store_id, tag_id)
    if not active and _on_site(tag.repair_order):
        raise DomainError(_l("Key tag %(code)s is on %(plate)s, which is still here: hand that key back first.",
                             code=tag.code, plate=tag.repair_order.vehicle.plate))
    if not active and tag.repair_order_id:
        tag.repair_order_id = None  # a finished car's old tag: nothing to carry any more
    tag.active = active
    db.session.flush()
    bump(store_id, BOARD)
    return tag


# ------------------------------------------------------------------ movements

def _record(tag: KeyTag, to: KeyPlace, *, actor_id: int | None, holder_id: int | None, at: datetime | None = None,
            note: str | None = None, token: str | None = None) -> KeyMovement:
    at = at or clock.utcnow()
    movement = KeyMovement(store_id=tag.store_id, tag_id=tag.id, repair_order_id=tag.repair_order_id,
                           from_place=tag.place, to_place=to, holder_id=holder_id, by_id=actor_id, at=at,
                           note=(note or "").strip()[:200] or None, token=token or None)
    db.session.add(movement)
    tag.place, tag.holder_id, tag.since = to, holder_id, at
    if to == KeyPlace.CUSTOMER:
        tag.repair_order_id = None  # the key went home with its car: the tag is free again
    return movement


def _person(store_id: int, user_id: int | None, *, technician: bool = False) -> User:
    user = db.session.get(User, user_id) if user_id else None
    if user is None or user.store_id != store_id or not user.active:
        raise DomainError(_l("Choose who takes the key."), field="holder_id")
    if technician and not user.has_role(Role.TECHNICIAN):
        raise DomainError(_l("%(name)s is not a technician.", name=user.display_name), field="holder_id")
    return user


def _by_token(store_id: int, token: str | None) -> KeyMovement | None:
    if not token:
        return None
    return db.session.scalar(select(KeyMovement).where(KeyMovement.token == token, KeyMovement.store_id == store_id))


def move_key(store_id: int, tag_id: int, to_place: str, *, actor_id: int, holder_id: int | None = None,
             note: str | None = None, token: str | None = None, expected_version: int | None = None) -> KeyMovement:
    """Record that the key on tag `tag_id` goes to `to_place` (and to whom), and keep the tag's
    place. The same `token` twice (a tap re-sent after a lost answer) records it once; a tag moved
    by someone else since `expected_version` is refused with where the key is now."""
    earlier = _by_token(store_id, token)
    if earlier is not None:
        return earlier
    tag = get_tag(store_id, tag_id)
    if not tag.active:
        raise DomainError(_l("Key tag %(code)s is retired.", code=tag.code))
    if expected_version is not None and tag.version != expected_version:
        raise StaleKey(_l("Someone moved key %(code)s meanwhile: it is now “%(place)s”%(holder)s. Check and tap "
                          "again.", code=tag.code, place=tag.place_enum.label,
                          holder=f" ({tag.holder.display_name})" if tag.holder else ""))
    try:
        to = KeyPlace(to_place)
    except ValueError:
        raise DomainError(_l("Unknown place for a key.")) from None
    ro = tag.repair_order
    if ro is None and to != KeyPlace.BOARD:
        raise DomainError(_l("Key tag %(code)s belongs to no car: attach it at check-in.", code=tag.code))
    if to == KeyPlace.TECHNICIAN:
        if not holder_id:
            raise DomainError(_l("Choose the technician who takes the key."), field="holder_id")
        holder_id = _person(store_id, holder_id, technician=True).id
    elif to == KeyPlace.RECEPTION:
        holder_id = _person(store_id, holder_id or actor_id).id
    elif to == KeyPlace.WASH:
        holder_id = _person(store_id, holder_id).id if holder_id else None
    else:
        holder_id = None
    if to == KeyPlace.CUSTOMER and ro.status_enum not in HANDOVER_STATUSES:
        raise DomainError(_l("%(plate)s is “%(status)s”: its key goes back to the customer only once the car is "
                             "ready.", plate=ro.vehicle.plate, status=ro.status_enum.label))
    if tag.place == to and tag.holder_id == holder_id:
        raise DomainError(_l("Key %(code)s is already there.", code=tag.code))
    try:
        with db.session.begin_nested():
            movement = _record(tag, to, actor_id=actor_id, holder_id=holder_id, note=note, token=token)
            db.session.flush()  # the tag's version moves here; a concurrent move fails on it
    except StaleDataError:
        raise StaleKey(_l("Someone moved key %(code)s at the same moment. Check where it is and tap again.",
                          code=tag.code)) from None
    except IntegrityError:
        earlier = _by_token(store_id, token)  # the same tap arrived twice at once
        if earlier is None:
            raise
        return earlier
    bump(store_id, BOARD)
    return movement


def take_key(store_id: int, tag_id: int, *, actor_id: int, token: str | None = None,
             expected_version: int | None = None) -> KeyMovement:
    """"To me": a technician takes the key to the workshop; anyone else holds it at reception."""
    actor = _person(store_id, actor_id)
    place = KeyPlace.TECHNICIAN if actor.has_role(Role.TECHNICIAN) else KeyPlace.RECEPTION
    return move_key(store_id, tag_id, place, actor_id=actor_id, holder_id=actor_id, token=token,
                    expected_version=expected_version)


def attach_tag(store_id: int, ro_id: int, code: str | None, *, actor_id: int) -> KeyTag | None:
    """The advisor puts tag `code` on the car's key at check-in: the key is received at reception,
    held by the car's advisor. A number the key board does not know is refused (a typo must not hang
    a ring that does not exist; new rings are added on the tags page) — except while the store has no
    key board at all, when the numbers typed make it. A tag still on another car that is here is
    refused. An empty code takes the car's tag off (back to the board). Keeping the tag the car
    already has changes nothing."""
    ro = get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))
    current = tags_of_repair_order(store_id, ro.id)
    if not normalize_code(code):
        for tag in current:
            _record(tag, KeyPlace.BOARD, actor_id=actor_id, holder_id=None)
            tag.repair_order_id = None
        db.session.flush()
        if current:
            bump(store_id, BOARD)
        return None
    code = _checked_code(code)
    tag = tag_by_code(store_id, code)
    if tag is not None and tag.repair_order_id == ro.id and tag.active:
        return tag
    if tag is None:
        if db.session.scalar(select(KeyTag.id).where(KeyTag.store_id == store_id).limit(1)) is not None:
            raise DomainError(_l("Key tag %(code)s is not on the key board: check the number on the ring. A new "
                                 "ring is added on the key tags page first.", code=code), field="key_tag")
        tag = KeyTag(store_id=store_id, code=code, place=KeyPlace.BOARD, active=True)
        db.session.add(tag)
        db.session.flush()
    if not tag.active:
        raise DomainError(_l("Key tag %(code)s is retired: use another tag.", code=code), field="key_tag")
    other = tag.repair_order
    if other is not None and other.id != ro.id and _on_site(other):
        raise DomainError(_l("Key tag %(code)s is still on %(plate)s (%(number)s), which is here: use another "
                             "tag, or hand that key back first.", code=code, plate=other.vehicle.plate,
                             number=other.number), field="key_tag")
    for old in current:  # the number was corrected: the old ring is free again
        _record(old, KeyPlace.BOARD, actor_id=actor_id, holder_id=None)
        old.repair_order_id = None
    tag.repair_order_id = ro.id
    _record(tag, KeyPlace.RECEPTION, actor_id=actor_id, holder_id=ro.advisor_id or actor_id)
    db.session.flush()
    bump(store_id, BOARD)
    return tag


def hand_back_keys(store_id: int, ro_id: int, *, actor_id: int) -> list[KeyMovement]:
    """At delivery: the car's keys go to the customer and its tags are free again."""
    moved = [_record(tag, KeyPlace.CUSTOMER, actor_id=actor_id, holder_id=None)
             for tag in tags_of_repair_order(store_id, ro_id)]
    if moved:
        db.session.flush()
        bump(store_id, BOARD)
    return moved


def _movement_options():
    return (joinedload(KeyMovement.holder), joinedload(KeyMovement.by),
            joinedload(KeyMovement.repair_order).joinedload(RepairOrder.vehicle), joinedload(KeyMovement.tag))


def history_of(store_id: int, tag_id: int, limit: int = 50) -> list[KeyMovement]:
    """The tag's movements, newest first, across the cars it carried."""
    return list(db.session.scalars(select(KeyMovement).options(*_movement_options()).where(
        KeyMovement.store_id == store_id, KeyMovement.tag_id == tag_id)
        .order_by(KeyMovement.at.desc(), KeyMovement.id.desc()).limit(limit)))


def movements_of_repair_order(store_id: int, ro_id: int) -> list[KeyMovement]:
    """Where the car's key went during this visit, oldest first."""
    return list(db.session.scalars(select(KeyMovement).options(*_movement_options()).where(
        KeyMovement.store_id == store_id, KeyMovement.repair_order_id == ro_id)
        .order_by(KeyMovement.at, KeyMovement.id)))


# ------------------------------------------------------------------ the key board

@dataclass
class KeyBoard:
    groups: list[tuple[KeyPlace, list[KeyTag]]]  # tags on a car, by place, in BOARD_ORDER
    free: list[KeyTag]  # tags on no car: rings waiting on the board
    late: set[int]  # tags still held after the key-collection time

    @property
    def on_cars(self) -> int:
        return sum(len(tags) for _, tags in self.groups)

    def count(self, place: KeyPlace) -> int:
        return next((len(tags) for p, tags in self.groups if p == place), 0)


def key_board(store_id: int, now: datetime | None = None) -> KeyBoard:
    """Every tag in use with its car and where the key is, grouped by place. One query."""
    store = get_store(store_id)
    tags = list(db.session.scalars(select(KeyTag).options(*_tag_options())
                                   .where(KeyTag.store_id == store_id, KeyTag.active.is_(True))
                                   .order_by(KeyTag.code)))
    local = clock.to_store_time(now or clock.utcnow(), store.timezone)
    after_collection = local.time() >= store.key_collection_at
    groups: dict[KeyPlace, list[KeyTag]] = {place: [] for place in BOARD_ORDER}
    free, late = [], set()
    for tag in tags:
        if tag.repair_order is None or tag.place_enum not in groups:
            free.append(tag)
            continue
        groups[tag.place_enum].append(tag)
        if after_collection and tag.place_enum.held and _on_site(tag.repair_order):
            late.add(tag.id)
    for place in (KeyPlace.TECHNICIAN, KeyPlace.RECEPTION, KeyPlace.WASH):  # longest out first
        groups[place].sort(key=lambda t: t.since or datetime.min)
    return KeyBoard(groups=list(groups.items()), free=free, late=late)


def technicians(store_id: int) -> list[User]:
    """Who may take a key to the workshop, for the picker."""
    return list(db.session.scalars(select(User).where(
        User.store_id == store_id, User.active.is_(True),
        User.role_rows.any(UserRole.role == Role.TECHNICIAN.value)).order_by(User.display_name)))


# ------------------------------------------------------------------ overnight cars

@dataclass
class OvernightRow:
    ro: RepairOrder
    day: date
    tags: list[KeyTag]
    record: OvernightCar | None
    past: bool = False  # an earlier night: its tags may carry other cars by now
    error: object = None  # a refusal shown in the row after a save
    typed_spot: str | None = None  # what was typed, kept when refused

    @property
    def keys_back(self) -> bool:
        """Tonight: the car has its key tag and every key is on the board. An earlier night: the
        closing round confirmed the key collected."""
        if self.past:
            return self.confirmed
        return bool(self.tags) and all(tag.place_enum == KeyPlace.BOARD for tag in self.tags)

    @property
    def confirmed(self) -> bool:
        return bool(self.record and self.record.key_confirmed_at)

    @property
    def spot(self) -> str:
        if self.typed_spot is not None:
            return self.typed_spot
        return (self.record.parking_spot if self.record else None) or ""


def overnight_cars(store: Store, day: date, *, ro_id: int | None = None) -> list[OvernightRow]:
    """The cars staying the night of `day`: today, every car still here (listed by the collection
    job or not yet); an earlier day, the cars the job listed. With their tags and the closing
    round's confirmation. Three queries whatever the number of cars."""
    records_stmt = (select(OvernightCar).options(joinedload(OvernightCar.confirmed_by))
                    .where(OvernightCar.store_id == store.id, OvernightCar.day == day))
    if ro_id is not None:
        records_stmt = records_stmt.where(OvernightCar.repair_order_id == ro_id)
    records = {r.repair_order_id: r for r in db.session.scalars(records_stmt)}
    ro_stmt = select(RepairOrder).options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor)) \
        .where(RepairOrder.store_id == store.id)
    past = day != clock.store_today(store.timezone)
    if not past:
        ro_stmt = ro_stmt.where(RepairOrder.status.in_([str(s) for s in RO_ON_SITE]))
    else:
        ro_stmt = ro_stmt.where(RepairOrder.id.in_(list(records) or [0]))
    if ro_id is not None:
        ro_stmt = ro_stmt.where(RepairOrder.id == ro_id)
    # sorted here, not by the database: ORDER BY opened_at made SQLite walk every repair order the
    # store ever had along its (store_id, opened_at) index instead of the few on site (21 ms at 25 000)
    ros = sorted(db.session.scalars(ro_stmt), key=lambda ro: (ro.opened_at, ro.id))
    tags: dict[int, list[KeyTag]] = {ro.id: [] for ro in ros}
    if ros and past:  # the tags the car had then, from its key's movements
        for ro_id, tag in db.session.execute(
                select(KeyMovement.repair_order_id, KeyTag).join(KeyTag, KeyTag.id == KeyMovement.tag_id)
                .where(KeyMovement.store_id == store.id, KeyMovement.repair_order_id.in_(list(tags)))
                .distinct().order_by(KeyTag.code)):
            tags[ro_id].append(tag)
    elif ros:
        for tag in db.session.scalars(select(KeyTag).options(joinedload(KeyTag.holder)).where(
                KeyTag.store_id == store.id, KeyTag.active.is_(True), KeyTag.repair_order_id.in_(list(tags)))
                .order_by(KeyTag.code)):
            tags[tag.repair_order_id].append(tag)
    return [OvernightRow(ro=ro, day=day, tags=tags[ro.id], record=records.get(ro.id), past=past) for ro in ros]


def keys_out(store: Store, day: date) -> list[OvernightRow]:
    """Overnight cars whose key is not on the board (or that have no key tag): the director's day."""
    return [row for row in overnight_cars(store, day) if not row.keys_back]


def confirm_overnight(store: Store, day: date, ro_id: int, *, parking_spot: str | None,
                      actor_id: int) -> OvernightCar:
    """The closing round: the car's key is collected (any key still held goes back to the board,
    recorded as moved by whoever confirms) and the car is parked at `parking_spot`."""
    ro = get_owned(RepairOrder, ro_id, store.id, _l("No such repair order."))
    spot = (parking_spot or "").strip()
    if not spot:
        raise DomainError(_l("Enter where the car is parked (e.g. P-07)."), field="parking_spot")
    if len(spot) > 16:
        raise DomainError(_l("A parking spot is at most 16 characters."), field="parking_spot")
    record = db.session.scalar(select(OvernightCar).where(
        OvernightCar.store_id == store.id, OvernightCar.day == day, OvernightCar.repair_order_id == ro.id))
    if record is None:
        if day != clock.store_today(store.timezone) or not _on_site(ro):
            raise DomainError(_l("%(plate)s is not staying overnight.", plate=ro.vehicle.plate))
        record = OvernightCar(store_id=store.id, day=day, repair_order_id=ro.id, listed_at=clock.utcnow())
        db.session.add(record)
    now = clock.utcnow()
    for tag in tags_of_repair_order(store.id, ro.id):
        if tag.place_enum != KeyPlace.BOARD:
            _record(tag, KeyPlace.BOARD, actor_id=actor_id, holder_id=None, at=now)
    record.key_confirmed_at, record.parking_spot, record.confirmed_by_id = now, spot, actor_id
    db.session.flush()
    bump(store.id, BOARD)
    return record


# ------------------------------------------------------------------ the key-collection job

@dataclass
class CollectionRun:
    listed: int = 0  # cars newly listed as staying overnight
    reminded: list[int] = field(default_factory=list)  # holders told this run
    reported: list[int] = field(default_factory=list)  # directors told this run


def _key_line(tag: KeyTag, plate: str) -> dict:
    return {"code": tag.code, "plate": plate, "place": tag.place,
            "holder": tag.holder.display_name if tag.holder else None}


def collect_keys(store_id: int, now: datetime) -> CollectionRun:
    """From the store's key-collection time: list the cars staying overnight and remind whoever
    holds one of their keys; from `key_report_minutes` later, report to the director the keys still
    not back and the overnight cars with no key tag. Each reminder and report line is sent once:
    a rerun sends only what is new (a key taken out again, a holder changed)."""
    store = get_store(store_id)
    local = clock.to_store_time(now, store.timezone).replace(tzinfo=None)
    day = local.date()
    collection = datetime.combine(day, store.key_collection_at)
    run = CollectionRun()
    if local < collection:
        return run
    on_site = list(db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle))
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in RO_ON_SITE]))
        .order_by(RepairOrder.id)))
    listed = set(db.session.scalars(select(OvernightCar.repair_order_id).where(
        OvernightCar.store_id == store_id, OvernightCar.day == day)))
    for ro in on_site:
        if ro.id not in listed:
            db.session.add(OvernightCar(store_id=store_id, day=day, repair_order_id=ro.id, listed_at=now))
            run.listed += 1
    if not on_site:
        db.session.flush()
        return run
    by_ro = {ro.id: ro for ro in on_site}
    tags = list(db.session.scalars(select(KeyTag).options(joinedload(KeyTag.holder)).where(
        KeyTag.store_id == store_id, KeyTag.active.is_(True), KeyTag.repair_order_id.in_(list(by_ro)))
        .order_by(KeyTag.code)))
    sent = {(kind, tag_id, user_id) for kind, tag_id, user_id in db.session.execute(
        select(KeyReminder.kind, KeyReminder.tag_id, KeyReminder.user_id).where(
            KeyReminder.store_id == store_id, KeyReminder.day == day))}
    out = [tag for tag in tags if tag.place_enum != KeyPlace.BOARD]

    # the holders: one notice each, naming the keys they have not been reminded of yet
    to_remind: dict[int, list[KeyTag]] = {}
    for tag in out:
        holder_id = tag.holder_id or by_ro[tag.repair_order_id].advisor_id  # a key at the wash: the advisor
        if holder_id and ("holder", tag.id, holder_id) not in sent:
            to_remind.setdefault(holder_id, []).append(tag)
    for user_id, held in to_remind.items():
        for tag in held:
            db.session.add(KeyReminder(store_id=store_id, day=day, kind="holder", tag_id=tag.id, user_id=user_id,
                                       sent_at=now))
        notices.notify(store_id, [user_id], HOLDER_NOTICE,
                       {"keys": [_key_line(t, by_ro[t.repair_order_id].vehicle.plate) for t in held],
                        "time": store.key_collection_at.strftime("%H:%M")}, link="/keys/")
        run.reminded.append(user_id)

    report_at = collection + timedelta(minutes=hooks.report_minutes(store_id))
    if local >= report_at:
        run.reported = _report(store, day, now, out, by_ro, tags, sent)
    db.session.flush()
    return run


def _report(store: Store, day: date, now: datetime, out: list[KeyTag], by_ro: dict[int, RepairOrder],
            tags: list[KeyTag], sent: set) -> list[int]:
    """Tell every director the keys still out and the overnight cars with no tag, each once a day."""
    tagged = {tag.repair_order_id for tag in tags}
    untagged = [ro for ro in by_ro.values() if ro.id not in tagged]
    day_start, _end = clock.store_day_bounds_utc(day, store.timezone)
    named: dict[int, set[int]] = {}  # untagged cars already named to each director today
    for user_id, params in db.session.execute(select(Notice.user_id, Notice.params_json).where(
            Notice.store_id == store.id, Notice.kind == REPORT_NOTICE, Notice.created_at >= day_start)):
        named.setdefault(user_id, set()).update(json.loads(params or "{}").get("untagged_ids", []))
    reported = []
    for director_id in holders_of(store.id, Role.DIRECTOR):
        keys = [tag for tag in out if ("report", tag.id, director_id) not in sent]
        cars = [ro for ro in untagged if ro.id not in named.get(director_id, set())]
        if not keys and not cars:
            continue
        for tag in keys:
            db.session.add(KeyReminder(store_id=store.id, day=day, kind="report", tag_id=tag.id, user_id=director_id,
                                       sent_at=now))
        notices.notify(store.id, [director_id], REPORT_NOTICE, {
            "keys": [_key_line(t, by_ro[t.repair_order_id].vehicle.plate) for t in keys],
            "untagged": [{"plate": ro.vehicle.plate, "number": ro.number} for ro in cars],
            "untagged_ids": [ro.id for ro in cars]}, link="/keys/overnight/")
        reported.append(director_id)
    return reported


# ------------------------------------------------------------------ how the notices read

def _place_label(code: str | None) -> str:
    try:
        return str(KeyPlace(code).label)
    except ValueError:
        return code or ""


def _keys_text(keys: list[dict]) -> str:
    parts = []
    for key in keys:
        where = _place_label(key.get("place"))
        if key.get("holder"):
            where = f"{where}, {key['holder']}"
        parts.append(_("%(code)s (%(plate)s, %(where)s)", code=key.get("code"), plate=key.get("plate"), where=where))
    return "; ".join(parts)


def _holder_text(p: dict) -> str:
    return _("Key collection (%(time)s): bring back to the key board the keys you hold: %(keys)s.",
             time=p.get("time", ""), keys=_keys_text(p.get("keys", [])))


def _report_text(p: dict) -> str:
    texts = []
    if p.get("keys"):
        texts.append(_("Keys not back on the key board: %(keys)s.", keys=_keys_text(p["keys"])))
    if p.get("untagged"):
        texts.append(_("Cars staying overnight without a key tag: %(cars)s.", cars="; ".join(
            f"{car.get('plate')} ({car.get('number')})" for car in p["untagged"])))
    return " ".join(texts)


notices.register(HOLDER_NOTICE, _holder_text)
notices.register(REPORT_NOTICE, _report_text)


def not_found(code: str) -> NotFound:
    return NotFound(_l("There is no key tag “%(code)s”. Check the number on the tag, or add it on the tags page.",
                       code=normalize_code(code)))
