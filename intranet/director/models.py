"""The director's floor: inspection templates (versioned) and the day's rounds, answers, findings
turned into corrective actions, the director's work log, insurer contacts, the repair orders'
form quality, and the equipment register with its maintenance cards.

A round keeps the template *version* it was walked with, and each item is a row of that version:
editing a template writes a new version, so a round already done never changes."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import (
    Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, Time, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Labelled, Photo, StatusEvent, User
from intranet.extensions import db


class DirectorSettings(db.Model):
    """The store's own numbers for the director's area (the documents' figures are the defaults)."""

    __audit__ = _l("Director's settings")  # every change is written to the audit log (core/audit.py)

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    # corrective actions: hours to the due time by priority, and the escalation step after it
    due_hours_high: Mapped[int] = mapped_column(Integer, default=4)
    due_hours_normal: Mapped[int] = mapped_column(Integer, default=24)
    due_hours_low: Mapped[int] = mapped_column(Integer, default=72)
    escalation_hours: Mapped[int] = mapped_column(Integer, default=4)
    # keys: the report of keys still out comes this many minutes after the key-collection time
    key_report_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # insurers: contacts a month with each insurer, and with a partner insurer
    insurer_contacts_target: Mapped[int] = mapped_column(Integer, default=4)
    partner_contacts_target: Mapped[int] = mapped_column(Integer, default=8)
    # repair-order forms: fill rate at least, error rate at most (percent)
    form_fill_target: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("100.0"))
    form_error_limit: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("6.0"))
    # equipment cards the closing round spot-checks each day
    spot_checks_per_day: Mapped[int] = mapped_column(Integer, default=2)


class DirectorEvent(StatusEvent, db.Model):
    """Every move of a round or a corrective action: who, when, from, to, and the words with it."""

    __table_args__ = (Index("ix_director_event_subject", "subject", "subject_id", "id"),)


# ---------------------------------------------------------------- templates
class ItemKind(Labelled):
    PASS_FAIL = "pass_fail"
    SCORE = "score"  # 1–5
    NUMBER = "number"  # a reading, passing when inside [min, max] if those are set
    TEXT = "text"  # a remark, not scored

    @classmethod
    def _labels(cls):
        return {cls.PASS_FAIL: _l("Pass / fail"), cls.SCORE: _l("Score 1–5"), cls.NUMBER: _l("Number"),
                cls.TEXT: _l("Text")}


class InspectionArea(db.Model):
    """A place the director walks: front office, driveway, paint booth… Its owner is who gets the
    corrective actions of its findings unless the director names someone else."""

    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    owner: Mapped[User | None] = relationship()


class InspectionTemplate(db.Model):
    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    versions: Mapped[list[TemplateVersion]] = relationship(back_populates="template",
                                                           order_by="TemplateVersion.number")


class TemplateVersion(db.Model):
    """A template as it was between two edits. Rounds point here, never at the template."""

    __table_args__ = (UniqueConstraint("template_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("inspection_template.id"))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(String(200))

    template: Mapped[InspectionTemplate] = relationship(back_populates="versions")
    items: Mapped[list[TemplateItem]] = relationship(back_populates="version", order_by="TemplateItem.position",
                                                     cascade="all, delete-orphan")


class TemplateItem(db.Model):
    __table_args__ = (Index("ix_template_item_version_position", "version_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("template_version.id", ondelete="CASCADE"))
    area_id: Mapped[int] = mapped_column(ForeignKey("inspection_area.id"))
    # the area's name when this version was written: renaming an area leaves old reports as they were
    area_name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=ItemKind.PASS_FAIL)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    photo_on_fail: Mapped[bool] = mapped_column(Boolean, default=False)
    min_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    max_value: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    unit: Mapped[str | None] = mapped_column(String(16))

    version: Mapped[TemplateVersion] = relationship(back_populates="items")

    @property
    def kind_enum(self) -> ItemKind:
        return ItemKind(self.kind)


# ---------------------------------------------------------------- rounds
class RoundSlot(db.Model):
    """One of the day's rounds — morning, workshop, afternoon, closing — with its time window."""

    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    template_id: Mapped[int] = mapped_column(ForeignKey("inspection_template.id"))
    # the closing round also confirms the overnight cars' keys and spot-checks equipment cards
    closing: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    template: Mapped[InspectionTemplate] = relationship()


class RoundStatus(Labelled):
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    DONE = "done"
    MISSED = "missed"  # its window passed before anyone started it

    @classmethod
    def _labels(cls):
        return {cls.IN_PROGRESS: _l("In progress"), cls.PAUSED: _l("Paused"), cls.DONE: lazy_pgettext("round", "Done"),
                cls.MISSED: _l("Missed")}


ROUND_TRANSITIONS: dict[RoundStatus, frozenset[RoundStatus]] = {
    RoundStatus.IN_PROGRESS: frozenset({RoundStatus.PAUSED, RoundStatus.DONE}),
    RoundStatus.PAUSED: frozenset({RoundStatus.IN_PROGRESS}),
    RoundStatus.MISSED: frozenset({RoundStatus.IN_PROGRESS}),  # walked late: it stays flagged as missed
    RoundStatus.DONE: frozenset(),
}


class InspectionRound(db.Model):
    __table_args__ = (
        UniqueConstraint("store_id", "slot_id", "day"),  # one round per slot and day: a second start is refused
        Index("ix_inspection_round_store_day", "store_id", "day"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    slot_id: Mapped[int] = mapped_column(ForeignKey("round_slot.id"))
    day: Mapped[date] = mapped_column(Date)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("template_version.id"))
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.IN_PROGRESS)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)  # not done inside its window
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))  # percent of the weighted items passed
    last_area_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_area.id"))  # where to resume
    version: Mapped[int] = mapped_column(Integer, default=1)

    slot: Mapped[RoundSlot] = relationship()
    template_version: Mapped[TemplateVersion | None] = relationship()
    started_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> RoundStatus:
        return RoundStatus(self.status)


