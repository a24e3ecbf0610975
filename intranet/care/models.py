"""Customer care (客服): follow-up calls after a visit, questions the agent passes to the
supervisor, the complaints closed loop, reminders and the outgoing-message box, win-back calls
to lapsed customers, store events with their invitations, and the manufacturer's CSI scores.

Everything a care agent does to or for a customer leaves a row here, so the customer file can
show the whole history; every "once per occasion" rule is a unique key, so reruns of the
nightly jobs add nothing."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Customer, Labelled, Photo, RepairOrder, StatusEvent, User, Vehicle
from intranet.extensions import db


class CareSettings(db.Model):
    """The store's own numbers for customer care (the documents' figures are the defaults)."""

    __audit__ = _l("Customer care settings")  # every change is written to the audit log (core/audit.py)

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    # follow-up calls: the first is due from day `first_call_from_day` to `first_call_to_day`
    # after delivery and expires `call_expires_days` after its window opened; the second comes
    # `second_call_after_days` after the first was made
    first_call_from_day: Mapped[int] = mapped_column(Integer, default=1)
    first_call_to_day: Mapped[int] = mapped_column(Integer, default=3)
    call_expires_days: Mapped[int] = mapped_column(Integer, default=7)
    second_call_after_days: Mapped[int] = mapped_column(Integer, default=7)
    retry_minutes: Mapped[int] = mapped_column(Integer, default=120)  # not reached: try again after
    # hot alerts: a dissatisfied customer is called again after this many days, until satisfied
    hot_recall_days: Mapped[int] = mapped_column(Integer, default=1)
    question_due_days: Mapped[int] = mapped_column(Integer, default=2)  # the supervisor's answer
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # empty: the director
    # complaints: hours each step may take, and the escalation step after a step is late
    complaint_step_hours: Mapped[int] = mapped_column(Integer, default=24)
    complaint_investigate_hours: Mapped[int] = mapped_column(Integer, default=48)
    complaint_carry_out_hours: Mapped[int] = mapped_column(Integer, default=72)
    complaint_escalation_hours: Mapped[int] = mapped_column(Integer, default=24)
    # reminders: days ahead of the occasion ("30,15,7": one reminder at each)
    service_interval_km: Mapped[int] = mapped_column(Integer, default=10000)
    service_interval_months: Mapped[int] = mapped_column(Integer, default=6)
    maintenance_days_before: Mapped[str] = mapped_column(String(32), default="14")
    inspection_days_before: Mapped[str] = mapped_column(String(32), default="30,15,7")
    insurance_days_before: Mapped[str] = mapped_column(String(32), default="30,15,7")
    birthday_days_before: Mapped[str] = mapped_column(String(32), default="3")
    # lapsed customers: not seen for this many months
    lapsed_months: Mapped[int] = mapped_column(Integer, default=12)
    # store events: invitations go out this many days ahead
    event_notice_days: Mapped[int] = mapped_column(Integer, default=14)
    # CSI: the store's target (percent)
    csi_target: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("93.0"))


class CareEvent(StatusEvent, db.Model):
    """Every move of a follow-up call, complaint or question: who, when, from, to, and the words."""

    __tablename__ = "care_event"
    __table_args__ = (Index("ix_care_event_subject", "subject", "subject_id", "id"),)


# ---------------------------------------------------------------- follow-up calls (回访)
class CallKind(Labelled):
    FIRST = "first"  # 1–3 days after delivery
    SECOND = "second"  # a week after the first
    RECALL = "recall"  # a dissatisfied customer, called again until satisfied

    @classmethod
    def _labels(cls):
        return {cls.FIRST: _l("First follow-up"), cls.SECOND: _l("Second follow-up"),
                cls.RECALL: _l("Call again (dissatisfied)")}


class CallStatus(Labelled):
    DUE = "due"  # to be made (again, after an unanswered attempt: see retry_at)
    DONE = "done"  # the customer was reached and answered
    EXPIRED = "expired"  # the window passed without reaching the customer
    CANCELLED = "cancelled"

    @classmethod
    def _labels(cls):
        return {cls.DUE: _l("To call"), cls.DONE: _l("Reached"), cls.EXPIRED: _l("Expired"),
                cls.CANCELLED: _l("Cancelled")}


CALL_TRANSITIONS = {
    CallStatus.DUE: frozenset({CallStatus.DONE, CallStatus.EXPIRED, CallStatus.CANCELLED}),
    CallStatus.DONE: frozenset(),
    CallStatus.EXPIRED: frozenset(),
    CallStatus.CANCELLED: frozenset(),
}


class Satisfaction(Labelled):
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"

    @classmethod
    def _labels(cls):
        return {cls.SATISFIED: _l("Satisfied"), cls.NEUTRAL: _l("So-so"), cls.DISSATISFIED: _l("Dissatisfied")}


# the topics a reached customer is asked about, in the script's order
CALL_TOPICS = ("reception", "quality", "time", "price", "cleanliness")
CALL_TOPIC_LABELS = {
    "reception": _l("Reception"), "quality": _l("Repair quality"), "time": _l("Time taken"),
    "price": _l("Price paid"), "cleanliness": _l("Car returned clean"),
}


class FollowUpCall(db.Model):
    """A call a care agent owes a customer about one visit (or a recall after a complaint).
    One per repair order and kind: delivering a car twice cannot make two first calls."""

    __table_args__ = (
        UniqueConstraint("repair_order_id", "kind", "round"),
        Index("ix_follow_up_call_agent_status_due", "agent_id", "status", "due_from"),
        Index("ix_follow_up_call_store_status_due", "store_id", "status", "due_from"),
        Index("ix_follow_up_call_customer", "customer_id", "id"),
        Index("ix_follow_up_call_store_reached", "store_id", "reached_at"),  # the director's day
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default=CallKind.FIRST)
    round: Mapped[int] = mapped_column(Integer, default=1)  # recalls: 1, 2, … until satisfied
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(12), default=CallStatus.DUE)
    due_from: Mapped[date] = mapped_column(Date)  # store-local days
    due_until: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)  # after this day it is expired, not late
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)  # not reached: not before this
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reached_at: Mapped[datetime | None] = mapped_column(DateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(16))  # overall
    score_reception: Mapped[str | None] = mapped_column(String(16))
    score_quality: Mapped[str | None] = mapped_column(String(16))
    score_time: Mapped[str | None] = mapped_column(String(16))
    score_price: Mapped[str | None] = mapped_column(String(16))
    score_cleanliness: Mapped[str | None] = mapped_column(String(16))
    comments: Mapped[str | None] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    customer: Mapped[Customer] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    repair_order: Mapped[RepairOrder] = relationship()
    agent: Mapped[User | None] = relationship()
    attempt_rows: Mapped[list[CallAttempt]] = relationship(back_populates="call", order_by="CallAttempt.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> CallStatus:
        return CallStatus(self.status)

    @property
    def kind_enum(self) -> CallKind:
        return CallKind(self.kind)


class AttemptOutcome(Labelled):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"  # answered but asked to be called later
    WRONG_NUMBER = "wrong_number"

    @classmethod
    def _labels(cls):
        return {cls.REACHED: _l("Reached"), cls.NO_ANSWER: _l("No answer"), cls.BUSY: _l("Call later"),
                cls.WRONG_NUMBER: _l("Wrong number")}


class CallAttempt(db.Model):
    """Every dial, answered or not: the record the documents ask for ("every call recorded")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("follow_up_call.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(400))
    # a call outside the customer's preferred time is allowed with a reason, and the reason kept
    outside_preferred_time: Mapped[bool] = mapped_column(Boolean, default=False)
    override_reason: Mapped[str | None] = mapped_column(String(200))

    call: Mapped[FollowUpCall] = relationship(back_populates="attempt_rows")
    agent: Mapped[User | None] = relationship()


class QuestionStatus(Labelled):
    OPEN = "open"  # with the supervisor
    ANSWERED = "answered"  # the supervisor answered; the customer is still to be told
    TOLD = "told"  # the customer has the answer

    @classmethod
    def _labels(cls):
        return {cls.OPEN: _l("With the supervisor"), cls.ANSWERED: _l("Answer to pass on"),
                cls.TOLD: _l("Customer told")}


class CareQuestion(db.Model):
    """What the agent could not answer on the call: the supervisor answers within two days, and
    the customer gets the answer the same day."""

    __table_args__ = (Index("ix_care_question_store_status_due", "store_id", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_call.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    asked_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(12), default=QuestionStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    told_at: Mapped[datetime | None] = mapped_column(DateTime)
    told_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)  # overdue notice sent (once)

    customer: Mapped[Customer] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])

    @property
    def status_enum(self) -> QuestionStatus:
        return QuestionStatus(self.status)


