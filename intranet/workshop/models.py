"""The workshop: teams, technicians and bays; jobs dispatched from repair orders and the time
clocked on them; parts requests; the final inspection; time control; the end-of-day list."""
from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, Time, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import TEAM_LABELS, TEAM_SEQUENCE, RepairOrder, ROStatus, Team, User  # noqa: F401
from intranet.extensions import db


class Technician(db.Model):
    """A user who works in the workshop: their team, skills and shift."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    team: Mapped[str] = mapped_column(String(16), default=Team.MECHANICAL)
    skills: Mapped[str | None] = mapped_column(String(200))  # "保养, 电气, 空调"
    lead: Mapped[bool] = mapped_column(Boolean, default=False)  # team lead (班组长)
    shift_starts: Mapped[time] = mapped_column(Time, default=time(8, 0))
    shift_ends: Mapped[time] = mapped_column(Time, default=time(17, 30))

    # not an inner join: technicians() outer-joins this table to every user with the role
    user: Mapped[User] = relationship(lazy="joined")

    @property
    def team_enum(self) -> Team:
        return Team(self.team)


class Bay(db.Model):
    """A working place: a lift, a body bench, a paint booth."""

    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    team: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class JobStatus(enum.StrEnum):
    WAITING = "waiting"  # to be dispatched
    ASSIGNED = "assigned"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return JOB_STATUS_LABELS[self]


JOB_STATUS_LABELS = {
    JobStatus.WAITING: _l("To dispatch"),
    JobStatus.ASSIGNED: _l("Assigned"),
    JobStatus.RUNNING: _l("Working"),
    JobStatus.PAUSED: _l("Paused"),
    JobStatus.DONE: _l("Done"),
    JobStatus.CANCELLED: _l("Cancelled"),
}

# The one table of legal job moves. ASSIGNED → ASSIGNED is a reassignment.
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.WAITING: frozenset({JobStatus.ASSIGNED, JobStatus.CANCELLED}),
    JobStatus.ASSIGNED: frozenset({JobStatus.ASSIGNED, JobStatus.WAITING, JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.PAUSED, JobStatus.DONE}),
    JobStatus.PAUSED: frozenset({JobStatus.RUNNING, JobStatus.ASSIGNED}),
    JobStatus.DONE: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}
OPEN_JOB = frozenset({JobStatus.WAITING, JobStatus.ASSIGNED, JobStatus.RUNNING, JobStatus.PAUSED})


class PauseReason(enum.StrEnum):
    WAITING_PARTS = "waiting_parts"
    WAITING_APPROVAL = "waiting_approval"
    BREAK = "break"
    OTHER_JOB = "other_job"
    END_OF_DAY = "end_of_day"

    @property
    def label(self):
        return PAUSE_REASON_LABELS[self]


PAUSE_REASON_LABELS = {
    PauseReason.WAITING_PARTS: _l("Waiting for parts"),
    PauseReason.WAITING_APPROVAL: _l("Waiting for approval"),
    PauseReason.BREAK: _l("Break"),
    PauseReason.OTHER_JOB: _l("Moved to another job"),
    PauseReason.END_OF_DAY: _l("End of shift"),
}


class Job(db.Model):
    """One dispatched unit of work: a repair order's labour for one team, done by a technician
    (or a whole team), clocked while it runs."""

    __table_args__ = (Index("ix_job_store_status", "store_id", "status"),
                      Index("ix_job_store_created", "store_id", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    team: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    sold_hours: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    sequence: Mapped[int] = mapped_column(Integer, default=3)  # lower goes first on the same car
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.WAITING)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    bay_id: Mapped[int | None] = mapped_column(ForeignKey("bay.id"))
    team_job: Mapped[bool] = mapped_column(Boolean, default=False)  # several technicians clock on it at once
    # A rework (返修) after a failed final inspection: the job it redoes and why.
    rework_of_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"), index=True)
    rework_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    paused_reason: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)

    repair_order: Mapped[RepairOrder] = relationship()
    technician: Mapped[User | None] = relationship()
    bay: Mapped[Bay | None] = relationship()
    rework_of: Mapped[Job | None] = relationship(remote_side="Job.id")
    events: Mapped[list[JobEvent]] = relationship(back_populates="job", order_by="JobEvent.id",
                                                  cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_enum(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def team_enum(self) -> Team:
        return Team(self.team)


class JobEvent(db.Model):
    """Every move of a job (who, when, from, to, to whom, why). `token` is the tablet's one-time
    action id: a tap resent after a lost answer finds its event and is not applied twice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    reason: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(String(36), unique=True)

    job: Mapped[Job] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    technician: Mapped[User | None] = relationship(foreign_keys=[technician_id])


def span_hours(started: datetime, ended: datetime | None, now: datetime) -> float:
    """Hours of a clock span; one still running counts up to `now`."""
    return ((ended or now) - started).total_seconds() / 3600


class ClockSpan(db.Model):
    """A stretch of time a technician worked on a job. At most one open span per technician: the
    database refuses a second one even when two taps race."""

    __table_args__ = (
        Index("uq_clock_span_running", "technician_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_clock_span_started", "technician_id", "started_at"),
        Index("ix_clock_span_store_started", "store_id", "started_at"),  # technician figures by period
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))  # a pause reason, or "done"


class PartsRequestStatus(enum.StrEnum):
    REQUESTED = "requested"
    SHORTAGE = "shortage"  # not in stock: on the pending parts list until it arrives
    ISSUED = "issued"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {PartsRequestStatus.REQUESTED: _l("Requested"), PartsRequestStatus.SHORTAGE: _l("Waiting for stock"),
                PartsRequestStatus.ISSUED: _l("Issued"), PartsRequestStatus.CANCELLED: _l("Cancelled")}[self]


