"""Demo data for stock counts and write-offs, made through the services as the people would:
one approved monthly full count near the start of the current month with a handful of explained
variances, one A-class cycle count half counted, one posted write-off and one waiting for the
warranty supervisor. Expects a catalogue with stock and history already there."""
from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from intranet import clock
from intranet.core.models import Role, Store
from intranet.core.services import holders_of
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts import counts, writeoffs
from intranet.parts.models import CountLine, CountStatus, Part

REASONS = ["发料未及时登记", "收货时数量点错", "串位：放在相邻货位", "包装破损，零件丢失", "上次盘点记错",
           "退料未入账"]
WRITE_OFF_REASONS = ["搬运时跌落，外壳开裂，无法修复", "库存超过五年，车型停产，厂家不回收"]


def _at(store: Store, day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), store.timezone)


def _photo(rng: random.Random, label: str) -> FileStorage:
    image = Image.new("RGB", (640, 480), (200 + rng.randrange(40), 200, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 100, 520, 380), outline=(60, 60, 60), width=8)
    draw.line((160, 130, 470, 350), fill=(150, 30, 30), width=10)  # the crack
    draw.text((130, 400), label, fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    buffer.seek(0)
    return FileStorage(buffer, filename="damage.jpg", content_type="image/jpeg")


def _count_lines(store: Store, count_id: int, lines: list[CountLine], actor_id: int, figures: dict[int, Decimal],
                 start: datetime) -> None:
    """Count `lines` one after the other, a few seconds each, at the book quantity unless in `figures`."""
    for n, line in enumerate(lines):
        with clock.frozen(start + timedelta(seconds=12 * n)):
            counts.enter_count(count_id, store_id=store.id, actor_id=actor_id, line_id=line.id, stage="first",
                               quantity=figures.get(line.id, line.part.on_hand))


def _lines(count_id: int) -> list[CountLine]:
    return list(db.session.scalars(select(CountLine).options(joinedload(CountLine.part))
                                   .where(CountLine.count_id == count_id).order_by(CountLine.seq)))


def _variances(rng: random.Random, lines: list[CountLine], how_many: int) -> dict[int, Decimal]:
    stocked = [line for line in lines if Decimal(line.part.on_hand) >= 2]
    figures = {}
    for line in rng.sample(stocked, min(how_many, len(stocked))):
        on_hand = Decimal(line.part.on_hand)
        figures[line.id] = on_hand + rng.choice((-2, -1, -1, 1, 2))
    return figures


def _cast(store: Store, staff: dict[str, int | None]) -> dict[str, int]:
    """Who does what. Posts may be held by one person in a small store (the counter may be the
    parts manager): each rule's "someone else" is then taken from the store's other signatories."""
    parts_people = holders_of(store.id, Role.PARTS)
    manager = staff.get("parts_manager") or parts_people[0]
    keeper = staff.get("storekeeper") or next((u for u in parts_people if u != manager), manager)
    counter = staff.get("counter") or keeper

    def other_than(*people: int | None, roles=(Role.PARTS, Role.DIRECTOR)) -> int | None:
        return next((u for u in holders_of(store.id, *roles) if u not in people), None)

    requester = keeper if keeper != manager else counter
    return {"opener": keeper, "counter": counter, "manager": manager,
            "approver": manager if manager != keeper else (staff.get("director") or other_than(keeper)),
            "second": keeper if keeper != counter else (other_than(counter) or manager),
            "director": staff.get("director"), "warranty": staff.get("warranty"), "requester": requester,
            "parts_signer": manager if manager != requester else other_than(requester, roles=(Role.PARTS,))}


def seed(store_id: int, rng: random.Random, staff: dict[str, int], days: list[date]) -> None:
    store = db.session.get(Store, store_id)
    staff = _cast(store, staff)
    days = sorted(days)
    last = days[-1]
    this_month = [d for d in days if (d.year, d.month) == (last.year, last.month)]
    full_day = this_month[0] if this_month else last
    _full_count(store, rng, staff, full_day)
    mondays = [d for d in days if d.weekday() == 0 and d > full_day] or [last]
    _cycle_count(store, rng, staff, mondays[-1])
    _write_offs(store, rng, staff, days)
    db.session.commit()


def _full_count(store: Store, rng: random.Random, staff: dict[str, int], day: date) -> None:
    with clock.frozen(_at(store, day, 8, 10)):
        count = counts.open_count(store_id=store.id, actor_id=staff["opener"], kind="full",
                                  recount_value="200")
        counts.generate_sheets(count.id)
    lines = _lines(count.id)
    figures = _variances(rng, lines, 6)
    half = len(lines) // 2
    # two counters walk the store from both ends of the sheet
    _count_lines(store, count.id, lines[:half], staff["counter"], figures, _at(store, day, 8, 30))
    _count_lines(store, count.id, lines[half:], staff["second"], figures, _at(store, day, 8, 30))
    with clock.frozen(_at(store, day, 14, 0)):
        for line in _lines_to_recount(count.id):
            second = staff["second"] if line.first_by_id != staff["second"] else staff["counter"]
            counts.enter_count(count.id, store_id=store.id, actor_id=second, line_id=line.id, stage="second",
                               quantity=line.first_quantity)
    with clock.frozen(_at(store, day, 15, 0)):
        counts.submit_for_review(count.id, store_id=store.id, actor_id=staff["opener"])
        for line in counts.variance_report(count.id, store.id).lines:
            counts.explain_variance(count.id, line.id, store_id=store.id, reason=rng.choice(REASONS),
                                    responsible_id=rng.choice((staff["second"], staff["counter"])))
    with clock.frozen(_at(store, day, 16, 30)):
        counts.approve_count(count.id, store_id=store.id, actor_id=staff["approver"])
    db.session.flush()


def _lines_to_recount(count_id: int) -> list[CountLine]:
    return list(db.session.scalars(select(CountLine).where(CountLine.count_id == count_id,
                                                           CountLine.needs_second.is_(True),
                                                           CountLine.second_quantity.is_(None))))


def _cycle_count(store: Store, rng: random.Random, staff: dict[str, int], day: date) -> None:
    with clock.frozen(_at(store, day, 8, 5)):
        count = counts.open_count(store_id=store.id, actor_id=staff["manager"], kind="cycle", classes="A",
                                  recount_value="300")
        counts.generate_sheets(count.id)
    lines = _lines(count.id)
    done = lines[: max(1, len(lines) * 2 // 5)]
    _count_lines(store, count.id, done, staff["counter"], _variances(rng, done, 2), _at(store, day, 9, 0))
    assert db.session.get(type(count), count.id).status == CountStatus.COUNTING


def _recoverable(part: Part) -> bool:
    try:
        writeoffs.check_not_recoverable(part)
    except DomainError:
        return True
    return False


def _write_offs(store: Store, rng: random.Random, staff: dict[str, int], days: list[date]) -> None:
    candidates = list(db.session.scalars(select(Part).where(Part.store_id == store.id, Part.active.is_(True),
                                                            Part.on_hand - Part.reserved >= 2)
                                         .order_by(Part.id).limit(400)))
    rng.shuffle(candidates)
    chosen = []
    for part in candidates:
        with clock.frozen(_at(store, days[-1], 9, 0)):
            if not _recoverable(part):
                chosen.append(part)
        if len(chosen) == 2:
            break
    if len(chosen) < 2 or not all(staff[k] for k in ("requester", "director", "warranty", "parts_signer")):
        return
    folder = current_app.config["PHOTO_FOLDER"]
    posted_day = days[-3] if len(days) >= 3 else days[0]
    with clock.frozen(_at(store, posted_day, 10, 20)):
        posted = writeoffs.request_write_off(store_id=store.id, actor_id=staff["requester"],
                                             part_number=chosen[0].number, quantity="1", reason=WRITE_OFF_REASONS[0],
                                             photos=[_photo(rng, chosen[0].number)], photo_folder=folder)
    for hour, who, role in ((11, "director", "director"), (14, "warranty", "warranty"),
                            (16, "parts_signer", "parts")):
        with clock.frozen(_at(store, posted_day, hour, 15)):
            writeoffs.approve_write_off(posted.id, store_id=store.id, actor_id=staff[who], role=role)
    waiting_day = days[-1]
    with clock.frozen(_at(store, waiting_day, 8, 40)):
        waiting = writeoffs.request_write_off(store_id=store.id, actor_id=staff["requester"],
                                              part_number=chosen[1].number, quantity="2",
                                              reason=WRITE_OFF_REASONS[1], photos=[_photo(rng, chosen[1].number)],
                                              photo_folder=folder)
    for minute, who, role in ((50, "director", "director"), (55, "parts_signer", "parts")):
        with clock.frozen(_at(store, waiting_day, 8, minute)):
            writeoffs.approve_write_off(waiting.id, store_id=store.id, actor_id=staff[who], role=role)
    db.session.flush()
