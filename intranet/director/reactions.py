"""What the director's area answers to the areas below it: the key board asks how long after key
collection the keys still out are reported (`intranet.keys.hooks.report_delay`)."""
from __future__ import annotations

from intranet.director.settings import settings_for
from intranet.keys import hooks as key_hooks


def report_delay(*, store_id: int) -> int:
    return settings_for(store_id).key_report_minutes


def connect() -> None:
    key_hooks.report_delay.connect(report_delay)
