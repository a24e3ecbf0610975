"""CSI (客户满意度): the manufacturer's survey scores brought in from its CSV, one per repair order;
the CSI of each advisor month by month against the store's target; and the customer-care figures,
each with the formula it is computed by.

The figures are plain definitions (`reach_rate`, `complaint_rate`, `csi_average`, all gathered by
`care_figures`) so that the management KPIs use the very same ones. Each is one query whatever the
size of the store; a figure whose denominator is 0 has no value ("no data"), never a division by 0.

The score scale, decided once per file: the manufacturer sends scores either as percent (0–100)
or on a ten-point scale (0–10). When every score of the file is at most 10 the file is read as a
ten-point file and each score is multiplied by 10; otherwise every score is percent. The person
importing may also name the scale; a ten-point file then refuses a score above 10."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.models import CallStatus, Complaint, CsiScore, FollowUpCall
from intranet.care.settings import settings_for
from intranet.core.models import RepairOrder, Role, ROStatus, Store, User, UserRole
from intranet.core.uploads import csv_rows
from intranet.errors import DomainError
from intranet.extensions import db

# The columns, as headed in the file: Chinese or English headings are both recognised.
COLUMNS = (
    ("ro_number", ("工单号", "工单编号", "维修工单号", "委托书号", "ro_number", "ro number", "ro")),
    ("surveyed_on", ("调查日期", "回访日期", "surveyed_on", "survey date", "date")),
    ("score", ("得分", "分数", "评分", "score")),
    ("comment", ("备注", "评价", "客户意见", "comment", "comments")),
)
HEADINGS = {name.lower(): key for key, names in COLUMNS for name in names}
REQUIRED = ("ro_number", "surveyed_on", "score")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
CHUNK = 500  # numbers looked up per query (well under every database's parameter limit)
COMMENT_LIMIT = 2000

SCALE_AUTO, SCALE_PERCENT, SCALE_TEN = "auto", "percent", "ten"
SCALES = (SCALE_AUTO, SCALE_PERCENT, SCALE_TEN)

DELIVERED = (ROStatus.DELIVERED, ROStatus.CLOSED)
TENTH = Decimal("0.1")


# ------------------------------------------------------------------ import

@dataclass
class ImportRow:
    line: int  # the row number in the file, the heading being row 1
    ro_number: str
    outcome: str  # "imported", "updated" or "refused"
    message: str = ""
    score: Decimal | None = None


@dataclass
class ImportReport:
    rows: list[ImportRow]
    scale: str  # the scale the file was read on: "percent" or "ten"

    def _of(self, outcome: str) -> list[ImportRow]:
        return [r for r in self.rows if r.outcome == outcome]

    @property
    def imported(self) -> list[ImportRow]:
        return self._of("imported")

    @property
    def updated(self) -> list[ImportRow]:
        return self._of("updated")

    @property
    def refused(self) -> list[ImportRow]:
        return self._of("refused")


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """The file's rows as (row number, {column key: text}); refuses a file that cannot be read at all."""
    if not data:
        raise DomainError(_l("Choose the manufacturer's CSV file."), field="file")
    if not (filename or "").lower().endswith((".csv", ".txt")):
        raise DomainError(_l("“%(name)s” is not a CSV file. Save the survey sheet as CSV and import that.",
                             name=filename or "?"), field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than 5 MB."), field="file")
    lines = csv_rows(data, sniff=True, max_rows=MAX_ROWS)
    if not lines:
        raise DomainError(_l("The file is empty."), field="file")
    _heading_line, heading = lines[0]
    keys = [HEADINGS.get(cell.strip().lower()) for cell in heading]
    if any(key not in keys for key in REQUIRED):
        raise DomainError(_l("The first row must name the columns: RO number (工单号), survey date (调查日期) and "
                             "score (得分); a comment (备注) may follow."), field="file")
    if len(lines) - 1 > MAX_ROWS:
        raise DomainError(_l("At most %(n)d rows at a time.", n=MAX_ROWS), field="file")
    return [(n, {key: cell.strip() for key, cell in zip(keys, row) if key}) for n, row in lines[1:]]


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def parse_date(text: str) -> date | None:
    """2026-11-03, 2026/11/3, 2026.11.3, 20261103, 2026年11月3日 (a time after the date is ignored)."""
    value = (text or "").strip().split(" ")[0].split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def parse_number(text: str) -> Decimal | None:
    value = (text or "").strip().rstrip("%％").strip().replace("，", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", value):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


def file_scale(rows: list[tuple[int, dict]], asked: str = SCALE_AUTO) -> str:
    """The scale the file is read on: the one asked, or — automatically — ten-point when every
    score that is a number is at most 10, percent otherwise."""
    if asked in (SCALE_PERCENT, SCALE_TEN):
        return asked
    numbers = [n for n in (parse_number(row.get("score", "")) for _line, row in rows) if n is not None]
    return SCALE_TEN if numbers and max(numbers) <= 10 else SCALE_PERCENT


def _score(text: str, scale: str) -> Decimal:
    number = parse_number(text)
    if number is None:
        raise DomainError(_l("The score “%(value)s” is not a number.", value=text))
    top = 10 if scale == SCALE_TEN else 100
    if number > top:
        raise DomainError(_l("The score %(value)s is out of range (0–%(top)s).", value=text, top=top))
    percent = number * 10 if scale == SCALE_TEN else number
    return percent.quantize(TENTH, rounding=ROUND_HALF_UP)


def _chunks(values: list[str]):
    for n in range(0, len(values), CHUNK):
        yield values[n:n + CHUNK]


def import_scores(store_id: int, actor_id: int | None, file_storage_or_bytes, filename: str | None = None, *,
                  scale: str = SCALE_AUTO, today: date | None = None) -> ImportReport:
    """Bring in the manufacturer's survey scores, one row per repair order. Each row stands alone:
    a refused row (with its reason) changes nothing and does not stop the others. A repair order
    already scored is updated with the file's score. The advisor is the repair order's advisor at
    the time of the import. Flushes; the caller commits. Queries: two per 500 distinct RO numbers."""
    if isinstance(file_storage_or_bytes, (bytes, bytearray)):
        data = bytes(file_storage_or_bytes)
    elif file_storage_or_bytes is None:
        data = b""
    else:
        data = file_storage_or_bytes.read(MAX_BYTES + 1)
        filename = filename or getattr(file_storage_or_bytes, "filename", None)
    rows = read_rows(data, filename or "")
    scale = file_scale(rows, scale if scale in SCALES else SCALE_AUTO)
    store = db.session.get(Store, store_id)
    today = today or clock.store_today(store.timezone)

    numbers = sorted({row.get("ro_number", "").strip().upper() for _line, row in rows} - {""})
    orders: dict[tuple[int, str], RepairOrder] = {}
    existing: dict[str, CsiScore] = {}
    for chunk in _chunks(numbers):
        for ro in db.session.scalars(select(RepairOrder).where(RepairOrder.number.in_(chunk))):
            orders[(ro.store_id == store_id, ro.number.upper())] = ro
        for score in db.session.scalars(select(CsiScore).where(CsiScore.store_id == store_id,
                                                               CsiScore.ro_number.in_(chunk))):
            existing[score.ro_number] = score

    seen: dict[str, int] = {}
    report = []
    for line, row in rows:
        number = row.get("ro_number", "").strip().upper()
        try:
            score = _import_row(row, number, store, orders, existing, seen, line, scale, today, actor_id)
        except DomainError as refused:
            report.append(ImportRow(line, number, "refused", str(refused.message)))
            continue
        report.append(ImportRow(line, number, score, score=existing[number].score))
    db.session.flush()
    return ImportReport(rows=report, scale=scale)


def _import_row(row: dict, number: str, store: Store, orders, existing, seen, line, scale, today, actor_id) -> str:
    if not number:
        raise DomainError(_l("The RO number is missing."))
    if number in seen:
        raise DomainError(_l("RO %(number)s is already in row %(line)s of this file; only that row counts.",
                             number=number, line=seen[number]))
    seen[number] = line
    ro = orders.get((True, number))
    if ro is None:
        if (False, number) in orders:
            raise DomainError(_l("RO %(number)s is another store's repair order.", number=number))
        raise DomainError(_l("No repair order %(number)s in this store.", number=number))
    if ro.status not in DELIVERED or ro.delivered_at is None:
        raise DomainError(_l("RO %(number)s has not been delivered yet: a survey comes after delivery.",
                             number=number))
    raw_day = row.get("surveyed_on", "")
    surveyed_on = parse_date(raw_day)
    if surveyed_on is None:
        raise DomainError(_l("The survey date “%(value)s” is not a date (write 2026-11-03, 2026/11/3 or 20261103).",
                             value=raw_day))
    if surveyed_on > today:
        raise DomainError(_l("The survey date %(day)s is in the future.", day=surveyed_on.isoformat()))
    delivered_on = clock.to_store_time(ro.delivered_at, store.timezone).date()
    if surveyed_on < delivered_on:
        raise DomainError(_l("The survey date %(day)s is before the car was delivered (%(delivered)s).",
                             day=surveyed_on.isoformat(), delivered=delivered_on.isoformat()))
    score = _score(row.get("score", ""), scale)
    comment = (row.get("comment") or "").strip()[:COMMENT_LIMIT] or None
    found = existing.get(number)
    if found is None:
        found = CsiScore(store_id=store.id, ro_number=number)
        db.session.add(found)
        existing[number] = found
        outcome = "imported"
    else:
        outcome = "updated"
    found.repair_order_id, found.advisor_id = ro.id, ro.advisor_id
    found.surveyed_on, found.score, found.comment = surveyed_on, score, comment
    found.imported_at, found.imported_by_id = clock.utcnow(), actor_id
    return outcome


def recent_imports(store_id: int, limit: int = 20) -> list[CsiScore]:
    """The scores imported last, newest first, with their repair order and advisor."""
    return list(db.session.scalars(
        select(CsiScore).options(joinedload(CsiScore.advisor), joinedload(CsiScore.repair_order))
        .where(CsiScore.store_id == store_id).order_by(CsiScore.imported_at.desc(), CsiScore.id.desc()).limit(limit)))


# ------------------------------------------------------------------ CSI per advisor and month

def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def recent_months(today: date, count: int = 6) -> list[date]:
    """The first days of the last `count` months, the current one last."""
    months = [month_start(today)]
    while len(months) < count:
        months.insert(0, month_start(months[0] - timedelta(days=1)))
    return months


def _average(total, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(str(total)) / count).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class Cell:
    total: Decimal = Decimal(0)
    count: int = 0
    target: Decimal = Decimal("93.0")

    @property
    def average(self) -> Decimal | None:
        return _average(self.total, self.count)

    @property
    def on_target(self) -> bool | None:
        return None if self.average is None else self.average >= self.target


@dataclass
class AdvisorRow:
    advisor: User | None  # None: repair orders without an advisor
    cells: dict[date, Cell]
    overall: Cell


@dataclass
class CsiGrid:
    months: list[date]
    target: Decimal
    rows: list[AdvisorRow]
    store: dict[date, Cell]
    overall: Cell


def csi_by_advisor(store_id: int, months: list[date]) -> CsiGrid:
    """The average survey score of each advisor in each of `months` (first days, in order), the
    store's average each month, against the store's target. Advisors are those holding the role
    now, plus anyone scored in the months (an advisor who left still has their scores). A month is
    the month of the survey date. Three queries."""
    months = sorted(month_start(m) for m in months)
    target = Decimal(settings_for(store_id).csi_target)
    if not months:
        return CsiGrid(months=[], target=target, rows=[], store={}, overall=Cell(target=target))
    bounds = [*months[1:], next_month(months[-1])]
    month_of = case(*[(CsiScore.surveyed_on < end, n) for n, end in enumerate(bounds)], else_=-1)
    found = db.session.execute(
        select(CsiScore.advisor_id, month_of.label("m"), func.sum(CsiScore.score), func.count())
        .where(CsiScore.store_id == store_id, CsiScore.surveyed_on >= months[0], CsiScore.surveyed_on < bounds[-1])
        .group_by(CsiScore.advisor_id, month_of)).all()
    advisor_ids = {advisor_id for advisor_id, _m, _s, _c in found if advisor_id is not None}
    people = list(db.session.scalars(
        select(User).where(User.store_id == store_id, or_(
            User.id.in_(advisor_ids or {0}),
            and_(User.active.is_(True),
                 User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.ADVISOR.value)))))
        .order_by(User.display_name, User.id)))

    def empty_row(advisor):
        return AdvisorRow(advisor=advisor, cells={m: Cell(target=target) for m in months}, overall=Cell(target=target))

    rows = {user.id: empty_row(user) for user in people}
    store_cells = {m: Cell(target=target) for m in months}
    overall = Cell(target=target)
    for advisor_id, m, total, count in found:
        if m < 0:
            continue
        month = months[m]
        row = rows.setdefault(advisor_id if advisor_id in rows else None, empty_row(None))
        total = Decimal(str(total or 0))
        for cell in (row.cells[month], row.overall, store_cells[month], overall):
            cell.total += total
            cell.count += count
    ordered = [rows[u.id] for u in people] + ([rows[None]] if None in rows else [])
    return CsiGrid(months=months, target=target, rows=ordered, store=store_cells, overall=overall)


