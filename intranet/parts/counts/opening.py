"""Opening a count, and its sheets generated in bin-walking order by a background job
(`parts.jobs.count_sheets_job`)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, or_, select, update

from intranet import clock
from intranet.core.billing import decimal_from
from intranet.core.models import Store
from intranet.core.services import claim, next_number
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.jobs import queue
from intranet.parts import history
from intranet.parts.counts.rules import (
    APPROVER_ROLES, DEFAULT_RECOUNT_VALUE, OPEN_COUNT, SHEET_BATCH, ApprovalRefused, CountOverlaps, _classes,
    _move, _user, normalise_bin_prefix,
)
from intranet.parts.models import CountKind, CountLine, CountStatus, Part, StockCount

# ------------------------------------------------------------------ opening a count

def open_count(*, store_id: int, actor_id: int | None, kind: str, classes=None, bin_prefix: str | None = None,
               recount_value=None, scheduled_for: date | None = None) -> StockCount:
    """Open a count session in GENERATING; its sheets come from `generate_sheets` (the view or job
    enqueues "parts-count-sheets" after committing). A cycle count names ABC classes and/or a bin
    prefix; full and quarterly counts take every part. A count over bins another open count takes
    is refused (`CountOverlaps`, naming it): each variance is posted once."""
    # one opening at a time per store: a second one at the same moment waits, then sees the first
    claim(Store, store_id)
    try:
        kind_enum = CountKind(kind)
    except ValueError:
        raise DomainError(_l("Choose the kind of count."), field="kind") from None
    if actor_id is not None:
        actor = _user(actor_id, store_id)
        if actor is None or not actor.has_role(*APPROVER_ROLES):
            raise ApprovalRefused(_l("Counts are opened by the parts staff or the director."))
    chosen_classes, prefix = _classes(classes), normalise_bin_prefix(bin_prefix)
    if kind_enum != CountKind.CYCLE:
        chosen_classes, prefix = None, None
    elif not chosen_classes and not prefix:
        raise DomainError(_l("A cycle count needs ABC classes or a bin prefix (e.g. A-03 for one shelf)."),
                          field="classes")
    if recount_value in (None, ""):
        value = DEFAULT_RECOUNT_VALUE
    else:
        value = decimal_from(recount_value, "recount_value")
        if value is None or value < 0:
            raise DomainError(_l("The recount value cannot be negative."), field="recount_value")
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound(_l("No such store."))
    other, example = overlapping_count(store_id, chosen_classes, prefix)
    if other is not None:
        raise CountOverlaps(_l("Count %(number)s (%(kind)s, “%(status)s”) is still open over some of these bins, "
                               "e.g. %(example)s: a bin is counted by one count at a time, or its variance would "
                               "be posted twice. Finish or cancel %(number)s first, or choose other bins.",
                               number=other.number, kind=other.kind_enum.label, status=other.status_enum.label,
                               example=example),
                            field="bin_prefix" if prefix else "classes" if chosen_classes else "kind", other_id=other.id)
    today = clock.store_today(store.timezone)
    count = StockCount(store_id=store_id, number=f"PD-{next_number(store, 'count', today)}", kind=kind_enum,
                       status=CountStatus.GENERATING, classes=chosen_classes, bin_prefix=prefix,
                       scheduled_for=scheduled_for, recount_value=value, created_by_id=actor_id,
                       created_at=clock.utcnow())
    db.session.add(count)
    db.session.flush()
    history.opened(count, subject="count", actor_id=actor_id)
    return count


def _covers(stmt, classes: str | None, prefix: str | None):
    """`stmt` narrowed to the parts a count of these classes and bin prefix takes."""
    if classes:
        stmt = stmt.where(Part.abc_class.in_(list(classes)))
    if prefix:
        stmt = stmt.where(or_(Part.bin_code == prefix, Part.bin_code.startswith(prefix + "-")))
    return stmt


def overlapping_count(store_id: int, classes: str | None, prefix: str | None,
                      *, exclude_id: int | None = None) -> tuple[StockCount | None, str | None]:
    """An open count (being prepared, counted or reviewed) that takes some of the parts a count of
    these classes and bin prefix would take, and one such part's bin (or number); (None, None) when
    none does. Judged on the catalogue as it is now; the sheet job also leaves out a part already on
    another open count's sheet."""
    others = db.session.scalars(select(StockCount).where(
        StockCount.store_id == store_id, StockCount.status.in_([str(s) for s in OPEN_COUNT]),
        StockCount.id != (exclude_id or 0)).order_by(StockCount.id))
    for other in others:
        stmt = select(Part.bin_code, Part.number).where(Part.store_id == store_id,
                                                        or_(Part.active.is_(True), Part.on_hand != 0))
        stmt = _covers(_covers(stmt, classes, prefix), other.classes, other.bin_prefix)
        found = db.session.execute(stmt.order_by(Part.bin_code, Part.number).limit(1)).first()
        if found is not None:
            return other, found[0] or found[1]
    return None, None


def request_sheets(count_id: int):
    """Hand the sheet generation to the worker. Call after the count is committed (the worker must
    see it); when Redis is down the job is kept and sent later (the caller commits that)."""
    return queue.enqueue("parts-count-sheets", count_id=count_id)


def _parts_of(count: StockCount):
    """The parts a count covers, in bin-walking order: bins in code order, parts without a bin last
    by number."""
    on_other_sheets = (select(CountLine.part_id).join(StockCount, StockCount.id == CountLine.count_id)
                       .where(StockCount.store_id == count.store_id, StockCount.id != count.id,
                              StockCount.status.in_([str(s) for s in OPEN_COUNT])))
    stmt = select(Part.id, Part.bin_code).where(Part.store_id == count.store_id,
                                                or_(Part.active.is_(True), Part.on_hand != 0),
                                                Part.id.not_in(on_other_sheets))
    stmt = _covers(stmt, count.classes, count.bin_prefix)
    return db.session.execute(stmt.order_by(Part.bin_code.is_(None), Part.bin_code, Part.number)).all()


def generate_sheets(count_id: int, *, batch_size: int = SHEET_BATCH,
                    on_batch: Callable[[], None] | None = None) -> int:
    """Insert the count's lines in walking order, `batch_size` at a time, recording the progress on
    the count after each batch and calling `on_batch` (the job commits there, so the count page's
    progress bar moves). Idempotent: lines already there are kept, a rerun adds only what is
    missing, and a count no longer being generated is left alone. Returns the lines added."""
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound(_l("No such stock count."))
    if count.status_enum != CountStatus.GENERATING:
        return 0
    parts = _parts_of(count)
    existing = set(db.session.scalars(select(CountLine.part_id).where(CountLine.count_id == count_id)))
    missing = [{"count_id": count_id, "seq": seq, "part_id": part_id, "bin_code": bin_code, "needs_second": False}
               for seq, (part_id, bin_code) in enumerate(parts, start=1) if part_id not in existing]
    total, done = len(existing) + len(missing), len(existing)

    def progress(value: int) -> None:
        db.session.execute(update(StockCount).where(StockCount.id == count_id)
                           .values(total_lines=total, generated_lines=value)
                           .execution_options(synchronize_session=False))
        if on_batch:
            on_batch()

    progress(done)
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        db.session.execute(insert(CountLine), batch)  # one executemany per batch
        done += len(batch)
        progress(done)
    count = db.session.get(StockCount, count_id)
    db.session.refresh(count)
    if count.status_enum == CountStatus.GENERATING:  # not cancelled meanwhile
        _move(count, CountStatus.COUNTING, None)
        db.session.flush()
    return len(missing)
