"""The key board's hooks, for the areas above it (see `intranet.core.hooks` for how hooks work).

- `report_delay` (store_id): how many minutes after key collection the keys still out are reported
  to the director — the director's settings answer; with no answer, `DEFAULT_REPORT_MINUTES`.
"""
from __future__ import annotations

from intranet.core.hooks import Hook

DEFAULT_REPORT_MINUTES = 30

report_delay = Hook("report_delay")


def report_minutes(store_id: int) -> int:
    answers = [minutes for minutes in report_delay.send(store_id=store_id) if minutes is not None]
    return answers[0] if answers else DEFAULT_REPORT_MINUTES