# ------------------------------------------------------------------ the care figures

@dataclass
class Figure:
    """A rate with how it was computed: value = numerator ÷ denominator (a percent), None when the
    denominator is 0."""

    name: object
    formula: object  # the formula in words, translated
    numerator: Decimal | int
    denominator: int
    value: Decimal | None
    target: Decimal | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def on_target(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


def _percent(numerator, denominator: int, places: Decimal = TENTH) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(str(numerator)) * 100 / denominator).quantize(places, rounding=ROUND_HALF_UP)


REACH_NAME = _l("Follow-up reach rate")
REACH_FORMULA = _l("follow-up calls reached ÷ follow-up calls due in the period that are closed (reached + expired); "
                   "a call is due in the period when its window opens in it; calls still to make and cancelled "
                   "calls are not counted")
COMPLAINT_NAME = _l("Complaint rate")
COMPLAINT_FORMULA = _l("complaints received in the period (all, justified or not) ÷ cars delivered in the period")
CSI_NAME = _l("CSI")
CSI_FORMULA = _l("average of the manufacturer's survey scores with a survey date in the period = sum of the "
                 "scores ÷ number of surveys")


def reach_rate(store_id: int, start: date, end: date) -> Figure:
    """Follow-up reach rate: calls reached ÷ calls due in [start, end] (store days, by the day
    their window opens) that are closed, i.e. reached or expired. One query."""
    reached, closed = db.session.execute(
        select(func.coalesce(func.sum(case((FollowUpCall.status == CallStatus.DONE, 1), else_=0)), 0), func.count())
        .where(FollowUpCall.store_id == store_id, FollowUpCall.due_from >= start, FollowUpCall.due_from <= end,
               FollowUpCall.status.in_((CallStatus.DONE, CallStatus.EXPIRED)))).one()
    return Figure(REACH_NAME, REACH_FORMULA, int(reached), int(closed), _percent(reached, closed))


