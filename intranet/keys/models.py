"""Car keys: numbered key tags with a QR code, every movement of a key (who had it, where it went,
when), and the overnight key collection — which cars stay, who was reminded, which keys came back
and where each car is parked."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intranet import clock
from intranet.core.models import Labelled, RepairOrder, User
from intranet.extensions import db


class KeyPlace(Labelled):
    """Where a key is: on the key board, or with someone (the advisor at reception, a technician,
    the car wash), or handed back to the customer (the tag is free again)."""

    BOARD = "board"
    RECEPTION = "reception"
    TECHNICIAN = "technician"
    WASH = "wash"
    CUSTOMER = "customer"

    @classmethod
    def _labels(cls):
        return {cls.BOARD: _l("On the key board"), cls.RECEPTION: _l("At reception"),
                cls.TECHNICIAN: _l("With a technician"), cls.WASH: _l("At the car wash"),
                cls.CUSTOMER: _l("Handed to the customer")}

    @property
    def held(self) -> bool:
        """A person has the key in hand (and must bring it back before the night)."""
        return self in (KeyPlace.RECEPTION, KeyPlace.TECHNICIAN, KeyPlace.WASH)


class KeyTag(db.Model):
    """A numbered tag on the key ring. It carries its car while the car is here; where the key is
    now is kept on the tag (the latest movement), so the key board is one query."""

    __table_args__ = (
        UniqueConstraint("store_id", "code"),
        Index("ix_key_tag_store_repair_order", "store_id", "repair_order_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    code: Mapped[str] = mapped_column(String(16))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"))
    place: Mapped[str] = mapped_column(String(16), default=KeyPlace.BOARD)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    since: Mapped[datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    repair_order: Mapped[RepairOrder | None] = relationship()
    holder: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def place_enum(self) -> KeyPlace:
        return KeyPlace(self.place)


class KeyMovement(db.Model):
    __table_args__ = (
        Index("ix_key_movement_tag_at", "tag_id", "at"),
        Index("ix_key_movement_store_at", "store_id", "at"),
        Index("ix_key_movement_repair_order", "repair_order_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("key_tag.id"))
    repair_order_id: Mapped[int | None] = mapped_column(ForeignKey("repair_order.id"))
    from_place: Mapped[str | None] = mapped_column(String(16))
    to_place: Mapped[str] = mapped_column(String(16))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who has it after the move
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who recorded the move
    at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    note: Mapped[str | None] = mapped_column(String(200))
    # the tablet's one-time token: a move re-sent after a lost answer is recorded once
    token: Mapped[str | None] = mapped_column(String(36), unique=True)

    tag: Mapped[KeyTag] = relationship()
    holder: Mapped[User | None] = relationship(foreign_keys=[holder_id])
    by: Mapped[User | None] = relationship(foreign_keys=[by_id])
    repair_order: Mapped[RepairOrder | None] = relationship()

    @property
    def to_place_enum(self) -> KeyPlace:
        return KeyPlace(self.to_place)


class OvernightCar(db.Model):
    """A car staying the night, as listed at the key-collection time; the closing round confirms its
    key collected and where it is parked."""

    __table_args__ = (UniqueConstraint("store_id", "day", "repair_order_id"),
                      Index("ix_overnight_car_store_day", "store_id", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)
    repair_order_id: Mapped[int] = mapped_column(ForeignKey("repair_order.id"))
    listed_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
    key_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    parking_spot: Mapped[str | None] = mapped_column(String(16))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    repair_order: Mapped[RepairOrder] = relationship()
    confirmed_by: Mapped[User | None] = relationship()


class KeyReminder(db.Model):
    """A message the key-collection job sent: a reminder to a key's holder, or the report of keys
    still out to the director. The unique key is what makes a rerun send nothing twice."""

    __table_args__ = (UniqueConstraint("store_id", "day", "kind", "tag_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16))  # "holder" or "report"
    tag_id: Mapped[int] = mapped_column(ForeignKey("key_tag.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=clock.utcnow)
