"""The customer file (客户档案): what we know of a customer and their cars, how complete that is,
when each car is next due (service, insurance, annual inspection), and the whole history of
visits, follow-up calls, complaints, reminders and messages in one timeline."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, extract, func, not_, or_, select
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.care.models import (
    AttemptOutcome,
    CallAttempt,
    CallKind,
    CallStatus,
    CareQuestion,
    CareReminder,
    CareSettings,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    EventInvitation,
    FollowUpCall,
    InvitationReply,
    LostCause,
    MessageStatus,
    OutgoingMessage,
    QuestionStatus,
    ReminderKind,
    ReminderStatus,
    Satisfaction,
    WinBackCall,
    WinBackStatus,
)
from intranet.care.service_due import (
    MIN_DAYS_FOR_RATE,
    ServiceDue,
    intervals,
    refresh,
    service_due,
)
from intranet.care.settings import settings_for
from intranet.core.identifiers import normalize_mobile, normalize_plate
from intranet.core.models import Customer, LineKind, RepairOrder, ROStatus, Vehicle
from intranet.errors import NotFound
from intranet.extensions import db

SOON_DAYS = 30  # a date this close is shown as coming up (and listed by the "due" filters)
HISTORY_PER_KIND = 60  # the newest rows of each kind the timeline shows


# ---------------------------------------------------------------- the next service
def plan_service(vehicle: Vehicle, settings: CareSettings, *, interval_was: int | None = None) -> ServiceDue:
    """Fill in what the next service needs after the car's file was typed in or imported: its
    kilometres a day (from the odometer and the registration date, when no visits tell better)
    and the odometer the next service is due at; then recompute the next-service date.
    Running it twice changes nothing."""
    interval_km, _months = intervals(vehicle, settings)
    if interval_was and vehicle.next_service_km is not None and interval_was != interval_km:
        vehicle.next_service_km += interval_km - interval_was
    if vehicle.km_per_day is None and vehicle.last_odometer_km and vehicle.last_odometer_at:
        start = vehicle.registered_on or (date(vehicle.model_year, 7, 1) if vehicle.model_year else None)
        days = (vehicle.last_odometer_at.date() - start).days if start else 0
        if days >= MIN_DAYS_FOR_RATE:
            vehicle.km_per_day = (Decimal(vehicle.last_odometer_km) / days).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if (vehicle.next_service_km is None and vehicle.last_service_on is not None
            and vehicle.last_odometer_km is not None):
        at_service = vehicle.last_odometer_km
        if vehicle.km_per_day and vehicle.last_odometer_at:  # the reading may be later than the service
            since = (vehicle.last_odometer_at.date() - vehicle.last_service_on).days
            at_service = max(int(vehicle.last_odometer_km - vehicle.km_per_day * max(since, 0)), 0)
        vehicle.next_service_km = at_service + interval_km
    return refresh(vehicle, settings)


# ---------------------------------------------------------------- completeness
@dataclass(frozen=True)
class Check:
    key: str
    label: object
    filled: object  # row -> bool
    missing_sql: object  # () -> SQL condition true when the field is missing


def _blank(column):
    return or_(column.is_(None), column == "")


CUSTOMER_CHECKS = (
    Check("address", _l("Address"), lambda c: bool(c.address), lambda: _blank(Customer.address)),
    Check("birthday", _l("Birthday"), lambda c: c.birthday is not None, lambda: Customer.birthday.is_(None)),
    Check("wechat", _l("WeChat"), lambda c: bool(c.wechat), lambda: _blank(Customer.wechat)),
)
VEHICLE_CHECKS = (
    Check("vin", _l("VIN"), lambda v: bool(v.vin), lambda: _blank(Vehicle.vin)),
    Check("registered_on", _l("Registration date"), lambda v: v.registered_on is not None,
          lambda: Vehicle.registered_on.is_(None)),
    Check("last_service_on", _l("Last service"), lambda v: v.last_service_on is not None,
          lambda: Vehicle.last_service_on.is_(None)),
    Check("insurance", _l("Insurer and insurance expiry"),
          lambda v: bool(v.insurer_name) and v.insurance_expires_on is not None,
          lambda: or_(_blank(Vehicle.insurer_name), Vehicle.insurance_expires_on.is_(None))),
    Check("inspection_due_on", _l("Annual inspection date"), lambda v: v.inspection_due_on is not None,
          lambda: Vehicle.inspection_due_on.is_(None)),
)


def completeness(customer: Customer) -> tuple[int, list[str]]:
    """(percent filled, labels of what is missing). Uses `customer.vehicles`: load them with the
    customer (selectinload) on lists."""
    missing = [str(check.label) for check in CUSTOMER_CHECKS if not check.filled(customer)]
    total = len(CUSTOMER_CHECKS) + 1
    if not customer.vehicles:
        missing.append(_("A car"))
    for vehicle in customer.vehicles:
        total += len(VEHICLE_CHECKS)
        missing += [_("%(plate)s: %(field)s", plate=vehicle.plate, field=check.label)
                    for check in VEHICLE_CHECKS if not check.filled(vehicle)]
    return round(100 * (total - len(missing)) / total), missing


def incomplete_condition():
    """SQL: the customer's file misses something `completeness` counts."""
    any_vehicle = exists().where(Vehicle.customer_id == Customer.id)
    vehicle_gap = exists().where(Vehicle.customer_id == Customer.id,
                                 or_(*(check.missing_sql() for check in VEHICLE_CHECKS)))
    return or_(*(check.missing_sql() for check in CUSTOMER_CHECKS), not_(any_vehicle), vehicle_gap)