OPEN_PARTS_REQUEST = (PartsRequestStatus.REQUESTED, PartsRequestStatus.SHORTAGE)


class PartsRequest(db.Model):
    """A technician asks the parts counter for a part, always against the repair order (领料)."""

    __table_args__ = (Index("ix_parts_request_store_status", "store_id", "status"),
                      Index("ix_parts_request_store_requested", "store_id", "requested_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"), index=True)
    part_number: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("1"))
    status: Mapped[str] = mapped_column(String(16), default=PartsRequestStatus.REQUESTED)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    token: Mapped[str | None] = mapped_column(String(36), unique=True)
    # the counter's side: the catalogue part chosen, who pays, the warranty clerk's sign-off for a
    # warranty issue, what was issued and whether it came off the shelf at once (the fill rate)
    part_id: Mapped[int | None] = mapped_column(ForeignKey("part.id"), index=True)
    pay_type: Mapped[str] = mapped_column(String(16), default="customer", server_default="customer")
    warranty_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    warranty_signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    old_part: Mapped[str | None] = mapped_column(String(16))
    from_stock: Mapped[bool | None] = mapped_column(Boolean)

    repair_order: Mapped[RepairOrder] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])

    @property
    def status_enum(self) -> PartsRequestStatus:
        return PartsRequestStatus(self.status)


class Stage(enum.StrEnum):
    """The stages time control watches, each read from the repair order's status."""

    WAITING_DISPATCH = "waiting_dispatch"
    IN_REPAIR = "in_repair"
    WAITING_APPROVAL = "waiting_approval"
    WAITING_PARTS = "waiting_parts"
    QUALITY_CHECK = "quality_check"
    WASHING = "washing"

    @property
    def label(self):
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.WAITING_DISPATCH: _l("Waiting for dispatch"),
    Stage.IN_REPAIR: _l("In repair"),
    Stage.WAITING_APPROVAL: _l("Waiting for the customer"),
    Stage.WAITING_PARTS: _l("Waiting for parts"),
    Stage.QUALITY_CHECK: _l("Final inspection"),
    Stage.WASHING: _l("Washing"),
}
STAGE_OF_STATUS = {
    ROStatus.CHECKED_IN: Stage.WAITING_DISPATCH,
    ROStatus.IN_WORKSHOP: Stage.IN_REPAIR,
    ROStatus.WAITING_APPROVAL: Stage.WAITING_APPROVAL,
    ROStatus.WAITING_PARTS: Stage.WAITING_PARTS,
    ROStatus.QUALITY_CHECK: Stage.QUALITY_CHECK,
    ROStatus.WASHING: Stage.WASHING,
}
# Defaults a store starts with (minutes); "in repair" also gets the car's sold labour hours.
DEFAULT_STAGE_MINUTES = {
    Stage.WAITING_DISPATCH: 30, Stage.IN_REPAIR: 30, Stage.WAITING_APPROVAL: 60, Stage.WAITING_PARTS: 120,
    Stage.QUALITY_CHECK: 30, Stage.WASHING: 30,
}


class StageStandard(db.Model):
    __audit__ = _l("Standard time of a stage")  # every change is written to the audit log (core/audit.py)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)


class StageFlag(db.Model):
    """Time control's record: a car past its stage's standard (level 0: the person responsible is
    told), still stuck later (1: the workshop controller), and later still (2: the director).
    One row per car, stage visit and level — a rerun of the job finds it and sends nothing twice."""

    __table_args__ = (
        UniqueConstraint("repair_order_id", "stage", "stage_since", "level"),
        Index("ix_stage_flag_store_open", "store_id", "resolved_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"))
    stage: Mapped[str] = mapped_column(String(20))  # a Stage, or "promise" for a promise at risk
    stage_since: Mapped[datetime] = mapped_column(DateTime)
    level: Mapped[int] = mapped_column(Integer, default=0)
    minutes_over: Mapped[int] = mapped_column(Integer, default=0)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    notified: Mapped[str | None] = mapped_column(String(400))  # names of the people told
    flagged_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    repair_order: Mapped[RepairOrder] = relationship()
    responsible: Mapped[User | None] = relationship()


class QCItem(db.Model):
    """One point of the final inspection checklist, for every car (no team) or for one team's work."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Inspection(db.Model):
    """A final inspection (总检) of a repair order: passed, or failed with the reason and reworks."""

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow, index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    token: Mapped[str | None] = mapped_column(String(36), unique=True)

    inspector: Mapped[User | None] = relationship()
    answers: Mapped[list[InspectionAnswer]] = relationship(cascade="all, delete-orphan",
                                                           order_by="InspectionAnswer.id")


class InspectionAnswer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))  # the item as it read that day
    ok: Mapped[bool] = mapped_column(Boolean)


class InspectionRework(db.Model):
    """Which job a failed inspection sent back, so reworks count against the right technician."""

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)


class EndOfDayNote(db.Model):
    """An unfinished car at closing: how far it is, when it will be done, overtime planned."""

    __table_args__ = (UniqueConstraint("repair_order_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date, index=True)
    progress: Mapped[str | None] = mapped_column(Text)
    expected_finish_at: Mapped[datetime | None] = mapped_column(DateTime)
    overtime_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1), default=Decimal("0"))
    overtime_technician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    overtime_technician: Mapped[User | None] = relationship(foreign_keys=[overtime_technician_id])