class RoundAnswer(db.Model):
    """One item's answer in one round; saved the moment it is given, changed by answering again."""

    __table_args__ = (UniqueConstraint("round_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("template_item.id"))
    passed: Mapped[bool | None] = mapped_column(Boolean)  # None: a text item, not scored
    score: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(400))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    item: Mapped[TemplateItem] = relationship()
    photos: Mapped[list[Photo]] = relationship(primaryjoin="Photo.round_answer_id == RoundAnswer.id",
                                               foreign_keys="Photo.round_answer_id", order_by="Photo.id", viewonly=True)


class RoundTap(db.Model):
    """A tap the tablet sent from its queue (an answer, a photo, the finish), by the one-time key the
    tablet gave it when it was tapped: a re-send of a tap already applied changes nothing."""

    __table_args__ = (UniqueConstraint("round_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


class EquipmentSpotCheck(db.Model):
    """The closing round's look at an equipment maintenance card: up to date or not."""

    __table_args__ = (UniqueConstraint("round_id", "equipment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    card_ok: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(String(200))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    checked_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    equipment: Mapped[Equipment] = relationship()


# ---------------------------------------------------------------- corrective actions
class ActionPriority(Labelled):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @classmethod
    def _labels(cls):
        return {cls.HIGH: _l("High"), cls.NORMAL: _l("Normal"), cls.LOW: _l("Low")}


class ActionStatus(Labelled):
    OPEN = "open"
    DONE = "done"  # closed by its owner, waiting for the director to verify
    VERIFIED = "verified"
    CANCELLED = "cancelled"  # the finding was answered again as a pass before anyone worked on it

    @classmethod
    def _labels(cls):
        return {cls.OPEN: _l("Action open"), cls.DONE: _l("Done, to verify"), cls.VERIFIED: _l("Verified"),
                cls.CANCELLED: _l("Cancelled")}


ACTION_TRANSITIONS: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.OPEN: frozenset({ActionStatus.DONE, ActionStatus.CANCELLED}),
    ActionStatus.DONE: frozenset({ActionStatus.VERIFIED, ActionStatus.OPEN}),  # verify, or reopen
    ActionStatus.VERIFIED: frozenset(),
    ActionStatus.CANCELLED: frozenset({ActionStatus.OPEN}),  # the item failed again after a pass
}
OPEN_ACTIONS = (ActionStatus.OPEN, ActionStatus.DONE)


class CorrectiveAction(db.Model):
    __table_args__ = (
        Index("ix_corrective_action_store_status_due", "store_id", "status", "due_at"),
        Index("ix_corrective_action_owner_status", "owner_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id"), index=True)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("round_answer.id", ondelete="SET NULL"),
                                                  unique=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_area.id"))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_at: Mapped[datetime] = mapped_column(DateTime)
    priority: Mapped[str] = mapped_column(String(8), default=ActionPriority.NORMAL)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    closed_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    area: Mapped[InspectionArea | None] = relationship()
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    photos: Mapped[list[Photo]] = relationship(primaryjoin="Photo.action_id == CorrectiveAction.id",
                                               foreign_keys="Photo.action_id", order_by="Photo.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> ActionStatus:
        return ActionStatus(self.status)

    @property
    def priority_enum(self) -> ActionPriority:
        return ActionPriority(self.priority)


class ActionReminder(db.Model):
    """A reminder sent about an overdue action: level 0 to its owner, 1 to the director, 2 to
    management. The due time is part of the key, so a reopened action is reminded again."""

    __table_args__ = (UniqueConstraint("action_id", "level", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


# ---------------------------------------------------------------- the director's day
class WorkLog(db.Model):
    """The director's own words for a day: notes, and the problems to raise at tomorrow's huddle."""

    __table_args__ = (UniqueConstraint("store_id", "day", "author_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    author: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}


# ---------------------------------------------------------------- insurers
class ContactChannel(Labelled):
    VISIT = "visit"  # we went to them
    RECEIVED = "received"  # their staff or assessor came to the store
    PHONE = "phone"
    MEETING = "meeting"
    MESSAGE = "message"

    @classmethod
    def _labels(cls):
        return {cls.VISIT: _l("Visit to the insurer"), cls.RECEIVED: _l("Received at the store"),
                cls.PHONE: _l("Phone call"), cls.MEETING: _l("Meeting"), cls.MESSAGE: _l("Message / WeChat")}


class Insurer(db.Model):
    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(64))
    partner: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_person: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InsurerContact(db.Model):
    __table_args__ = (Index("ix_insurer_contact_store_at", "store_id", "at"),
                      Index("ix_insurer_contact_insurer_at", "insurer_id", "at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    insurer_id: Mapped[int] = mapped_column(ForeignKey("insurer.id"))
    at: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(16), default=ContactChannel.VISIT)
    their_person: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    insurer: Mapped[Insurer] = relationship()
    by: Mapped[User] = relationship()


# ---------------------------------------------------------------- form quality
class FormQualityDay(db.Model):
    """The nightly check of one day's repair orders: how many were complete, how many had errors."""

    __table_args__ = (UniqueConstraint("store_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[int] = mapped_column(Integer, default=0)
    with_errors: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


# ---------------------------------------------------------------- equipment
class EquipmentKind(Labelled):
    LIFT = "lift"
    COMPRESSOR = "compressor"
    PAINT_BOOTH = "paint_booth"
    ALIGNMENT = "alignment"
    DIAGNOSTIC = "diagnostic"
    WELDING = "welding"
    WASH = "wash"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {cls.LIFT: _l("Lift"), cls.COMPRESSOR: _l("Compressor"), cls.PAINT_BOOTH: _l("Paint booth"),
                cls.ALIGNMENT: _l("Wheel alignment"), cls.DIAGNOSTIC: _l("Diagnostic tester"),
                cls.WELDING: _l("Welding"), cls.WASH: _l("Car wash"), cls.OTHER: _l("Other")}


class Equipment(db.Model):
    __table_args__ = (UniqueConstraint("store_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=EquipmentKind.OTHER)
    location: Mapped[str | None] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(64))
    hours_reading: Mapped[int | None] = mapped_column(Integer)  # running hours, for checks due by hours
    hours_read_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    tasks: Mapped[list[MaintenanceTask]] = relationship(back_populates="equipment", order_by="MaintenanceTask.id")


class MaintenanceTask(db.Model):
    """A line of the maintenance card: a check due every so many days and/or running hours."""

    id: Mapped[int] = mapped_column(primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    every_days: Mapped[int | None] = mapped_column(Integer)
    every_hours: Mapped[int | None] = mapped_column(Integer)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    last_done_hours: Mapped[int | None] = mapped_column(Integer)

    equipment: Mapped[Equipment] = relationship(back_populates="tasks")


class MaintenanceRecord(db.Model):
    __table_args__ = (Index("ix_maintenance_record_equipment_done", "equipment_id", "done_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"))
    task_id: Mapped[int] = mapped_column(ForeignKey("maintenance_task.id"), index=True)
    done_on: Mapped[date] = mapped_column(Date)
    hours_reading: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    task: Mapped[MaintenanceTask] = relationship()
    done_by: Mapped[User | None] = relationship()