# ---------------------------------------------------------------- the list for care
FILTERS = {
    "incomplete": _l("Incomplete files"),
    "birthday": _l("Birthday this month"),
    "insurance": _l("Insurance expiring in 30 days"),
    "inspection": _l("Inspection due in 30 days"),
    "service": _l("Service due"),
}


def _prefix(column, value: str):
    return column.between(value, value + "\U0010ffff")


def _filter_condition(name: str, today: date):
    soon = today + timedelta(days=SOON_DAYS)
    car = Vehicle.customer_id == Customer.id
    if name == "incomplete":
        return incomplete_condition()
    if name == "birthday":
        return extract("month", Customer.birthday) == today.month
    if name == "insurance":
        return exists().where(car, Vehicle.insurance_expires_on.between(today, soon))
    if name == "inspection":
        return exists().where(car, Vehicle.inspection_due_on.between(today, soon))
    if name == "service":
        return exists().where(car, Vehicle.next_service_on <= soon)
    return None


def _search_condition(store_id: int, query: str):
    raw = query.strip()
    key = normalize_plate(raw)
    digits = normalize_mobile(raw)
    conditions = [_prefix(Customer.name, raw)]
    if key.isascii() and key.isalpha():
        conditions.append(_prefix(Customer.name_initials, key))
    if raw.isdigit() and len(digits) >= 3:
        conditions += [_prefix(Customer.mobile, digits), _prefix(Customer.mobile_rev, digits[::-1])]
    on_car = [_prefix(Vehicle.plate, key)]
    if key.isascii() and key.isalnum():
        on_car.append(_prefix(Vehicle.plate_key, key))
        if len(key) >= 3:
            on_car.append(_prefix(Vehicle.plate_rev, key[::-1]))
    conditions.append(exists().where(Vehicle.customer_id == Customer.id, Vehicle.store_id == store_id,
                                     or_(*on_car)))
    return or_(*conditions)