def _utc_bounds(store: Store, start: date, end: date) -> tuple[datetime, datetime]:
    first, _ = clock.store_day_bounds_utc(start, store.timezone)
    _, last = clock.store_day_bounds_utc(end, store.timezone)
    return first, last


def complaint_rate(store: Store, start: date, end: date) -> Figure:
    """Complaint rate: complaints received in [start, end] ÷ cars delivered in it (not cancelled).
    One query."""
    first, last = _utc_bounds(store, start, end)
    complaints = (select(func.count()).select_from(Complaint)
                  .where(Complaint.store_id == store.id, Complaint.received_at >= first, Complaint.received_at < last)
                  .scalar_subquery())
    delivered = (select(func.count()).select_from(RepairOrder)
                 .where(RepairOrder.store_id == store.id, RepairOrder.delivered_at >= first,
                        RepairOrder.delivered_at < last, RepairOrder.status != ROStatus.CANCELLED)
                 .scalar_subquery())
    received, cars = db.session.execute(select(complaints, delivered)).one()
    return Figure(COMPLAINT_NAME, COMPLAINT_FORMULA, int(received), int(cars),
                  _percent(received, cars, Decimal("0.01")))


def csi_average(store_id: int, start: date, end: date, target: Decimal | None = None) -> Figure:
    """CSI: the average of the survey scores with a survey date in [start, end]. One query."""
    total, count = db.session.execute(
        select(func.coalesce(func.sum(CsiScore.score), 0), func.count())
        .where(CsiScore.store_id == store_id, CsiScore.surveyed_on >= start, CsiScore.surveyed_on <= end)).one()
    return Figure(CSI_NAME, CSI_FORMULA, Decimal(str(total)).quantize(TENTH), int(count), _average(total, int(count)),
                  target=target)


@dataclass
class CareFigures:
    start: date
    end: date
    reach: Figure
    complaints: Figure
    csi: Figure
    figures: list[Figure] = field(default_factory=list)


def care_figures(store_id: int, start: date, end: date) -> CareFigures:
    """The customer-care figures of [start, end] (store days, both included). Five queries."""
    if start > end:
        raise DomainError(_l("The period starts after it ends."), field="start")
    store = db.session.get(Store, store_id)
    target = Decimal(settings_for(store_id).csi_target)
    reach = reach_rate(store_id, start, end)
    complaints = complaint_rate(store, start, end)
    csi = csi_average(store_id, start, end, target)
    return CareFigures(start=start, end=end, reach=reach, complaints=complaints, csi=csi,
                       figures=[csi, reach, complaints])
