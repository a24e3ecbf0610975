"""What every area shares: the store, people and their roles, customers, vehicles, repair orders."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, Time, UniqueConstraint, false, text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from intranet import clock
from intranet.extensions import db


def SearchKey(length: int):
    """A column searched by prefix ranges. On PostgreSQL it uses the "C" collation so a range
    scan over its b-tree index is exact whatever the database's locale; SQLite compares bytes."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Labelled(enum.StrEnum):
    """A state or kind whose name people read; each subclass keeps its labels in `_labels()`."""

    @property
    def label(self):
        return self._labels()[self]

    @classmethod
    def _labels(cls) -> dict:
        raise NotImplementedError


class Role(enum.StrEnum):
    DIRECTOR = "director"
    ADVISOR = "advisor"
    CONTROLLER = "controller"
    TECHNICIAN = "technician"
    INSPECTOR = "inspector"
    PARTS = "parts"
    WARRANTY = "warranty"
    ACCIDENT = "accident"
    CARE = "care"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.DIRECTOR: _l("After-sales director"),
    Role.ADVISOR: _l("Service advisor"),
    Role.CONTROLLER: _l("Workshop controller"),
    Role.TECHNICIAN: _l("Technician"),
    Role.INSPECTOR: _l("Final inspector"),
    Role.PARTS: _l("Parts"),
    Role.WARRANTY: _l("Warranty clerk"),
    Role.ACCIDENT: _l("Accident & insurance"),
    Role.CARE: _l("Customer care"),
    Role.MANAGER: _l("Management"),
    Role.ADMIN: _l("Administrator"),
}