# ---------------------------------------------------------------- complaints (投诉处理)
class ComplaintStatus(Labelled):
    REGISTERED = "registered"  # who, when, channel, what: next, judge whether justified
    INVESTIGATING = "investigating"  # justified: find the cause and who is responsible
    PROPOSING = "proposing"  # propose solutions
    APPROVING = "approving"  # the manager chooses one
    CARRYING_OUT = "carrying_out"  # do it (and penalise per the rules)
    CONFIRMING = "confirming"  # the customer confirms: signature or recorded confirmation
    CALLING_BACK = "calling_back"  # the call back after the solution
    CLOSED = "closed"
    UNJUSTIFIED = "unjustified"  # judged not justified; the explanation given is recorded

    @classmethod
    def _labels(cls):
        return {cls.REGISTERED: _l("Complaint registered"), cls.INVESTIGATING: _l("Investigating"),
                cls.PROPOSING: _l("Proposing solutions"), cls.APPROVING: _l("Awaiting approval"),
                cls.CARRYING_OUT: _l("Carrying out"), cls.CONFIRMING: _l("Customer to confirm"),
                cls.CALLING_BACK: _l("Call back"), cls.CLOSED: _l("Closed"),
                cls.UNJUSTIFIED: _l("Not justified")}


COMPLAINT_TRANSITIONS = {
    ComplaintStatus.REGISTERED: frozenset({ComplaintStatus.INVESTIGATING, ComplaintStatus.UNJUSTIFIED}),
    ComplaintStatus.INVESTIGATING: frozenset({ComplaintStatus.PROPOSING}),
    ComplaintStatus.PROPOSING: frozenset({ComplaintStatus.APPROVING}),
    ComplaintStatus.APPROVING: frozenset({ComplaintStatus.CARRYING_OUT, ComplaintStatus.PROPOSING}),
    ComplaintStatus.CARRYING_OUT: frozenset({ComplaintStatus.CONFIRMING}),
    ComplaintStatus.CONFIRMING: frozenset({ComplaintStatus.CALLING_BACK, ComplaintStatus.CARRYING_OUT}),
    ComplaintStatus.CALLING_BACK: frozenset({ComplaintStatus.CLOSED, ComplaintStatus.CARRYING_OUT}),
    ComplaintStatus.CLOSED: frozenset(),
    ComplaintStatus.UNJUSTIFIED: frozenset(),
}
COMPLAINT_OPEN = frozenset(s for s in ComplaintStatus
                           if s not in (ComplaintStatus.CLOSED, ComplaintStatus.UNJUSTIFIED))


