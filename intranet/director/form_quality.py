"""Form quality (工单填写质量): every night the repair orders opened the day before are checked for
their required fields and for errors, against the store's targets — fill rate 100%, error rate
at most 6% (the store's settings).

The rule, as the page shows it to the advisors:

Required on every repair order (a missing one makes the RO incomplete):
  the customer with a mobile number · the vehicle's VIN · the odometer reading · the customer's
  complaint · the promised time · the advisor · the key tag · the walk-around signed by the
  customer · at least one line.
Errors (any one makes the RO an RO with errors):
  the odometer lower than on the same car's previous repair order · a promised time before the
  RO was opened · insurance lines without the insurer or the claim number · warranty lines
  without the warranty claim reference · a labour line of 0 hours · a part line paid by the
  customer at price 0 · an RO delivered without its delivery record.

Fill rate = ROs with every required field ÷ ROs checked; error rate = ROs with at least one error
÷ ROs checked. The ROs checked are those opened that day (store time), cancelled ones left out.
Each missing field and each error counts once per RO, however many lines show it.

The key tag counts when it is written on the RO, or a tag of the key board went with the car."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from intranet import clock
from intranet.core.models import (
    Customer, Labelled, LineKind, PayType, RepairOrder, RepairOrderLine, ROStatus, User, Vehicle,
)
from intranet.core.services import get_store
from intranet.director.models import FormQualityDay
from intranet.director.settings import settings_for
from intranet.extensions import db
from intranet.keys.models import KeyMovement, KeyTag
from intranet.reception.models import Delivery, WalkAround

HISTORY_DAYS = 30
TO_FIX_DAYS = 7
DELIVERED = (ROStatus.DELIVERED, ROStatus.CLOSED)


class Missing(Labelled):
    CUSTOMER_MOBILE = "customer_mobile"
    VIN = "vin"
    ODOMETER = "odometer"
    COMPLAINT = "complaint"
    PROMISED = "promised"
    ADVISOR = "advisor"
    KEY_TAG = "key_tag"
    WALK_AROUND = "walk_around"
    LINES = "lines"

    @classmethod
    def _labels(cls):
        return {cls.CUSTOMER_MOBILE: _l("Customer with a mobile number"), cls.VIN: _l("Vehicle VIN"),
                cls.ODOMETER: _l("Odometer reading"), cls.COMPLAINT: _l("Customer's complaint"),
                cls.PROMISED: _l("Promised time"), cls.ADVISOR: _l("Advisor"), cls.KEY_TAG: _l("Key tag"),
                cls.WALK_AROUND: _l("Walk-around signed by the customer"), cls.LINES: _l("At least one line")}


class FormError(Labelled):
    ODOMETER_BACKWARDS = "odometer_backwards"
    PROMISE_BEFORE_OPENING = "promise_before_opening"
    INSURANCE_CLAIM = "insurance_claim"
    WARRANTY_REF = "warranty_ref"
    ZERO_HOURS = "zero_hours"
    ZERO_PRICE = "zero_price"
    NO_DELIVERY_RECORD = "no_delivery_record"

    @classmethod
    def _labels(cls):
        return {cls.ODOMETER_BACKWARDS: _l("Odometer lower than on the car's previous repair order"),
                cls.PROMISE_BEFORE_OPENING: _l("Promised time before the RO was opened"),
                cls.INSURANCE_CLAIM: _l("Insurance lines without the insurer or the claim number"),
                cls.WARRANTY_REF: _l("Warranty lines without the warranty claim reference"),
                cls.ZERO_HOURS: _l("A labour line of 0 hours"),
                cls.ZERO_PRICE: _l("A part paid by the customer at price 0"),
                cls.NO_DELIVERY_RECORD: _l("Delivered without its delivery record")}


@dataclass
class ROCheck:
    """One repair order as the check found it: what is missing and what is wrong, in words."""

    ro: RepairOrder
    missing: list[Missing] = field(default_factory=list)
    errors: dict[FormError, str] = field(default_factory=dict)  # the error and its detail

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def to_fix(self) -> bool:
        return bool(self.missing or self.errors)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    """Fill and error rates of some ROs against the store's targets."""

    checked: int
    complete: int
    with_errors: int
    fill_target: Decimal
    error_limit: Decimal

    @property
    def fill_rate(self) -> Decimal | None:
        return percent(self.complete, self.checked)

    @property
    def error_rate(self) -> Decimal | None:
        return percent(self.with_errors, self.checked)

    @property
    def fill_off(self) -> bool:
        return self.fill_rate is not None and self.fill_rate < self.fill_target

    @property
    def errors_off(self) -> bool:
        return self.error_rate is not None and self.error_rate > self.error_limit


@dataclass
class DayCheck(Figures):
    day: date = None
    ros: list[ROCheck] = field(default_factory=list)

    @property
    def problems(self) -> list[ROCheck]:
        return [c for c in self.ros if c.to_fix]


