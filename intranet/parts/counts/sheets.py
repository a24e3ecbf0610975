"""The count sheet and its entry on the tablet: blind counts, and a second count by someone else when
a variance is worth more than the count's recount value."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.billing import decimal_from
from intranet.errors import DomainError, IllegalTransition, NotFound
from intranet.extensions import db
from intranet.parts.counts.rules import RECENT_REPLAY, AlreadyCounted, SameCounter, _name, get_count
from intranet.parts.models import ZERO, CountLine, CountStatus, Part

# ------------------------------------------------------------------ the sheet and its entry

@dataclass
class SheetProgress:
    total: int = 0
    counted: int = 0
    to_recount: int = 0

    @property
    def uncounted(self) -> int:
        return self.total - self.counted

    @property
    def percent(self) -> int:
        return int(self.counted * 100 / self.total) if self.total else 0


def sheet_progress(count_id: int) -> SheetProgress:
    row = db.session.execute(select(
        func.count(CountLine.id), func.count(CountLine.first_quantity),
        func.coalesce(func.sum(case((CountLine.needs_second.is_(True) & CountLine.second_quantity.is_(None), 1),
                                    else_=0)), 0),
    ).where(CountLine.count_id == count_id)).one()
    return SheetProgress(total=row[0], counted=row[1], to_recount=int(row[2]))


SHEET_FILTERS = ("all", "todo", "recount")


def sheet_lines(count_id: int, *, show: str = "all", page: int = 1, per_page: int = 100) -> tuple[list[CountLine], bool]:
    """One page of the sheet in walking order, with its parts; and whether there is a next page."""
    stmt = select(CountLine).options(joinedload(CountLine.part)).where(CountLine.count_id == count_id)
    if show == "todo":
        stmt = stmt.where(CountLine.first_quantity.is_(None))
    elif show == "recount":
        stmt = stmt.where(CountLine.needs_second.is_(True), CountLine.second_quantity.is_(None))
    rows = list(db.session.scalars(stmt.order_by(CountLine.seq, CountLine.id)
                                   .offset((max(page, 1) - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def find_line(count_id: int, store_id: int, *, line_id: int | None = None, part_number: str | None = None
              ) -> CountLine:
    """The sheet line the counter picked, or whose part number they typed or scanned."""
    count = get_count(count_id, store_id)
    if line_id:
        line = db.session.get(CountLine, line_id)
        if line is None or line.count_id != count.id:
            raise NotFound(_l("This line is not on the count's sheet."))
        return line
    number = (part_number or "").strip().upper()
    if not number:
        raise DomainError(_l("Scan or type the part number."), field="part_number")
    line = db.session.scalar(select(CountLine).options(joinedload(CountLine.part)).join(Part)
                             .where(CountLine.count_id == count.id, Part.number == number))
    if line is None:
        exists = db.session.scalar(select(Part.id).where(Part.store_id == store_id, Part.number == number))
        if exists is None:
            raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number), field="part_number")
        raise DomainError(_l("Part %(number)s is not on this count's sheet.", number=number), field="part_number")
    return line


def line_stage(line: CountLine) -> str | None:
    """What the line waits for: "first", "second", or None when it is counted."""
    if line.first_quantity is None:
        return "first"
    if line.needs_second and line.second_quantity is None:
        return "second"
    return None


def _count_quantity(value) -> Decimal:
    quantity = decimal_from(value, "quantity")
    if quantity is None:
        raise DomainError(_l("Enter the quantity counted (0 when the bin is empty)."), field="quantity")
    if quantity < 0:
        raise DomainError(_l("A counted quantity cannot be negative."), field="quantity")
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the quantity with at most two decimals."), field="quantity")
    return quantity


def enter_count(count_id: int, *, store_id: int, actor_id: int, quantity, line_id: int | None = None,
                part_number: str | None = None, stage: str | None = None) -> CountLine:
    """Record what the counter found in a bin. The book quantity is the part's on-hand now. A
    variance worth more than the recount value flags the line for a second count, which someone
    else must make; the second count then decides. `stage` is the stage the tablet showed
    ("first"/"second"): a line already past it is refused as counted twice — except the same
    person resending the same figure within two minutes (a double tap), which changes nothing."""
    count = get_count(count_id, store_id)
    line = find_line(count.id, store_id, line_id=line_id, part_number=part_number)
    counted = _count_quantity(quantity)
    if count.status_enum != CountStatus.COUNTING:
        raise IllegalTransition(_l("Count %(number)s is “%(status)s”: counts are entered only while counting.",
                                   number=count.number, status=count.status_enum.label))
    part = line.part
    now = clock.utcnow()
    current = line_stage(line)
    if stage and current != stage:
        replay_at, replay_by, replay_quantity = ((line.first_at, line.first_by_id, line.first_quantity)
                                                 if stage == "first" else
                                                 (line.second_at, line.second_by_id, line.second_quantity))
        if (replay_by == actor_id and replay_quantity is not None and Decimal(replay_quantity) == counted
                and replay_at is not None and now - replay_at <= RECENT_REPLAY):
            return line
        current = None
    if current is None:
        who = line.second_by_id if line.second_quantity is not None else line.first_by_id
        raise AlreadyCounted(_l("%(number)s (bin %(bin)s) was already counted by %(who)s. A bin is counted once; "
                                "ask the parts manager if it must be counted again.",
                                number=part.number, bin=line.bin_code or "—", who=_name(who)), field="quantity")
    if current == "second" and line.first_by_id == actor_id:
        raise SameCounter(_l("%(number)s needs a second count by someone else: you made the first count.",
                             number=part.number), field="quantity")
    book, cost = db.session.execute(select(Part.on_hand, Part.cost).where(Part.id == part.id)).one()
    if current == "first":
        line.first_quantity, line.first_book, line.first_by_id, line.first_at = counted, book, actor_id, now
        variance_value = abs((counted - Decimal(book)) * Decimal(cost or ZERO))
        line.needs_second = variance_value > Decimal(count.recount_value)
    else:
        line.second_quantity, line.second_book, line.second_by_id, line.second_at = counted, book, actor_id, now
    db.session.flush()
    return line


def next_line(count_id: int, after_seq: int, stage: str = "first") -> CountLine | None:
    """The next line in walking order still waiting for this stage of counting (wrapping round)."""
    if stage == "second":
        waiting = (CountLine.needs_second.is_(True)) & CountLine.second_quantity.is_(None)
    else:
        waiting = CountLine.first_quantity.is_(None)
    base = select(CountLine).options(joinedload(CountLine.part)).where(CountLine.count_id == count_id, waiting)
    return (db.session.scalar(base.where(CountLine.seq > after_seq).order_by(CountLine.seq).limit(1))
            or db.session.scalar(base.order_by(CountLine.seq).limit(1)))
