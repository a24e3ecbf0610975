"""The parts store: the catalogue and its bins, the stock ledger, reservations, pending parts,
purchasing and receiving with discrepancies, stock counts, write-offs and the old parts ledger.

On-hand and reserved are kept on the part row and only ever changed by one guarded UPDATE in
`parts.ledger` (never by the ORM), in the same transaction as the movement row that explains
the change; the database refuses a negative stock (check constraints) even if a bug tried."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Labelled, RepairOrder, SearchKey, StatusEvent, User
from intranet.extensions import db

ZERO = Decimal("0")


class AbcClass(Labelled):
    A = "A"
    B = "B"
    C = "C"

    @classmethod
    def _labels(cls):
        return {cls.A: _l("A (fast movers)"), cls.B: _l("B"), cls.C: _l("C (slow movers)")}


class Supplier(db.Model):
    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    # unused parts may go back within this many days of their receipt (0: the supplier takes nothing back)
    return_days: Mapped[int] = mapped_column(Integer, default=0)
    lead_days: Mapped[int] = mapped_column(Integer, default=2)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Part(db.Model):
    """One part number of the store's catalogue, with its single bin and its stock."""

    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        UniqueConstraint("store_id", "bin_code"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        Index("ix_part_store_class", "store_id", "abc_class"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    number: Mapped[str] = mapped_column(SearchKey(32))
    name: Mapped[str] = mapped_column(String(100))
    fitment: Mapped[str | None] = mapped_column(String(200))  # the models it fits, comma-separated
    abc_class: Mapped[str] = mapped_column(String(1), default=AbcClass.C)
    unit: Mapped[str] = mapped_column(String(8), default="件")
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    reorder_point: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    reorder_quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))  # the usual one
    bin_code: Mapped[str | None] = mapped_column(SearchKey(16))  # store-shelf-layer-position, e.g. A-03-2-05
    on_hand: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    reserved: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    supplier: Mapped[Supplier | None] = relationship()

    @property
    def available(self) -> Decimal:
        return Decimal(self.on_hand) - Decimal(self.reserved)

    @property
    def stock_value(self) -> Decimal:
        return (Decimal(self.on_hand) * Decimal(self.cost)).quantize(Decimal("0.01"))


class PartSupplier(db.Model):
    """Who else sells a part, and at what price (the A-class price comparison starts here)."""

    part_id: Mapped[int] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), primary_key=True)
    unit_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    supplier: Mapped[Supplier] = relationship()


class MovementKind(Labelled):
    OPENING = "opening"
    RECEIPT = "receipt"
    ISSUE = "issue"
    RETURN = "return"
    COUNT = "count"
    WRITE_OFF = "write_off"
    TRANSFER = "transfer"

    @classmethod
    def _labels(cls):
        return {cls.OPENING: _l("Opening balance"), cls.RECEIPT: _l("Receipt"), cls.ISSUE: _l("Issue to RO"),
                cls.RETURN: _l("Return from RO"), cls.COUNT: _l("Count adjustment"), cls.WRITE_OFF: _l("Write-off"),
                cls.TRANSFER: _l("Transfer")}


