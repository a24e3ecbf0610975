"""The store's settings for the director's area, one row per store made on first use."""
from __future__ import annotations

from intranet.director.models import DirectorSettings
from intranet.extensions import db


def settings_for(store_id: int) -> DirectorSettings:
    row = db.session.get(DirectorSettings, store_id)
    if row is None:
        row = DirectorSettings(store_id=store_id)
        db.session.add(row)
        db.session.flush()
    return row
