"""The store's settings for customer care, one row per store made on first use."""
from __future__ import annotations

from intranet.care.models import CareSettings
from intranet.extensions import db


def settings_for(store_id: int) -> CareSettings:
    row = db.session.get(CareSettings, store_id)
    if row is None:
        row = CareSettings(store_id=store_id)
        db.session.add(row)
        db.session.flush()
    return row


def days_list(value: str | None) -> list[int]:
    """"30,15,7" → [30, 15, 7] (largest first); anything that is not a whole number is ignored."""
    days = {int(part) for part in (value or "").replace("，", ",").split(",") if part.strip().isdigit()}
    return sorted(days, reverse=True)
