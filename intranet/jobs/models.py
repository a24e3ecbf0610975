from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intranet import clock
from intranet.extensions import db


class JobHeartbeat(db.Model):
    """One run of the heartbeat job: when the scheduler enqueued it and when a worker ran it.
    Their ages tell /healthz whether the scheduler and the workers are alive."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime)
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow, index=True)
    worker: Mapped[str | None] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16), default="scheduler")  # scheduler | manual


class PendingEnqueue(db.Model):
    """A job that could not be handed to Redis (Redis down). Kept here and enqueued again later,
    never dropped."""

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64))
    kwargs_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
