"""What the advisor handles around the repair order: findings during repair and the customer's answer."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Customer, Photo, RepairOrder, User, Vehicle
from intranet.extensions import db


class FindingStatus(enum.StrEnum):
    WAITING = "waiting"  # reported, the customer has not answered yet
    APPROVED = "approved"
    DECLINED = "declined"  # stays on the vehicle as declined work, offered again next visit
    DONE_LATER = "done_later"  # declined once, approved on a later visit

    @property
    def label(self):
        return FINDING_STATUS_LABELS[self]


FINDING_STATUS_LABELS = {
    FindingStatus.WAITING: _l("Waiting for the customer"),
    FindingStatus.APPROVED: _l("Approved"),
    FindingStatus.DECLINED: _l("Declined"),
    FindingStatus.DONE_LATER: _l("Approved on a later visit"),
}


class AnswerChannel(enum.StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    MESSAGE = "message"

    @property
    def label(self):
        return ANSWER_CHANNEL_LABELS[self]


ANSWER_CHANNEL_LABELS = {
    AnswerChannel.IN_PERSON: _l("In person"),
    AnswerChannel.PHONE: _l("By phone"),
    AnswerChannel.MESSAGE: _l("By message"),
}


class Finding(db.Model):
    """Extra work found during repair: reported to the advisor, who records the customer's answer."""

    __table_args__ = (
        Index("ix_finding_store_status", "store_id", "status"),
        Index("ix_finding_vehicle_status", "vehicle_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    description: Mapped[str] = mapped_column(Text)
    labour_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    parts_description: Mapped[str | None] = mapped_column(String(200))
    parts_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    status: Mapped[str] = mapped_column(String(16), default=FindingStatus.WAITING)
    answer_channel: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    approved_on_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"))  # when done on a later visit

    repair_order: Mapped[RepairOrder] = relationship(foreign_keys=[repair_order_id])
    vehicle: Mapped[Vehicle] = relationship()
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id", cascade="all, delete-orphan")

    @property
    def status_enum(self) -> FindingStatus:
        return FindingStatus(self.status)


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return APPOINTMENT_STATUS_LABELS[self]


APPOINTMENT_STATUS_LABELS = {
    AppointmentStatus.BOOKED: _l("Booked"),
    AppointmentStatus.ARRIVED: _l("Arrived"),
    AppointmentStatus.NO_SHOW: _l("No-show"),
    AppointmentStatus.CANCELLED: _l("Cancelled"),
}


class Appointment(db.Model):
    """A booked visit: customer and car, the work wanted, a slot with an advisor, parts to pre-pick."""

    __table_args__ = (
        Index("ix_appointment_store_starts", "store_id", "starts_at"),
        Index("ix_appointment_advisor_starts", "advisor_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, the start of its slot
    work_wanted: Mapped[str] = mapped_column(Text)
    canned_job_id: Mapped[int | None] = mapped_column(ForeignKey("canned_job.id"))
    estimated_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("1.0"))
    parts_wanted: Mapped[str | None] = mapped_column(Text)  # a note for the parts store beside the pre-pick lines
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.BOOKED)
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"), index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    booked_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    note: Mapped[str | None] = mapped_column(String(200))

    customer: Mapped[Customer] = relationship()
    vehicle: Mapped[Vehicle] = relationship()
    advisor: Mapped[User] = relationship(foreign_keys=[advisor_id])
    pre_pick: Mapped[list[PrePickLine]] = relationship(
        back_populates="appointment", order_by="PrePickLine.id", cascade="all, delete-orphan", lazy="selectin")

    @property
    def status_enum(self) -> AppointmentStatus:
        return AppointmentStatus(self.status)

    @property
    def short_lines(self) -> list[PrePickLine]:
        return [line for line in self.pre_pick if line.short > 0]


class PrePickLine(db.Model):
    """A catalogue part a booking asks the parts store to prepare (预约备料) before the car comes.
    The parts store holds what is free (`reserved`); the rest is a shortage it sees on its pre-pick
    list, where a storekeeper marks the line picked. The part is named by its number, not a key of the
    parts store's table: reception stands below the parts store and never reads its tables."""

    __table_args__ = (UniqueConstraint("appointment_id", "part_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    part_number: Mapped[str] = mapped_column(String(32))
    part_name: Mapped[str] = mapped_column(String(100))  # as the catalogue named it when booked
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reserved: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0"))  # held by the parts store
    picked_at: Mapped[datetime | None] = mapped_column(DateTime)
    picked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    appointment: Mapped[Appointment] = relationship(back_populates="pre_pick")
    picked_by: Mapped[User | None] = relationship(foreign_keys=[picked_by_id])

    @property
    def short(self) -> Decimal:
        """What the parts store could not hold when it was asked."""
        return max(Decimal(self.quantity) - Decimal(self.reserved or 0), Decimal("0"))


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    CARD = "card"
    TRANSFER = "transfer"
    INSURER = "insurer"
    MANUFACTURER = "manufacturer"
    INTERNAL = "internal"

    @property
    def label(self):
        return PAYMENT_METHOD_LABELS[self]


PAYMENT_METHOD_LABELS = {
    PaymentMethod.CASH: _l("Cash"),
    PaymentMethod.WECHAT: _l("WeChat Pay"),
    PaymentMethod.ALIPAY: _l("Alipay"),
    PaymentMethod.CARD: _l("Bank card"),
    PaymentMethod.TRANSFER: _l("Bank transfer"),
    PaymentMethod.INSURER: _l("Insurer settlement"),
    PaymentMethod.MANUFACTURER: _l("Manufacturer claim"),
    PaymentMethod.INTERNAL: _l("Internal account"),
}


class Payment(db.Model):
    """Money received (or booked to be claimed) for a repair order, per payer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    payer: Mapped[str] = mapped_column(String(16))  # PayType
    method: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reference: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # One per payment form shown: a double-tapped "record payment" finds the first payment.
    token: Mapped[str | None] = mapped_column(String(36), unique=True)


class OldParts(enum.StrEnum):
    SHOWN = "shown"  # shown to the customer, then scrapped by the store
    CUSTOMER_KEEPS = "customer_keeps"
    WARRANTY_HOLDS = "warranty_holds"
    NONE = "none"  # no part was replaced

    @property
    def label(self):
        return OLD_PARTS_LABELS[self]


OLD_PARTS_LABELS = {
    OldParts.SHOWN: _l("Shown to the customer"),
    OldParts.CUSTOMER_KEEPS: _l("Customer takes them"),
    OldParts.WARRANTY_HOLDS: _l("Kept for the warranty claim"),
    OldParts.NONE: _l("No part replaced"),
}


class Delivery(db.Model):
    """The hand-back: the delivery checklist as it was signed off."""

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), unique=True)
    work_explained: Mapped[bool] = mapped_column(default=False)
    old_parts: Mapped[str] = mapped_column(String(16))
    car_clean: Mapped[bool] = mapped_column(default=False)
    keys_returned: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(200))
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    delivered_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


# Panels of the walk-around diagram, front to back; the template draws them in this order.
PANELS = {
    "front_bumper": _l("Front bumper"), "hood": _l("Hood"), "windshield": _l("Windshield"), "roof": _l("Roof"),
    "rear_window": _l("Rear window"), "trunk": _l("Trunk lid"), "rear_bumper": _l("Rear bumper"),
    "left_front_fender": _l("Left front fender"), "left_front_door": _l("Left front door"),
    "left_rear_door": _l("Left rear door"), "left_rear_fender": _l("Left rear fender"),
    "right_front_fender": _l("Right front fender"), "right_front_door": _l("Right front door"),
    "right_rear_door": _l("Right rear door"), "right_rear_fender": _l("Right rear fender"),
    "left_front_wheel": _l("Left front wheel"), "right_front_wheel": _l("Right front wheel"),
    "left_rear_wheel": _l("Left rear wheel"), "right_rear_wheel": _l("Right rear wheel"),
}
DAMAGE_KINDS = {
    "scratch": _l("Scratch"), "dent": _l("Dent"), "crack": _l("Crack"), "chip": _l("Stone chip"),
    "scuff": _l("Scuffed rim"), "other": _l("Other"),
}


class WalkAround(db.Model):
    """The check of the car with the customer at reception (环车检查), signed by the customer."""

    id: Mapped[int] = mapped_column(primary_key=True)
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), unique=True)
    fuel_eighths: Mapped[int | None] = mapped_column()  # 0 = empty … 8 = full
    valuables: Mapped[str | None] = mapped_column(String(200))  # left in the car, as the customer said
    interior_note: Mapped[str | None] = mapped_column(String(200))
    signed_name: Mapped[str | None] = mapped_column(String(64))
    signature_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    marks: Mapped[list[DamageMark]] = relationship(order_by="DamageMark.id", cascade="all, delete-orphan",
                                                   lazy="selectin")
    signature: Mapped[Photo | None] = relationship(foreign_keys=[signature_photo_id])


class DamageMark(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    walk_around_id: Mapped[int] = mapped_column(ForeignKey("walk_around.id", ondelete="CASCADE"), index=True)
    panel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))
    photo: Mapped[Photo | None] = relationship()

    @property
    def panel_label(self):
        return PANELS.get(self.panel, self.panel)

    @property
    def kind_label(self):
        return DAMAGE_KINDS.get(self.kind, self.kind)