class ComplaintChannel(Labelled):
    PHONE = "phone"
    WALK_IN = "walk_in"
    FOLLOW_UP = "follow_up"  # a dissatisfied answer on a follow-up call
    MANUFACTURER = "manufacturer"  # the brand's hotline passes it on
    ONLINE = "online"  # WeChat, review sites
    LETTER = "letter"

    @classmethod
    def _labels(cls):
        return {cls.PHONE: _l("Phone"), cls.WALK_IN: _l("In person"), cls.FOLLOW_UP: _l("Follow-up call"),
                cls.MANUFACTURER: _l("Manufacturer hotline"), cls.ONLINE: _l("Online / WeChat"),
                cls.LETTER: _l("Letter")}


class ComplaintCategory(Labelled):
    QUALITY = "quality"  # repair quality
    SERVICE = "service"  # attitude, explanation
    TIME = "time"  # waiting, late delivery
    PRICE = "price"
    PARTS = "parts"  # parts availability or quality
    CLEANLINESS = "cleanliness"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {cls.QUALITY: _l("Repair quality"), cls.SERVICE: _l("Service attitude"),
                cls.TIME: _l("Time / delay"), cls.PRICE: _l("Price paid"), cls.PARTS: _l("Parts"),
                cls.CLEANLINESS: _l("Cleanliness"), cls.OTHER: _l("Other")}


class Department(Labelled):
    """Where the cause lies: quality goes to the workshop, service to the service supervisor."""

    WORKSHOP = "workshop"
    SERVICE = "service"  # reception / service advisors
    PARTS = "parts"
    ACCIDENT = "accident"
    CARE = "care"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {cls.WORKSHOP: _l("Workshop"), cls.SERVICE: _l("Service reception"), cls.PARTS: _l("Parts"),
                cls.ACCIDENT: _l("Accident & insurance"), cls.CARE: _l("Customer care"), cls.OTHER: _l("Other")}