# ------------------------------------------------------------------ the check

def _key_tags_on(ro_ids: list[int]) -> set[int]:
    """The ROs that had a tag of the key board: on them now, or moved with them (a tag freed at
    delivery and put on another car since still counts for the first)."""
    return set(db.session.scalars(union(
        select(KeyTag.repair_order_id).where(KeyTag.repair_order_id.in_(ro_ids)),
        select(KeyMovement.repair_order_id).where(KeyMovement.repair_order_id.in_(ro_ids)))))


_EARLIER = aliased(RepairOrder)  # made once: building an alias of a wide table costs milliseconds


def check_ros(store_id: int, start: datetime, end: datetime, *, shown: bool = True) -> list[ROCheck]:
    """Check the store's repair orders opened in [start, end) (UTC), cancelled ones left out, in a
    constant number of queries: the ROs with customer, vehicle and advisor; their lines; their
    walk-arounds; their delivery records; key tags; each car's previous odometer reading.

    `shown=False` when only the counts are wanted (the week pack): the customer and the car are read
    only for the fields the check looks at, the advisor not at all (two queries and most of the
    objects fewer)."""
    if shown:
        loads = (joinedload(RepairOrder.customer), joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor),
                 selectinload(RepairOrder.lines))
    else:
        loads = (joinedload(RepairOrder.customer).load_only(Customer.mobile),
                 joinedload(RepairOrder.vehicle).load_only(Vehicle.vin),
                 selectinload(RepairOrder.lines).load_only(RepairOrderLine.kind, RepairOrderLine.quantity,
                                                           RepairOrderLine.unit_price, RepairOrderLine.pay_type,
                                                           RepairOrderLine.description))
    earlier = _EARLIER
    previous_odometer = (
        select(earlier.odometer_km)
        .where(earlier.vehicle_id == RepairOrder.vehicle_id, earlier.opened_at < RepairOrder.opened_at,
               earlier.id != RepairOrder.id, earlier.status != ROStatus.CANCELLED, earlier.odometer_km.is_not(None))
        .order_by(earlier.opened_at.desc()).limit(1)
        .correlate(RepairOrder).scalar_subquery()
    )
    rows = db.session.execute(
        select(RepairOrder, previous_odometer.label("previous_odometer"))
        .options(*loads)
        .where(RepairOrder.store_id == store_id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end,
               RepairOrder.status != ROStatus.CANCELLED)
        .order_by(RepairOrder.opened_at, RepairOrder.id)
    ).all()
    ids = [ro.id for ro, _ in rows]
    if not ids:
        return []
    signed = set(db.session.scalars(select(WalkAround.repair_order_id).where(
        WalkAround.repair_order_id.in_(ids), WalkAround.signed_at.is_not(None))))
    delivered = set(db.session.scalars(select(Delivery.repair_order_id).where(Delivery.repair_order_id.in_(ids))))
    tagged = _key_tags_on(ids)
    return [_check(ro, previous, signed=ro.id in signed, has_delivery=ro.id in delivered,
                   tagged=ro.id in tagged) for ro, previous in rows]


def _blank(value) -> bool:
    return value is None or not str(value).strip()


def _check(ro: RepairOrder, previous_odometer: int | None, *, signed: bool, has_delivery: bool,
           tagged: bool) -> ROCheck:
    check = ROCheck(ro=ro)
    missing = check.missing
    if ro.customer is None or _blank(ro.customer.mobile):
        missing.append(Missing.CUSTOMER_MOBILE)
    if _blank(ro.vehicle.vin):
        missing.append(Missing.VIN)
    if ro.odometer_km is None:
        missing.append(Missing.ODOMETER)
    if _blank(ro.complaint):
        missing.append(Missing.COMPLAINT)
    if ro.promised_at is None:
        missing.append(Missing.PROMISED)
    if ro.advisor_id is None:
        missing.append(Missing.ADVISOR)
    if _blank(ro.key_tag) and not tagged:
        missing.append(Missing.KEY_TAG)
    if not signed:
        missing.append(Missing.WALK_AROUND)
    if not ro.lines:
        missing.append(Missing.LINES)

    errors = check.errors
    if ro.odometer_km is not None and previous_odometer is not None and ro.odometer_km < previous_odometer:
        errors[FormError.ODOMETER_BACKWARDS] = str(_l("%(km)s km, the previous repair order had %(previous)s km",
                                                     km=f"{ro.odometer_km:,}", previous=f"{previous_odometer:,}"))
    if ro.promised_at is not None and ro.promised_at < ro.opened_at:
        errors[FormError.PROMISE_BEFORE_OPENING] = ""
    pay_types = {line.pay_type for line in ro.lines}
    if PayType.INSURANCE in pay_types:
        gaps = [label for value, label in ((ro.insurer, _l("insurer")), (ro.claim_number, _l("claim number")))
                if _blank(value)]
        if gaps:
            errors[FormError.INSURANCE_CLAIM] = str(_l("no %(what)s", what=" / ".join(str(g) for g in gaps)))
    if PayType.WARRANTY in pay_types and _blank(ro.warranty_claim_ref):
        errors[FormError.WARRANTY_REF] = ""
    zero_hours = [line for line in ro.lines if line.kind == LineKind.LABOUR and not Decimal(line.quantity or 0)]
    if zero_hours:
        errors[FormError.ZERO_HOURS] = "、".join(line.description for line in zero_hours)
    free_parts = [line for line in ro.lines if line.kind == LineKind.PART and line.pay_type == PayType.CUSTOMER
                  and not Decimal(line.unit_price or 0)]
    if free_parts:
        errors[FormError.ZERO_PRICE] = "、".join(line.description for line in free_parts)
    if ro.status in DELIVERED and not has_delivery:
        errors[FormError.NO_DELIVERY_RECORD] = ""
    return check


