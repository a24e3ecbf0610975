"""Template filters: times in the store's zone, amounts, quantities, and the translated label of a
stored enum value. Every label filter is added one way, `add_label_filters(app, {name: Enum})`:
the kernel's enums here, each area's in its own `init_app`."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from flask import Flask
from flask_babel import format_decimal
from flask_babel import gettext as _

from intranet import clock
from intranet.core.models import ContactTime, PayType, ROStatus, Team
from intranet.web.context import current_store

DEFAULT_TZ = "Asia/Shanghai"


def minutes_text(value) -> str:
    """A stretch of time the way a wall board says it: 45 min, 2 h 05."""
    value = int(value or 0)
    if value < 60:
        return _("%(minutes)s min", minutes=value)
    return _("%(hours)s h %(minutes)02d", hours=value // 60, minutes=value % 60)


def _store_tz() -> str:
    store = current_store()
    return store.timezone if store else DEFAULT_TZ


def localtime(value, fmt: str = "%H:%M"):
    local = clock.to_store_time(value, _store_tz())
    return local.strftime(fmt) if local else "—"


def when(value):
    """A time near today said the way people say it: 14:30, tomorrow 10:00, 11-25 09:00."""
    tz = _store_tz()
    local = clock.to_store_time(value, tz)
    if local is None:
        return "—"
    days = (local.date() - clock.store_today(tz)).days
    if days == 0:
        return local.strftime("%H:%M")
    if days == 1:
        return _("tomorrow %(time)s", time=local.strftime("%H:%M"))
    if days == -1:
        return _("yesterday %(time)s", time=local.strftime("%H:%M"))
    return local.strftime("%m-%d %H:%M")


class BoardTexts:
    """The words a live board repeats on every row — times in the store's zone, stretches of time,
    labels — each translation looked up once per render instead of once per row (a board of 120 cars
    spent more on looking up the same few words than on its data). Says exactly what the filters
    `minutes`, `when` and the label filters say."""

    def __init__(self, tz: str):
        self.tz = tz
        self.today = clock.store_today(tz)
        self._minutes, self._hours = _("%(minutes)s min"), _("%(hours)s h %(minutes)02d")
        self._tomorrow, self._yesterday = _("tomorrow %(time)s"), _("yesterday %(time)s")
        self._labels: dict = {}

    def minutes(self, value) -> str:
        value = int(value or 0)
        if value < 60:
            return self._minutes % {"minutes": value}
        return self._hours % {"hours": value // 60, "minutes": value % 60}

    def when(self, value) -> str:
        local = clock.to_store_time(value, self.tz)
        if local is None:
            return "—"
        days = (local.date() - self.today).days
        if days == 0:
            return local.strftime("%H:%M")
        if days == 1:
            return self._tomorrow % {"time": local.strftime("%H:%M")}
        if days == -1:
            return self._yesterday % {"time": local.strftime("%H:%M")}
        return local.strftime("%m-%d %H:%M")

    def label(self, labels, value, empty="—") -> str:
        """`label_of(labels, value)` as text, remembered for the render."""
        key = (labels, value)
        if key not in self._labels:
            self._labels[key] = str(label_of(labels, value, empty))
        return self._labels[key]

    def status(self, value) -> str:
        return self.label(ROStatus, value)

    def team(self, value) -> str:
        return self.label(Team, value)


def qty(value):
    return format_decimal(Decimal(value), format="#,##0.##")


def money(value):
    if value is None:
        return "—"
    amount = Decimal(value)
    return ("-¥" if amount < 0 else "¥") + format_decimal(abs(amount), format="#,##0.00")


def label_of(labels, value, empty="—"):
    """The translated label of a stored value: `labels` is an enum whose members have `.label`, a
    mapping of value → label, or a function answering such a mapping (built in the reader's
    language). `empty` when there is no value; an unknown value shows as stored."""
    if not value:
        return empty
    if not isinstance(labels, type) and callable(labels):
        labels = labels()
    if isinstance(labels, Mapping):
        return labels.get(value, value)
    try:
        return labels(value).label
    except ValueError:
        return value


def add_label_filters(app: Flask, labels: dict, *, empty="—") -> None:
    """`{{ value|<name> }}` for each `name: labels` (see `label_of`)."""
    for name, source in labels.items():
        app.add_template_filter(lambda value, source=source: label_of(source, value, empty), name)


def init_app(app: Flask) -> None:
    for name, function in (("localtime", localtime), ("when", when), ("minutes", minutes_text), ("qty", qty),
                           ("money", money)):
        app.add_template_filter(function, name)
    add_label_filters(app, {"pay_type_label": PayType, "ro_status_label": ROStatus, "contact_time": ContactTime,
                            "team_label": Team})
