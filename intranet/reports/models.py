"""Management's numbers: the store's target for each KPI, who receives which digest, and every
digest built — kept with its HTML, text and chart images, so a store without SMTP still reads them."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Labelled, User
from intranet.extensions import db


class KpiTarget(db.Model):
    """A store's own target for one KPI (`reports.kpis.KPIS` key); absent: the documents' default."""

    __audit__ = _l("KPI target")  # every change is written to the audit log (core/audit.py)

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class DigestKind(Labelled):
    DAILY = "daily"  # before the morning meeting: yesterday
    WEEKLY = "weekly"  # Monday: last week, the weekly meeting pack
    MONTHLY = "monthly"  # the 1st: last month's analysis

    @classmethod
    def _labels(cls):
        return {cls.DAILY: _l("Daily digest"), cls.WEEKLY: _l("Weekly digest"), cls.MONTHLY: _l("Monthly digest")}


class DigestStatus(Labelled):
    QUEUED = "queued"  # built, waiting to be sent (or to be retried: see next_attempt_at, last_error)
    SENT = "sent"
    NO_RECIPIENTS = "no_recipients"  # nobody to send it to: kept to read in the intranet

    @classmethod
    def _labels(cls):
        return {cls.QUEUED: _l("Waiting to send"), cls.SENT: _l("Sent by email"),
                cls.NO_RECIPIENTS: _l("Kept (no recipients)")}


class DigestRecipient(db.Model):
    __table_args__ = (UniqueConstraint("store_id", "kind", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    email: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)

    user: Mapped[User | None] = relationship()


class Digest(db.Model):
    """One digest per store, kind and period (a unique key: a rerun of the job builds nothing new)."""

    __table_args__ = (
        UniqueConstraint("store_id", "kind", "period_start"),
        Index("ix_digest_status_next", "status", "next_attempt_at"),
        Index("ix_digest_store_created", "store_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    kind: Mapped[str] = mapped_column(String(12))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DigestStatus.QUEUED)
    recipients: Mapped[str | None] = mapped_column(Text)  # the addresses it went (or goes) to, comma separated
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(400))  # why the last send failed, for the admin
    # While one sender talks to the mail server: until when the digest is theirs (a lease, committed
    # before the mail goes; no lock is held meanwhile, so a hanging server holds up nobody's writes).
    sending_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    images: Mapped[list[DigestImage]] = relationship(back_populates="digest", order_by="DigestImage.id",
                                                     cascade="all, delete-orphan")

    @property
    def kind_enum(self) -> DigestKind:
        return DigestKind(self.kind)

    @property
    def status_enum(self) -> DigestStatus:
        return DigestStatus(self.status)


class DigestImage(db.Model):
    """A chart of a digest as a PNG, sent inline (Content-ID `cid`) and shown in the intranet."""

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digest.id", ondelete="CASCADE"), index=True)
    cid: Mapped[str] = mapped_column(String(64))
    png: Mapped[bytes] = mapped_column(LargeBinary)

    digest: Mapped[Digest] = relationship(back_populates="images")


class KpiDay(db.Model):
    """A store day whose KPI terms are summarised in `KpiDayTerm` (reports/kpis/summary.py). Built by
    the "reports-kpi-summary" job for days before today; deleted, with its terms, in the same
    transaction as any change that touches the day's figures, so a day read from here is never stale."""

    __tablename__ = "kpi_day"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


class KpiDayTerm(db.Model):
    """One term of one KPI on one store day: numerator and denominator in millionths (whole numbers
    add up exactly on every database), for the store (`by` "") or one member of a breakdown."""

    __tablename__ = "kpi_day_term"
    # the primary key serves a span's sums (by day); this one a series of a few figures
    __table_args__ = (Index("ix_kpi_day_term_series", "store_id", "kpi_key", "by", "member", "day"),)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    by: Mapped[str] = mapped_column(String(12), primary_key=True)
    member: Mapped[str] = mapped_column(String(20), primary_key=True)
    num: Mapped[int] = mapped_column(BigInteger)
    den: Mapped[int | None] = mapped_column(BigInteger)


class KpiMonth(db.Model):
    """A store month whose summarised days are also summed per month in `KpiMonthTerm`, so a year
    reads twelve months' terms, not 365 days'. Deleted with any of its days."""

    __tablename__ = "kpi_month"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    built_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)


class KpiMonthTerm(db.Model):
    """The sum of a month's `KpiDayTerm` rows, per KPI, breakdown and member (millionths)."""

    __tablename__ = "kpi_month_term"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kpi_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    by: Mapped[str] = mapped_column(String(12), primary_key=True)
    member: Mapped[str] = mapped_column(String(20), primary_key=True)
    num: Mapped[int] = mapped_column(BigInteger)
    den: Mapped[int | None] = mapped_column(BigInteger)