class Store(db.Model):
    __audit__ = _l("Store settings")  # every change is written to the audit log (core/audit.py)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)  # prefix of document numbers
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    opens_at: Mapped[time] = mapped_column(Time, default=time(8, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(18, 0))
    key_collection_at: Mapped[time] = mapped_column(Time, default=time(18, 30))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0.1300"))
    labour_rate: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("150.00"))
    default_locale: Mapped[str] = mapped_column(String(16), default="zh_Hans_CN")
    # Appointments: slot length, cars one advisor can receive per slot, workshop hours sold per day.
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    advisor_slot_capacity: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    workshop_hours_per_day: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("60.0"),
                                                            server_default="60.0")
    comeback_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Time control: a car stuck past its stage's standard is escalated to the controller after this
    # many more minutes, and to the director after twice as many.
    escalation_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(16))
    mobile: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    # Part of the signed-in id (`get_id`): raised at sign-out and at a new password, it ends every
    # session and remember-me cookie made before, wherever they were copied to.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Among the parts staff, the parts manager (配件经理) approves purchase orders and counts and signs
    # write-offs; the flag counts only together with the parts role.
    parts_manager: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    store: Mapped[Store] = relationship(lazy="joined", innerjoin=True)
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session and the remember-me cookie hold: the id and the session version."""
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie of this person stops working."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def roles(self) -> list[Role]:
        order = list(Role)
        return sorted((Role(r.role) for r in self.role_rows), key=order.index)

    def has_role(self, *roles: Role) -> bool:
        held = {r.role for r in self.role_rows}
        return any(str(role) in held for role in roles)

    @property
    def is_parts_manager(self) -> bool:
        return bool(self.parts_manager) and self.has_role(Role.PARTS)

    def set_password(self, password: str) -> None:
        from flask import current_app

        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))
        if self.id is not None:  # a new password: whoever held the old one is signed out
            self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class UserRole(db.Model):
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class ContactTime(enum.StrEnum):
    ANY = "any"
    MORNING = "morning"
    NOON = "noon"
    AFTERNOON = "afternoon"
    EVENING = "evening"

    @property
    def label(self):
        return CONTACT_TIME_LABELS[self]


CONTACT_TIME_LABELS = {
    ContactTime.ANY: _l("Any time"),
    ContactTime.MORNING: _l("Morning (9–12)"),
    ContactTime.NOON: _l("Noon (12–14)"),
    ContactTime.AFTERNOON: _l("Afternoon (14–18)"),
    ContactTime.EVENING: _l("Evening (18–20)"),
}


class Customer(db.Model):
    __table_args__ = (
        UniqueConstraint("store_id", "mobile"),
        Index("ix_customer_store_initials", "store_id", "name_initials"),
        Index("ix_customer_store_name", "store_id", "name"),
        Index("ix_customer_store_mobile_rev", "store_id", "mobile_rev"),
        Index("ix_customer_store_last_visit", "store_id", "last_visit_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(SearchKey(64))
    name_initials: Mapped[str] = mapped_column(SearchKey(20))
    mobile: Mapped[str] = mapped_column(SearchKey(11))
    mobile_rev: Mapped[str] = mapped_column(SearchKey(11))
    address: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[date | None] = mapped_column(Date)
    preferred_contact_time: Mapped[str] = mapped_column(String(16), default=ContactTime.ANY)
    note: Mapped[str | None] = mapped_column(Text)
    # the customer file (客户档案): what care needs beyond the advisor's card
    wechat: Mapped[str | None] = mapped_column(String(64))
    wishes: Mapped[str | None] = mapped_column(Text)  # what the customer asked us to keep in mind
    last_visit_on: Mapped[date | None] = mapped_column(Date)  # store-local day of the last delivery
    lost_cause: Mapped[str | None] = mapped_column(String(16))  # care.models.LostCause, from a win-back call
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow, onupdate=clock.utcnow)

    vehicles: Mapped[list[Vehicle]] = relationship(back_populates="customer", order_by="Vehicle.plate")


class Vehicle(db.Model):
    __table_args__ = (
        UniqueConstraint("store_id", "plate"),
        UniqueConstraint("store_id", "vin"),
        Index("ix_vehicle_store_plate_key", "store_id", "plate_key"),
        Index("ix_vehicle_store_plate_rev", "store_id", "plate_rev"),
        Index("ix_vehicle_store_vin_rev", "store_id", "vin_rev"),
        Index("ix_vehicle_store_next_service", "store_id", "next_service_on"),
        Index("ix_vehicle_store_insurance", "store_id", "insurance_expires_on"),
        Index("ix_vehicle_store_inspection", "store_id", "inspection_due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    plate: Mapped[str] = mapped_column(SearchKey(12))
    plate_key: Mapped[str] = mapped_column(SearchKey(12))  # plate without the province character
    plate_rev: Mapped[str] = mapped_column(SearchKey(12))
    vin: Mapped[str | None] = mapped_column(SearchKey(17))
    vin_rev: Mapped[str | None] = mapped_column(SearchKey(17))
    model: Mapped[str] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(32))
    model_year: Mapped[int | None] = mapped_column(Integer)
    last_odometer_km: Mapped[int | None] = mapped_column(Integer)
    last_odometer_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Open notes shown at every reception until cleared: a recall campaign, a pending warranty case…
    open_notes: Mapped[str | None] = mapped_column(Text)
    # service interval (empty: the store's) and the next service, by date and by projected mileage
    registered_on: Mapped[date | None] = mapped_column(Date)
    service_interval_km: Mapped[int | None] = mapped_column(Integer)
    service_interval_months: Mapped[int | None] = mapped_column(Integer)
    last_service_on: Mapped[date | None] = mapped_column(Date)
    next_service_km: Mapped[int | None] = mapped_column(Integer)
    next_service_on: Mapped[date | None] = mapped_column(Date)  # the earlier of date and projected mileage
    km_per_day: Mapped[Decimal | None] = mapped_column(Numeric(7, 1))  # from the odometer readings
    insurer_name: Mapped[str | None] = mapped_column(String(64))
    insurance_expires_on: Mapped[date | None] = mapped_column(Date)
    inspection_due_on: Mapped[date | None] = mapped_column(Date)  # annual inspection (年审)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    customer: Mapped[Customer | None] = relationship(back_populates="vehicles")


class ROStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    IN_WORKSHOP = "in_workshop"
    WAITING_APPROVAL = "waiting_approval"
    WAITING_PARTS = "waiting_parts"
    QUALITY_CHECK = "quality_check"
    WASHING = "washing"
    READY = "ready"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return RO_STATUS_LABELS[self]


RO_STATUS_LABELS = {
    ROStatus.BOOKED: _l("Booked"),
    ROStatus.CHECKED_IN: _l("Checked in"),
    ROStatus.IN_WORKSHOP: _l("In workshop"),
    ROStatus.WAITING_APPROVAL: _l("Waiting approval"),
    ROStatus.WAITING_PARTS: _l("Waiting parts"),
    ROStatus.QUALITY_CHECK: _l("Quality check"),
    ROStatus.WASHING: _l("Washing"),
    ROStatus.READY: _l("Ready"),
    ROStatus.DELIVERED: _l("Delivered"),
    ROStatus.CLOSED: _l("Closed"),
    ROStatus.CANCELLED: _l("Cancelled"),
}

# The one table of legal repair-order moves. Anything not listed is refused.
RO_TRANSITIONS: dict[ROStatus, frozenset[ROStatus]] = {
    ROStatus.BOOKED: frozenset({ROStatus.CHECKED_IN, ROStatus.CANCELLED}),
    ROStatus.CHECKED_IN: frozenset({ROStatus.IN_WORKSHOP, ROStatus.CANCELLED}),
    ROStatus.IN_WORKSHOP: frozenset({ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS, ROStatus.QUALITY_CHECK}),
    ROStatus.WAITING_APPROVAL: frozenset({ROStatus.IN_WORKSHOP, ROStatus.WAITING_PARTS}),
    ROStatus.WAITING_PARTS: frozenset({ROStatus.IN_WORKSHOP, ROStatus.WAITING_APPROVAL}),
    # the final inspection passes a car to the wash (or straight to ready when it is not washed)
    ROStatus.QUALITY_CHECK: frozenset({ROStatus.WASHING, ROStatus.READY, ROStatus.IN_WORKSHOP}),
    ROStatus.WASHING: frozenset({ROStatus.READY, ROStatus.IN_WORKSHOP}),
    ROStatus.READY: frozenset({ROStatus.DELIVERED, ROStatus.IN_WORKSHOP}),
    ROStatus.DELIVERED: frozenset({ROStatus.CLOSED}),
    ROStatus.CLOSED: frozenset(),
    ROStatus.CANCELLED: frozenset(),
}
RO_ON_SITE = frozenset(RO_TRANSITIONS) - {ROStatus.BOOKED, ROStatus.DELIVERED, ROStatus.CLOSED, ROStatus.CANCELLED}
# the same, as SQL (the partial unique index on repair_order): every status but those
ON_SITE_PREDICATE = "status NOT IN ('booked', 'delivered', 'closed', 'cancelled')"


class PayType(enum.StrEnum):
    """Who pays for a line."""

    CUSTOMER = "customer"
    WARRANTY = "warranty"
    INSURANCE = "insurance"
    INTERNAL = "internal"

    @property
    def label(self):
        return PAY_TYPE_LABELS[self]


PAY_TYPE_LABELS = {
    PayType.CUSTOMER: _l("Customer"),
    PayType.WARRANTY: _l("Warranty"),
    PayType.INSURANCE: _l("Insurance"),
    PayType.INTERNAL: _l("Internal"),
}


class InsurerPayment(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"

    @property
    def label(self):
        return INSURER_PAYMENT_LABELS[self]


INSURER_PAYMENT_LABELS = {
    InsurerPayment.NONE: _l("Not claimed"),
    InsurerPayment.PENDING: _l("Awaiting insurer"),
    InsurerPayment.PARTLY_PAID: _l("Partly paid"),
    InsurerPayment.PAID: _l("Paid by insurer"),
}


class RepairOrder(db.Model):
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        Index("ix_repair_order_store_opened", "store_id", "opened_at"),
        Index("ix_repair_order_store_delivered", "store_id", "delivered_at"),  # the figures count deliveries
        Index("ix_repair_order_store_status", "store_id", "status"),
        # one repair order on site per car: two check-ins of one car at the same moment make one
        Index("uq_repair_order_vehicle_on_site", "vehicle_id", unique=True,
              sqlite_where=text(ON_SITE_PREDICATE), postgresql_where=text(ON_SITE_PREDICATE)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    number: Mapped[str] = mapped_column(String(32))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ROStatus.CHECKED_IN)
    # when the current status began: the time control measures a car's time in its stage from here
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    odometer_km: Mapped[int | None] = mapped_column(Integer)
    complaint: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    promised_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    key_tag: Mapped[str | None] = mapped_column(String(16))
    # default for new lines; server defaults fill the rows that existed before these columns
    pay_type: Mapped[str] = mapped_column(String(16), default=PayType.CUSTOMER, server_default="customer")
    insurer: Mapped[str | None] = mapped_column(String(64))
    claim_number: Mapped[str | None] = mapped_column(String(64))
    assessor: Mapped[str | None] = mapped_column(String(64))
    assessed_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    insurer_payment: Mapped[str] = mapped_column(String(16), default=InsurerPayment.NONE, server_default="none")
    warranty_claim_ref: Mapped[str | None] = mapped_column(String(64))
    # The check-in form's one-time token: a double-tapped submit finds the RO the first tap made.
    origin_token: Mapped[str | None] = mapped_column(String(36), unique=True)
    # A comeback (返修): this visit redoes the work of an earlier repair order of the same car.
    comeback_of_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"), index=True)
    # Optimistic lock: a save from a stale form is refused instead of overwriting a colleague's edit.
    version: Mapped[int] = mapped_column(Integer, default=1)

    vehicle: Mapped[Vehicle] = relationship()
    customer: Mapped[Customer | None] = relationship()
    advisor: Mapped[User | None] = relationship()
    comeback_of: Mapped[RepairOrder | None] = relationship(remote_side="RepairOrder.id")
    events: Mapped[list[RepairOrderEvent]] = relationship(
        back_populates="repair_order", order_by="RepairOrderEvent.id", cascade="all, delete-orphan"
    )
    lines: Mapped[list[RepairOrderLine]] = relationship(
        back_populates="repair_order", order_by="RepairOrderLine.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> ROStatus:
        return ROStatus(self.status)


class Team(enum.StrEnum):
    """The workshop team a labour line is for (the workshop area runs the teams)."""

    MECHANICAL = "mechanical"
    BODY = "body"
    PAINT = "paint"

    @property
    def label(self):
        return TEAM_LABELS[self]

    @property
    def sequence(self) -> int:
        """An accident car goes body → paint → mechanical (reassembly, alignment)."""
        return TEAM_SEQUENCE[self]


TEAM_LABELS = {Team.MECHANICAL: _l("Mechanical"), Team.BODY: _l("Body"), Team.PAINT: _l("Paint")}
TEAM_SEQUENCE = {Team.BODY: 1, Team.PAINT: 2, Team.MECHANICAL: 3}


class LineKind(enum.StrEnum):
    LABOUR = "labour"
    PART = "part"


class RepairOrderLine(db.Model):
    """One labour operation (hours × rate) or one part (quantity × unit price) on a repair order."""

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str | None] = mapped_column(String(32))  # labour operation or part number
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # hours for labour, pieces for parts
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # rate per hour, or price per piece
    pay_type: Mapped[str] = mapped_column(String(16), default=PayType.CUSTOMER)
    # labour only: the workshop team that does it, and the dispatched job it belongs to
    team: Mapped[str | None] = mapped_column(String(16))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    # parts only: set when the line is what the parts counter actually issued (the bill follows it)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    repair_order: Mapped[RepairOrder] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.quantity) * Decimal(self.unit_price)).quantize(Decimal("0.01"))


class CannedJob(db.Model):
    """A menu item for a common service (first service, 10 000 km service…): lines added in one tap."""

    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lines: Mapped[list[CannedJobLine]] = relationship(
        back_populates="canned_job", order_by="CannedJobLine.position", cascade="all, delete-orphan", lazy="selectin"
    )


class CannedJobLine(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    canned_job_id: Mapped[int] = mapped_column(ForeignKey("canned_job.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # labour: empty = the store's rate
    team: Mapped[str | None] = mapped_column(String(16))  # labour: the workshop team; empty = mechanical
    canned_job: Mapped[CannedJob] = relationship(back_populates="lines")


class RepairOrderEvent(db.Model):
    """Every change of a repair order: status moves (who, when, from, to, note) and edits, with the
    fields changed and the version they produced — what a colleague with a stale form is shown."""

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    changes_json: Mapped[str | None] = mapped_column(Text)  # [[field label, old, new], …] for edits
    version: Mapped[int | None] = mapped_column(Integer)  # the RO version this change produced

    repair_order: Mapped[RepairOrder] = relationship(back_populates="events")

    @property
    def changes(self) -> list[list[str]]:
        import json

        return json.loads(self.changes_json) if self.changes_json else []
    actor: Mapped[User | None] = relationship()


class DocumentSequence(db.Model):
    """Per store, kind and day: the last number handed out (RO 0001, 0002 …)."""

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Photo(db.Model):
    """A photo taken on a tablet (damage at the walk-around, a finding, a failed inspection item…).
    The file lives under instance/photos; the row says who took it, when, and what it belongs to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    path: Mapped[str] = mapped_column(String(200))  # relative to the photo folder
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("finding.id", ondelete="CASCADE"), index=True)
    discrepancy_id: Mapped[int | None] = mapped_column(ForeignKey("discrepancy.id", ondelete="CASCADE"), index=True)
    write_off_id: Mapped[int | None] = mapped_column(ForeignKey("write_off.id", ondelete="CASCADE"), index=True)
    round_answer_id: Mapped[int | None] = mapped_column(ForeignKey("round_answer.id", ondelete="CASCADE"), index=True)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"), index=True)


class StatusEvent:
    """The columns of an area's event table (`PartsEvent`, `DirectorEvent`, `CareEvent`): every move
    of one of its subjects — who, when, from, to, and the words that came with it. One table per
    area keeps each area's history apart; `core.transitions` writes them all."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    note: Mapped[str | None] = mapped_column(String(400))

    @declared_attr
    def actor(cls) -> Mapped[User | None]:
        return relationship(User)


class Notice(db.Model):
    """A message to one person (a car stuck in its stage, a car ready for its advisor…). The text is
    written in the reader's language when shown: the row keeps the kind and its values."""

    __table_args__ = (Index("ix_notice_user_unread", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    params_json: Mapped[str] = mapped_column(Text, default="{}")
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


# The audit log lives with its recorder (intranet/core/audit.py); imported here so the schema has it.
from intranet.core.audit import AuditEvent  # noqa: E402,F401