def find_customers(store_id: int, *, today: date, query: str = "", filter_name: str = "", page: int = 1,
                   per_page: int = 25) -> tuple[list[Customer], bool]:
    """One page of the store's customers (with their cars loaded), by name; and whether more follow.
    Two queries whatever the page holds."""
    stmt = select(Customer).options(selectinload(Customer.vehicles)).where(Customer.store_id == store_id)
    if query.strip():
        stmt = stmt.where(_search_condition(store_id, query))
    condition = _filter_condition(filter_name, today)
    if condition is not None:
        stmt = stmt.where(condition)
    stmt = stmt.order_by(Customer.name_initials, Customer.name, Customer.id)
    rows = list(db.session.scalars(stmt.offset((page - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def filter_counts(store_id: int, today: date) -> dict[str, int]:
    """How many customers each filter finds (one query)."""
    columns = [func.count(Customer.id).filter(_filter_condition(name, today)).label(name) for name in FILTERS]
    row = db.session.execute(select(*columns).where(Customer.store_id == store_id)).one()
    return dict(row._mapping)


# ---------------------------------------------------------------- the file of one customer
@dataclass
class Due:
    """A coming date of a car (next service, insurance expiry, annual inspection)."""

    on: date | None
    days: int | None  # from today; negative: passed

    @property
    def tone(self) -> str:
        if self.days is None:
            return ""
        return "bad" if self.days < 0 else "warn" if self.days <= SOON_DAYS else "ok"


@dataclass
class CarFile:
    vehicle: Vehicle
    service: ServiceDue
    next_service: Due
    insurance: Due
    inspection: Due


@dataclass
class HistoryEntry:
    at: datetime  # UTC
    kind: str  # visit, call, complaint, reminder, message, win_back, question, event
    kind_label: str
    title: str
    status: str = ""
    tone: str = ""  # ok, warn, bad: the colour of the status
    detail: str | None = None
    lines: list[str] = field(default_factory=list)
    link: tuple[str, dict] | None = None  # (endpoint, values); shown when the endpoint exists and may be opened


@dataclass
class CustomerFile:
    customer: Customer
    percent: int
    missing: list[str]
    cars: list[CarFile]
    history: list[HistoryEntry]
    birthday_in: int | None  # days to the next birthday


def _due(day: date | None, today: date) -> Due:
    return Due(day, (day - today).days if day else None)


def next_birthday(birthday: date | None, today: date) -> date | None:
    if birthday is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            candidate = birthday.replace(year=year)
        except ValueError:  # 29 February
            candidate = date(year, 3, 1)
        if candidate >= today:
            return candidate
    return None


def customer_file(customer_id: int, store_id: int, *, today: date, tz: str = "Asia/Shanghai",
                  with_history: bool = True) -> CustomerFile:
    customer = db.session.scalar(select(Customer).options(selectinload(Customer.vehicles))
                                 .where(Customer.id == customer_id, Customer.store_id == store_id))
    if customer is None:
        raise NotFound(_l("No such customer."))
    settings = settings_for(store_id)
    cars = []
    for vehicle in customer.vehicles:
        due = service_due(vehicle, settings)
        cars.append(CarFile(vehicle, due, _due(due.next_on, today), _due(vehicle.insurance_expires_on, today),
                            _due(vehicle.inspection_due_on, today)))
    percent, missing = completeness(customer)
    birthday = next_birthday(customer.birthday, today)
    return CustomerFile(customer, percent, missing, cars,
                        history(customer_id, store_id, tz) if with_history else [],
                        (birthday - today).days if birthday else None)


def _noon(day: date, tz: str) -> datetime:
    """A day without a time (a due date) placed at the store's noon, in UTC like the rest."""
    return clock.store_local_to_utc(datetime.combine(day, time(12, 0)), tz)


_SATISFACTION_TONE = {Satisfaction.SATISFIED: "ok", Satisfaction.NEUTRAL: "warn", Satisfaction.DISSATISFIED: "bad"}


def history(customer_id: int, store_id: int, tz: str = "Asia/Shanghai") -> list[HistoryEntry]:
    """Everything that happened with the customer, newest first: visits with the work done,
    follow-up calls with every dial, complaints, reminders, messages, win-back calls, questions
    passed to the supervisor, event invitations. A fixed number of queries (ten)."""
    entries: list[HistoryEntry] = []
    entries += _visits(customer_id, store_id)
    entries += _calls(customer_id, store_id, tz)
    entries += _complaints(customer_id, store_id)
    entries += _reminders(customer_id, store_id, tz)
    entries += _messages(customer_id, store_id)
    entries += _win_backs(customer_id, store_id, tz)
    entries += _questions(customer_id, store_id)
    entries += _invitations(customer_id, tz)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _visits(customer_id: int, store_id: int) -> list[HistoryEntry]:
    ros = db.session.scalars(
        select(RepairOrder).options(selectinload(RepairOrder.lines), joinedload(RepairOrder.vehicle),
                                    joinedload(RepairOrder.advisor))
        .where(RepairOrder.customer_id == customer_id, RepairOrder.store_id == store_id)
        .order_by(RepairOrder.opened_at.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for ro in ros:
        status = ro.status_enum
        work = [line.description for line in ro.lines if line.kind == LineKind.LABOUR]
        parts = [line.description for line in ro.lines if line.kind == LineKind.PART]
        total = sum((line.amount for line in ro.lines), Decimal(0))
        lines = []
        if work:
            lines.append(_("Work done: %(work)s", work="、".join(work)))
        if parts:
            lines.append(_("Parts: %(parts)s", parts="、".join(parts)))
        detail_bits = [ro.vehicle.plate]
        if ro.odometer_km is not None:
            detail_bits.append(_("%(km)s km", km=f"{ro.odometer_km:,}"))
        if ro.advisor:
            detail_bits.append(ro.advisor.display_name)
        if total:
            detail_bits.append(f"¥{total:,.2f}")
        if ro.complaint:
            lines.insert(0, _("Customer said: %(text)s", text=ro.complaint))
        entries.append(HistoryEntry(
            at=ro.delivered_at or ro.opened_at, kind="visit", kind_label=_("Visit"),
            title=_("Repair order %(number)s", number=ro.number), status=str(status.label),
            tone="ok" if status in (ROStatus.DELIVERED, ROStatus.CLOSED) else "bad" if status == ROStatus.CANCELLED
            else "warn", detail=" · ".join(detail_bits), lines=lines,
            link=("reception.repair_order", {"ro_id": ro.id})))
    return entries


def _calls(customer_id: int, store_id: int, tz: str) -> list[HistoryEntry]:
    calls = db.session.scalars(
        select(FollowUpCall).options(selectinload(FollowUpCall.attempt_rows).joinedload(CallAttempt.agent),
                                     joinedload(FollowUpCall.repair_order), joinedload(FollowUpCall.agent))
        .where(FollowUpCall.customer_id == customer_id, FollowUpCall.store_id == store_id)
        .order_by(FollowUpCall.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for call in calls:
        status = call.status_enum
        attempts = call.attempt_rows
        at = call.reached_at or (attempts[-1].at if attempts else _noon(call.due_from, tz))
        tone = {CallStatus.DONE: "ok", CallStatus.EXPIRED: "bad", CallStatus.DUE: "warn"}.get(status, "")
        label = str(status.label)
        if call.satisfaction:
            label = str(Satisfaction(call.satisfaction).label)
            tone = _SATISFACTION_TONE[Satisfaction(call.satisfaction)]
        lines = []
        for attempt in attempts:
            who = attempt.agent.display_name if attempt.agent else ""
            text = f"{clock.to_store_time(attempt.at, tz):%m-%d %H:%M} {who} · {AttemptOutcome(attempt.outcome).label}"
            if attempt.note:
                text += f" · {attempt.note}"
            lines.append(text)
        if call.comments:
            lines.append(_("Customer said: %(text)s", text=call.comments))
        entries.append(HistoryEntry(
            at=at, kind="call", kind_label=_("Follow-up call"),
            title=_("%(kind)s about %(number)s", kind=CallKind(call.kind).label, number=call.repair_order.number),
            status=label, tone=tone,
            detail=_("Agent: %(name)s", name=call.agent.display_name) if call.agent else None, lines=lines,
            link=("calls.call", {"call_id": call.id})))
    return entries


def _complaints(customer_id: int, store_id: int) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(Complaint).options(joinedload(Complaint.vehicle))
        .where(Complaint.customer_id == customer_id, Complaint.store_id == store_id)
        .order_by(Complaint.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for c in rows:
        status = c.status_enum
        tone = "ok" if status == ComplaintStatus.CLOSED else "" if status == ComplaintStatus.UNJUSTIFIED else "bad"
        lines = [c.description]
        if c.cause:
            lines.append(_("Cause: %(text)s", text=c.cause))
        if c.call_back_note:
            lines.append(_("Call back: %(text)s", text=c.call_back_note))
        entries.append(HistoryEntry(
            at=c.received_at, kind="complaint", kind_label=_("Complaint"),
            title=_("Complaint %(number)s · %(category)s", number=c.number,
                    category=ComplaintCategory(c.category).label),
            status=str(status.label), tone=tone, detail=c.vehicle.plate if c.vehicle else None, lines=lines,
            link=("complaints.page", {"complaint_id": c.id})))
    return entries


def _reminders(customer_id: int, store_id: int, tz: str) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(CareReminder).options(joinedload(CareReminder.vehicle))
        .where(CareReminder.customer_id == customer_id, CareReminder.store_id == store_id)
        .order_by(CareReminder.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for r in rows:
        status = ReminderStatus(r.status)
        entries.append(HistoryEntry(
            at=r.done_at or _noon(r.due_on, tz), kind="reminder", kind_label=_("Reminder"),
            title=_("%(kind)s on %(day)s", kind=ReminderKind(r.kind).label, day=r.occasion_on.isoformat()),
            status=str(status.label), tone={ReminderStatus.DONE: "ok", ReminderStatus.OPEN: "warn"}.get(status, ""),
            detail=r.vehicle.plate if r.vehicle else None, lines=[r.outcome] if r.outcome else []))
    return entries


def _messages(customer_id: int, store_id: int) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(OutgoingMessage)
        .where(OutgoingMessage.customer_id == customer_id, OutgoingMessage.store_id == store_id)
        .order_by(OutgoingMessage.id.desc()).limit(HISTORY_PER_KIND)).all()
    channels = {"sms": _("SMS"), "wechat": _("WeChat")}
    return [HistoryEntry(
        at=m.sent_at or m.created_at, kind="message", kind_label=_("Message"),
        title=_("%(channel)s to %(to)s", channel=channels.get(m.channel, m.channel), to=m.to),
        status=str(MessageStatus(m.status).label),
        tone={MessageStatus.SENT: "ok", MessageStatus.FAILED: "bad"}.get(MessageStatus(m.status), "warn"),
        lines=[m.body]) for m in rows]


def _win_backs(customer_id: int, store_id: int, tz: str) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(WinBackCall).options(joinedload(WinBackCall.agent))
        .where(WinBackCall.customer_id == customer_id, WinBackCall.store_id == store_id)
        .order_by(WinBackCall.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for w in rows:
        status = WinBackStatus(w.status)
        lines = []
        if w.lost_cause:
            lines.append(_("Why lost: %(cause)s", cause=LostCause(w.lost_cause).label))
        if w.note:
            lines.append(w.note)
        entries.append(HistoryEntry(
            at=w.called_at or _noon(w.list_month, tz), kind="win_back", kind_label=_("Win-back call"),
            title=_("Lapsed-customer list of %(month)s", month=w.list_month.strftime("%Y-%m")),
            status=str(status.label),
            tone={WinBackStatus.WON_BACK: "ok", WinBackStatus.REACHED: "ok", WinBackStatus.NOT_REACHED: "bad"}.get(
                status, "warn"),
            detail=_("Agent: %(name)s", name=w.agent.display_name) if w.agent else None, lines=lines))
    return entries


def _questions(customer_id: int, store_id: int) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(CareQuestion)
        .where(CareQuestion.customer_id == customer_id, CareQuestion.store_id == store_id)
        .order_by(CareQuestion.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for q in rows:
        status = q.status_enum
        lines = [q.question] + ([_("Answer: %(text)s", text=q.answer)] if q.answer else [])
        entries.append(HistoryEntry(
            at=q.asked_at, kind="question", kind_label=_("Question to the supervisor"),
            title=_("Question from a follow-up call"), status=str(status.label),
            tone={QuestionStatus.TOLD: "ok", QuestionStatus.OPEN: "warn", QuestionStatus.ANSWERED: "warn"}.get(
                status, ""), lines=lines))
    return entries


def _invitations(customer_id: int, tz: str) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(EventInvitation).options(joinedload(EventInvitation.event))
        .where(EventInvitation.customer_id == customer_id)
        .order_by(EventInvitation.id.desc()).limit(HISTORY_PER_KIND)).all()
    entries = []
    for inv in rows:
        reply = InvitationReply(inv.reply)
        entries.append(HistoryEntry(
            at=inv.notified_at or _noon(inv.event.held_on, tz), kind="event", kind_label=_("Event"),
            title=_("Invited to %(title)s on %(day)s", title=inv.event.title, day=inv.event.held_on.isoformat()),
            status=str(reply.label), tone={InvitationReply.YES: "ok", InvitationReply.NO: "bad"}.get(reply, ""),
            lines=[inv.note] if inv.note else []))
    return entries


HISTORY_KINDS = {
    "visit": _l("Visits"), "call": _l("Follow-up calls"), "complaint": _l("Complaints"),
    "reminder": _l("Reminders"), "message": _l("Messages"), "win_back": _l("Win-back calls"),
    "question": _l("Questions"), "event": _l("Events"),
}
