from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from intranet.extensions import db


class BoardVersion(db.Model):
    """A counter per live board and store, bumped in the same transaction as the change it
    announces, so a poll compares one integer (its ETag) instead of re-rendering the board."""

    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    board: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