def _figures(store_id: int, checks: list[ROCheck]) -> dict:
    settings = settings_for(store_id)
    return {"checked": len(checks), "complete": sum(c.complete for c in checks),
            "with_errors": sum(c.has_errors for c in checks), "fill_target": Decimal(settings.form_fill_target),
            "error_limit": Decimal(settings.form_error_limit)}


def check_day(store_id: int, day: date) -> DayCheck:
    """The check of the repair orders opened on `day` (store date), with each RO's problems."""
    store = get_store(store_id)
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    checks = check_ros(store_id, start, end)
    return DayCheck(day=day, ros=checks, **_figures(store_id, checks))


def record_day(store_id: int, day: date) -> FormQualityDay:
    """Write the day's figures: one row per store and day, a rerun updates it."""
    result = check_day(store_id, day)
    values = {"checked": result.checked, "complete": result.complete, "with_errors": result.with_errors,
              "computed_at": clock.utcnow()}
    row = db.session.scalar(select(FormQualityDay).where(FormQualityDay.store_id == store_id,
                                                         FormQualityDay.day == day))
    if row is None:
        try:
            with db.session.begin_nested():
                row = FormQualityDay(store_id=store_id, day=day, **values)
                db.session.add(row)
        except IntegrityError:  # written by a run at the same moment: update that one
            row = db.session.scalar(select(FormQualityDay).where(FormQualityDay.store_id == store_id,
                                                                 FormQualityDay.day == day))
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    return row


# ------------------------------------------------------------------ what the page shows

@dataclass
class HistoryDay(Figures):
    day: date = None
    recorded: bool = True  # False: the nightly check has not run for that day


def history(store_id: int, last_day: date, *, days: int = HISTORY_DAYS) -> tuple[list[HistoryDay], Figures]:
    """The recorded figures of the `days` days up to `last_day`, newest first, and their total."""
    first_day = last_day - timedelta(days=days - 1)
    settings = settings_for(store_id)
    targets = {"fill_target": Decimal(settings.form_fill_target), "error_limit": Decimal(settings.form_error_limit)}
    rows = {row.day: row for row in db.session.scalars(select(FormQualityDay).where(
        FormQualityDay.store_id == store_id, FormQualityDay.day >= first_day, FormQualityDay.day <= last_day))}
    shown = []
    for offset in range(days):
        day = last_day - timedelta(days=offset)
        row = rows.get(day)
        shown.append(HistoryDay(day=day, recorded=row is not None, checked=row.checked if row else 0,
                                complete=row.complete if row else 0, with_errors=row.with_errors if row else 0,
                                **targets))
    total = Figures(checked=sum(d.checked for d in shown), complete=sum(d.complete for d in shown),
                    with_errors=sum(d.with_errors for d in shown), **targets)
    return shown, total


@dataclass
class AdvisorGroup:
    advisor: User | None
    checks: list[ROCheck]


def ros_to_fix(store_id: int, today: date, *, viewer_id: int | None = None, days: int = TO_FIX_DAYS
               ) -> list[AdvisorGroup]:
    """Every RO of the last `days` days (today included) still incomplete or with errors, grouped
    by advisor: the viewer's own first, then the advisors with most to fix."""
    store = get_store(store_id)
    start, _ = clock.store_day_bounds_utc(today - timedelta(days=days - 1), store.timezone)
    _, end = clock.store_day_bounds_utc(today, store.timezone)
    groups: dict[int | None, list[ROCheck]] = defaultdict(list)
    advisors: dict[int | None, User | None] = {}
    for check in reversed(check_ros(store_id, start, end)):  # newest first
        if check.to_fix:
            groups[check.ro.advisor_id].append(check)
            advisors[check.ro.advisor_id] = check.ro.advisor
    ordered = sorted(groups, key=lambda a: (a != viewer_id, -len(groups[a]),
                                            advisors[a].display_name if advisors[a] else "\uffff"))
    return [AdvisorGroup(advisor=advisors[a], checks=groups[a]) for a in ordered]