class Complaint(db.Model):
    __table_args__ = (
        UniqueConstraint("store_id", "number"),
        Index("ix_complaint_store_status_due", "store_id", "status", "step_due_at"),
        Index("ix_complaint_store_received", "store_id", "received_at"),
        Index("ix_complaint_customer", "customer_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # the RO's advisor, for statistics
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(DateTime)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ComplaintStatus.REGISTERED)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who must take the next step
    step_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    # judge
    justified: Mapped[bool | None] = mapped_column(Boolean)
    explanation: Mapped[str | None] = mapped_column(Text)  # not justified: what the customer was told
    # investigate
    cause: Mapped[str | None] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(16))
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # approve / carry out
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    carried_out_note: Mapped[str | None] = mapped_column(Text)
    penalty_note: Mapped[str | None] = mapped_column(Text)
    # the customer's confirmation: a signature (photo of the signed pad) or a recorded confirmation
    confirmation_kind: Mapped[str | None] = mapped_column(String(12))  # "signature" or "recorded"
    confirmed_name: Mapped[str | None] = mapped_column(String(64))
    confirmation_ref: Mapped[str | None] = mapped_column(String(200))  # the recording's reference
    signature_photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # call back and close
    call_back_note: Mapped[str | None] = mapped_column(Text)
    customer_satisfied: Mapped[bool | None] = mapped_column(Boolean)
    improvement: Mapped[str | None] = mapped_column(Text)  # what the store changes, for the analysis
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    customer: Mapped[Customer] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    repair_order: Mapped[RepairOrder | None] = relationship()
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    signature: Mapped[Photo | None] = relationship(foreign_keys=[signature_photo_id])
    solutions: Mapped[list[ComplaintSolution]] = relationship(back_populates="complaint",
                                                              order_by="ComplaintSolution.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> ComplaintStatus:
        return ComplaintStatus(self.status)


class ComplaintSolution(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)

    complaint: Mapped[Complaint] = relationship(back_populates="solutions")
    proposed_by: Mapped[User | None] = relationship()


class ComplaintReminder(db.Model):
    """A late step reminded: level 0 to its handler, 1 to the supervisor/director, 2 to management.
    The step and its due time are part of the key, so each late step is reminded once per level."""

    __table_args__ = (UniqueConstraint("complaint_id", "status", "level", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaint.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


# ---------------------------------------------------------------- reminders and messages
class ReminderKind(Labelled):
    MAINTENANCE = "maintenance"
    INSPECTION = "inspection"  # annual inspection (年审)
    INSURANCE = "insurance"  # insurance renewal
    BIRTHDAY = "birthday"

    @classmethod
    def _labels(cls):
        return {cls.MAINTENANCE: _l("Periodic maintenance"), cls.INSPECTION: _l("Annual inspection"),
                cls.INSURANCE: _l("Insurance renewal"), cls.BIRTHDAY: _l("Birthday")}


class ReminderStatus(Labelled):
    OPEN = "open"
    DONE = "done"  # the agent contacted the customer
    DISMISSED = "dismissed"  # not needed (sold the car, already done elsewhere…)

    @classmethod
    def _labels(cls):
        return {cls.OPEN: _l("To do"), cls.DONE: _l("Reminder done"), cls.DISMISSED: _l("Dismissed")}


class CareReminder(db.Model):
    """One reminder per customer, vehicle and occasion — `occasion` names it (e.g. the insurance
    expiry date and the days-before step, "2026-12-20/30"), so reruns of the job add nothing."""

    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", "kind", "occasion"),
        Index("ix_care_reminder_agent_status_due", "agent_id", "status", "due_on"),
        Index("ix_care_reminder_store_status_due", "store_id", "status", "due_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    kind: Mapped[str] = mapped_column(String(16))
    occasion: Mapped[str] = mapped_column(String(32))
    occasion_on: Mapped[date] = mapped_column(Date)  # the date reminded of (expiry, birthday, due date)
    due_on: Mapped[date] = mapped_column(Date)  # the day the agent should act
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(12), default=ReminderStatus.OPEN)
    outcome: Mapped[str | None] = mapped_column(String(400))
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    customer: Mapped[Customer] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship()
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id])

    @property
    def kind_enum(self) -> ReminderKind:
        return ReminderKind(self.kind)


class MessageStatus(Labelled):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"

    @classmethod
    def _labels(cls):
        return {cls.QUEUED: _l("Queued"), cls.SENT: _l("Sent"), cls.FAILED: _l("Sending failed")}


class OutgoingMessage(db.Model):
    """The outgoing-message box: every SMS / WeChat message to a customer, queued here and handed
    to the gateway. One message per reminder or invitation and channel."""

    __table_args__ = (
        UniqueConstraint("reminder_id", "channel"),
        UniqueConstraint("invitation_id", "channel"),
        Index("ix_outgoing_message_store_status", "store_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    channel: Mapped[str] = mapped_column(String(12), default="sms")  # "sms" or "wechat"
    to: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("care_reminder.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("event_invitation.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.QUEUED)
    gateway_ref: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(400))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    customer: Mapped[Customer] = relationship()


# ---------------------------------------------------------------- lapsed customers
class LostCause(Labelled):
    """The documents' seven reasons a customer is lost."""

    TRUST = "trust"
    QUALITY = "quality"
    NEGLECT = "neglect"  # small customers neglected
    NATURAL = "natural"  # moved away, sold the car
    COMPETITOR = "competitor"
    MARKET = "market"
    STAFF_LEFT = "staff_left"  # followed an employee who left

    @classmethod
    def _labels(cls):
        return {cls.TRUST: _l("Lost trust"), cls.QUALITY: _l("Repair quality"),
                cls.NEGLECT: _l("Felt neglected"), cls.NATURAL: _l("Natural (moved, sold the car)"),
                cls.COMPETITOR: _l("Went to a competitor"), cls.MARKET: _l("Market (price, insurance)"),
                cls.STAFF_LEFT: _l("Followed staff who left")}


class WinBackStatus(Labelled):
    TO_CALL = "to_call"
    NOT_REACHED = "not_reached"
    REACHED = "reached"
    WON_BACK = "won_back"  # came back (a visit after the call)

    @classmethod
    def _labels(cls):
        return {cls.TO_CALL: _l("To call"), cls.NOT_REACHED: _l("Not reached"), cls.REACHED: _l("Reached"),
                cls.WON_BACK: _l("Came back")}


class WinBackCall(db.Model):
    """A lapsed customer on a month's win-back list, one row per customer and list."""

    __table_args__ = (
        UniqueConstraint("store_id", "customer_id", "list_month"),
        Index("ix_win_back_call_store_month_status", "store_id", "list_month", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    list_month: Mapped[date] = mapped_column(Date)  # first day of the month the list was made
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(12), default=WinBackStatus.TO_CALL)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    called_at: Mapped[datetime | None] = mapped_column(DateTime)
    lost_cause: Mapped[str | None] = mapped_column(String(16))
    will_return: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    agent: Mapped[User | None] = relationship()


# ---------------------------------------------------------------- store events
class StoreEvent(db.Model):
    """A club or store event (free check day, driving course…) customers are invited to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int | None] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    # the new-event form's one-time token: the same form sent twice makes one event
    origin_token: Mapped[str | None] = mapped_column(String(36), unique=True)

    invitations: Mapped[list[EventInvitation]] = relationship(back_populates="event",
                                                              order_by="EventInvitation.id")


class InvitationReply(Labelled):
    NONE = "none"
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"

    @classmethod
    def _labels(cls):
        return {cls.NONE: _l("No reply yet"), cls.YES: _l("Coming"), cls.NO: _l("Not coming"),
                cls.MAYBE: _l("Maybe")}


class EventInvitation(db.Model):
    __table_args__ = (UniqueConstraint("event_id", "customer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("store_event.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    reply: Mapped[str] = mapped_column(String(8), default=InvitationReply.NONE)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime)
    guests: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(String(200))

    event: Mapped[StoreEvent] = relationship(back_populates="invitations")
    customer: Mapped[Customer] = relationship()


# ---------------------------------------------------------------- CSI
class CsiScore(db.Model):
    """The manufacturer's survey score of one repair order (percent), imported from its CSV."""

    __table_args__ = (
        UniqueConstraint("store_id", "ro_number"),
        Index("ix_csi_score_store_surveyed", "store_id", "surveyed_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    ro_number: Mapped[str] = mapped_column(String(32))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id"), index=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    surveyed_on: Mapped[date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    comment: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    repair_order: Mapped[RepairOrder] = relationship()
    advisor: Mapped[User | None] = relationship(foreign_keys=[advisor_id])