class StockMovement(db.Model):
    """One change of stock, signed (+ in, − out), with the balance it left: the bin card's line."""

    __table_args__ = (
        Index("ix_stock_movement_part", "part_id", "at", "id"),
        Index("ix_stock_movement_store_at", "store_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    balance: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"), index=True)
    parts_request_id: Mapped[int | None] = mapped_column(ForeignKey("parts_request.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    count_id: Mapped[int | None] = mapped_column(ForeignKey("stock_count.id"))
    write_off_id: Mapped[int | None] = mapped_column(ForeignKey("write_off.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    actor: Mapped[User | None] = relationship()
    repair_order: Mapped[RepairOrder | None] = relationship()

    @property
    def kind_enum(self) -> MovementKind:
        return MovementKind(self.kind)


class ReservationStatus(Labelled):
    OPEN = "open"
    ISSUED = "issued"
    RELEASED = "released"

    @classmethod
    def _labels(cls):
        return {cls.OPEN: _l("Reserved"), cls.ISSUED: _l("Issued"), cls.RELEASED: _l("Released")}


class Reservation(db.Model):
    """Stock held for an appointment's pre-pick or a repair order: it counts against available."""

    __table_args__ = (Index("ix_reservation_part_status", "part_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"),
                                                        index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"),
                                                       index=True)
    status: Mapped[str] = mapped_column(String(16), default=ReservationStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    part: Mapped[Part] = relationship()
    repair_order: Mapped[RepairOrder | None] = relationship()
    appointment = relationship("Appointment")


class OldPartOutcome(Labelled):
    """What the counter recorded about the old part when it issued the new one (交旧领新)."""

    RECEIVED = "received"
    CUSTOMER_KEEPS = "customer_keeps"
    WARRANTY_HOLDS = "warranty_holds"
    NONE = "none"  # nothing replaced: oil, fluids, an added accessory

    @classmethod
    def _labels(cls):
        return {cls.RECEIVED: _l("Old part handed in"), cls.CUSTOMER_KEEPS: _l("Customer keeps the old part"),
                cls.WARRANTY_HOLDS: _l("Warranty clerk holds it"), cls.NONE: _l("No old part (consumable)")}


class PendingStatus(Labelled):
    SHORTAGE = "shortage"
    REQUESTED = "requested"  # on a purchase request
    APPROVED = "approved"
    ORDERED = "ordered"
    RECEIVED = "received"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {cls.SHORTAGE: _l("Shortage"), cls.REQUESTED: _l("Purchase requested"), cls.APPROVED: _l("Purchase approved"),
                cls.ORDERED: _l("Ordered"), cls.RECEIVED: _l("Received"), cls.CANCELLED: _l("Cancelled")}


OPEN_PENDING = (PendingStatus.SHORTAGE, PendingStatus.REQUESTED, PendingStatus.APPROVED, PendingStatus.ORDERED)


class PendingPart(db.Model):
    """A part a repair order needs that the store does not have (待缺料), followed to its arrival."""

    __table_args__ = (Index("ix_pending_part_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    parts_request_id: Mapped[int | None] = mapped_column(ForeignKey("parts_request.id", ondelete="SET NULL"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    status: Mapped[str] = mapped_column(String(16), default=PendingStatus.SHORTAGE)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order_line.id", ondelete="SET NULL"),
                                                      index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    expected_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    ordered_at: Mapped[datetime | None] = mapped_column(DateTime)
    received_at: Mapped[datetime | None] = mapped_column(DateTime)

    part: Mapped[Part] = relationship()
    repair_order: Mapped[RepairOrder] = relationship()
    supplier: Mapped[Supplier | None] = relationship()

    @property
    def status_enum(self) -> PendingStatus:
        return PendingStatus(self.status)


class OrderStatus(Labelled):
    DRAFT = "draft"
    APPROVED = "approved"
    ORDERED = "ordered"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {cls.DRAFT: _l("Draft"), cls.APPROVED: _l("Approved for purchase"), cls.ORDERED: _l("Ordered"),
                cls.PARTLY_RECEIVED: _l("Partly received"), cls.RECEIVED: _l("Received"),
                cls.CANCELLED: _l("Cancelled")}


class PurchaseOrder(db.Model):
    """A purchase plan for one supplier: suggested by the nightly job or written by the planner,
    approved by the parts manager, ordered by the buyer, received in up to three checks."""

    __table_args__ = (Index("ix_purchase_order_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # an emergency purchase for a car waiting
    suggested: Mapped[bool] = mapped_column(Boolean, default=False)  # made by the nightly job
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.DRAFT)
    expected_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    ordered_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    supplier: Mapped[Supplier | None] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(back_populates="order", order_by="PurchaseOrderLine.id",
                                                          cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> OrderStatus:
        return OrderStatus(self.status)


class PurchaseOrderLine(db.Model):
    __table_args__ = (UniqueConstraint("order_id", "part_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id", ondelete="CASCADE"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    received_quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    part: Mapped[Part] = relationship()
    quotes: Mapped[list[SupplierQuote]] = relationship(order_by="SupplierQuote.unit_cost",
                                                       cascade="all, delete-orphan")

    @property
    def outstanding(self) -> Decimal:
        return Decimal(self.quantity) - Decimal(self.received_quantity)


class SupplierQuote(db.Model):
    """One supplier's price for an order line: A-class parts are compared across three."""

    __table_args__ = (UniqueConstraint("order_line_id", "supplier_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id", ondelete="CASCADE"),
                                               index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    lead_days: Mapped[int | None] = mapped_column(Integer)

    supplier: Mapped[Supplier] = relationship()


class ReceiptStatus(Labelled):
    NOTE_CHECKED = "note_checked"  # 1: the buyer checked the delivery against its note
    INTAKE_CHECKED = "intake_checked"  # 2: storekeeper and planner counted and looked at every item
    SHELVED = "shelved"  # 3: the storekeeper put it in its bins; stock is booked

    @classmethod
    def _labels(cls):
        return {cls.NOTE_CHECKED: _l("Delivery note checked"), cls.INTAKE_CHECKED: _l("Intake checked"),
                cls.SHELVED: _l("Shelved and booked")}


class Receipt(db.Model):
    __table_args__ = (Index("ix_receipt_order", "order_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"))
    delivery_note: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ReceiptStatus.NOTE_CHECKED)
    note_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    intake_checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    intake_checked_at: Mapped[datetime | None] = mapped_column(DateTime)
    shelved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    shelved_at: Mapped[datetime | None] = mapped_column(DateTime)

    order: Mapped[PurchaseOrder] = relationship()
    lines: Mapped[list[ReceiptLine]] = relationship(back_populates="receipt", order_by="ReceiptLine.id",
                                                    cascade="all, delete-orphan")

    @property
    def status_enum(self) -> ReceiptStatus:
        return ReceiptStatus(self.status)


class ReceiptLine(db.Model):
    """Per order line: what the delivery note says, and at intake what was good, damaged or wrong.
    Only the good quantity is booked."""

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("purchase_order_line.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    noted_quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    good_quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    damaged_quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)
    wrong_quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=ZERO)

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    order_line: Mapped[PurchaseOrderLine] = relationship()
    part: Mapped[Part] = relationship()


class DiscrepancyKind(Labelled):
    SHORT = "short"
    DAMAGED = "damaged"
    WRONG = "wrong"

    @classmethod
    def _labels(cls):
        return {cls.SHORT: _l("Short"), cls.DAMAGED: _l("Damaged"), cls.WRONG: _l("Wrong part")}


class ClaimStatus(Labelled):
    OPEN = "open"  # noted, not yet claimed
    CLAIMED = "claimed"  # sent to the supplier (or reported to the parts manager)
    CREDITED = "credited"
    REPLACED = "replaced"
    REJECTED = "rejected"  # the supplier refused: a written report to the parts manager

    @classmethod
    def _labels(cls):
        return {cls.OPEN: _l("Open"), cls.CLAIMED: _l("Claimed"), cls.CREDITED: _l("Credited"),
                cls.REPLACED: _l("Replaced"), cls.REJECTED: _l("Rejected")}


OPEN_CLAIMS = (ClaimStatus.OPEN, ClaimStatus.CLAIMED)


class Discrepancy(db.Model):
    """A discrepancy note (差损单): short, damaged or wrong items of a delivery, and the claim."""

    __table_args__ = (Index("ix_discrepancy_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipt.id"), index=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.OPEN)
    claim_reference: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    part: Mapped[Part] = relationship()
    receipt: Mapped[Receipt] = relationship()

    @property
    def kind_enum(self) -> DiscrepancyKind:
        return DiscrepancyKind(self.kind)

    @property
    def status_enum(self) -> ClaimStatus:
        return ClaimStatus(self.status)


class CountKind(Labelled):
    FULL = "full"  # the monthly full count
    QUARTERLY = "quarterly"  # with finance
    CYCLE = "cycle"  # selected classes or bins

    @classmethod
    def _labels(cls):
        return {cls.FULL: _l("Monthly full count"), cls.QUARTERLY: _l("Quarterly count with finance"),
                cls.CYCLE: _l("Cycle count")}


class CountStatus(Labelled):
    GENERATING = "generating"
    COUNTING = "counting"
    REVIEW = "review"
    APPROVED = "approved"
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {cls.GENERATING: _l("Preparing sheets"), cls.COUNTING: _l("Counting"), cls.REVIEW: _l("Variance review"),
                cls.APPROVED: _l("Approved and posted"), cls.CANCELLED: _l("Cancelled")}


class StockCount(db.Model):
    """A count session (盘点). Its sheets are generated by a background job in bin-walking order."""

    __table_args__ = (
        UniqueConstraint("store_id", "kind", "scheduled_for"),  # the overnight job opens each scheduled count once
        Index("ix_stock_count_store_status", "store_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CountStatus.GENERATING)
    classes: Mapped[str | None] = mapped_column(String(3))  # e.g. "A" or "AB"; empty: every class
    bin_prefix: Mapped[str | None] = mapped_column(String(16))  # e.g. "A-03": one shelf
    scheduled_for: Mapped[date | None] = mapped_column(Date)
    # a line is counted a second time, by someone else, when its variance is worth more than this
    recount_value: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("200"))
    total_lines: Mapped[int] = mapped_column(Integer, default=0)
    generated_lines: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    finance_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # quarterly: finance's sign-off
    finance_at: Mapped[datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> CountStatus:
        return CountStatus(self.status)

    @property
    def kind_enum(self) -> CountKind:
        return CountKind(self.kind)


class CountLine(db.Model):
    """One bin of a count sheet. The book quantity is taken when the count is entered, so movements
    between the sheet's printing and the count do not show as variances."""

    __table_args__ = (UniqueConstraint("count_id", "part_id"), Index("ix_count_line_seq", "count_id", "seq"))
    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("stock_count.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"))
    bin_code: Mapped[str | None] = mapped_column(String(16))
    first_quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    first_book: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    first_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    first_at: Mapped[datetime | None] = mapped_column(DateTime)
    needs_second: Mapped[bool] = mapped_column(Boolean, default=False)
    second_quantity: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    second_book: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    second_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    second_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    part: Mapped[Part] = relationship()
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])

    @property
    def counted(self) -> Decimal | None:
        return self.second_quantity if self.second_quantity is not None else self.first_quantity

    @property
    def book(self) -> Decimal | None:
        return self.second_book if self.second_quantity is not None else self.first_book

    @property
    def variance(self) -> Decimal:
        if self.counted is None:
            return ZERO
        return Decimal(self.counted) - Decimal(self.book)


class WriteOffStatus(Labelled):
    REQUESTED = "requested"
    POSTED = "posted"
    REFUSED = "refused"

    @classmethod
    def _labels(cls):
        return {cls.REQUESTED: _l("Waiting for approvals"), cls.POSTED: _l("Approved and posted"),
                cls.REFUSED: _l("Refused")}


class WriteOff(db.Model):
    """A write-off request (报损): posts only after the service manager, the warranty supervisor and
    the parts manager have each approved it."""

    __table_args__ = (Index("ix_write_off_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=WriteOffStatus.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    refusal: Mapped[str | None] = mapped_column(String(200))

    part: Mapped[Part] = relationship()
    requested_by: Mapped[User | None] = relationship()
    approvals: Mapped[list[WriteOffApproval]] = relationship(order_by="WriteOffApproval.id", lazy="selectin",
                                                             cascade="all, delete-orphan")

    @property
    def status_enum(self) -> WriteOffStatus:
        return WriteOffStatus(self.status)


class WriteOffApproval(db.Model):
    __table_args__ = (UniqueConstraint("write_off_id", "role"), UniqueConstraint("write_off_id", "user_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    write_off_id: Mapped[int] = mapped_column(ForeignKey("write_off.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    user: Mapped[User] = relationship()


class OldPartStatus(Labelled):
    HELD = "held"
    RETURNED_TO_MAKER = "returned_to_maker"
    HANDED_TO_CUSTOMER = "handed_to_customer"
    SCRAPPED = "scrapped"

    @classmethod
    def _labels(cls):
        return {cls.HELD: _l("Held"), cls.RETURNED_TO_MAKER: _l("Returned to the manufacturer"),
                cls.HANDED_TO_CUSTOMER: _l("Handed to the customer"), cls.SCRAPPED: _l("Scrapped")}


class OldPart(db.Model):
    """An old part handed in for a new one, kept by a named person; warranty ones are tagged with
    their claim and followed until they go back to the manufacturer."""

    __table_args__ = (Index("ix_old_part_store_status", "store_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    parts_request_id: Mapped[int | None] = mapped_column(ForeignKey("parts_request.id", ondelete="SET NULL"))
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id"))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    warranty: Mapped[bool] = mapped_column(Boolean, default=False)
    claim_number: Mapped[str | None] = mapped_column(String(32))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(24), default=OldPartStatus.HELD)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(200))

    repair_order: Mapped[RepairOrder] = relationship()
    holder: Mapped[User | None] = relationship(foreign_keys=[holder_id])

    @property
    def status_enum(self) -> OldPartStatus:
        return OldPartStatus(self.status)


class PartsEvent(StatusEvent, db.Model):
    """Every move of a purchase order, a discrepancy claim, a stock count or a write-off: who, when,
    from, to, and the words that came with it (a refusal's reason, a claim's outcome)."""

    __table_args__ = (Index("ix_parts_event_subject", "subject", "subject_id", "id"),)
    note: Mapped[str | None] = mapped_column(String(200))
