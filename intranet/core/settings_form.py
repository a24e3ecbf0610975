"""A store's own numbers, edited on a settings screen: each one described once (`Setting`: name,
label, kind, bounds, hint, group), read as typed and checked within its bounds, all saved or none
(`SettingsRefused` names every field refused, what was typed stays), and the last changes read back
from the audit log. Customer care's and the director's settings screens are this one mechanism; an
area adds its own kinds of value (a colleague, a list of days) and its rules between fields.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.core.audit import AuditEvent, AuditKind
from intranet.errors import DomainError
from intranet.extensions import db


@dataclass(frozen=True)
class Setting:
    name: str
    label: object
    kind: str  # "int" (a whole number), "percent" (one decimal); an area may add its own kinds
    low: int | None = None
    high: int | None = None
    hint: object = None
    group: str = ""


class SettingsRefused(DomainError):
    """One or more values refused; `errors` maps each field to its message."""

    def __init__(self, errors: dict):
        super().__init__(_l("Some values were refused; nothing was saved. See the fields marked."))
        self.errors = errors


def shown(value) -> str:
    """A stored value as the form shows it (12.5, not 12.500)."""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def shown_values(settings: Iterable[Setting], row) -> dict[str, str]:
    return {s.name: shown(getattr(row, s.name)) for s in settings}


def parse_number(setting: Setting, text: str):
    """A whole number or a percentage within the setting's bounds, or DomainError saying which."""
    text = (text or "").strip()
    if setting.kind == "percent":
        try:
            value = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            value = None
        low, high = setting.low if setting.low is not None else 0, setting.high if setting.high is not None else 100
        if value is None or not value.is_finite() or not low <= value <= high:
            raise DomainError(_l("A percentage from %(low)s to %(high)s.", low=low, high=high))
        return value.quantize(Decimal("0.1"))
    if not text.isdigit() or len(text) > 9 or not setting.low <= int(text) <= setting.high:
        raise DomainError(_l("A whole number from %(low)s to %(high)s.", low=setting.low, high=setting.high))
    return int(text)


def parse_all(settings: Iterable[Setting], values: dict,
              parse: Callable[[Setting, str], object] = parse_number) -> tuple[dict, dict]:
    """(parsed values, errors by field) for the settings present in `values`."""
    parsed, errors = {}, {}
    for setting in settings:
        if setting.name not in values:
            continue
        try:
            parsed[setting.name] = parse(setting, values[setting.name])
        except DomainError as refused:
            errors[setting.name] = refused.message
    return parsed, errors


def save_all(row, parsed: dict, errors: dict):
    """All or none: refuse with every error, else set every parsed value. Flushes."""
    if errors:
        raise SettingsRefused(errors)
    for name, value in parsed.items():
        setattr(row, name, value)
    db.session.flush()
    return row


@dataclass
class SettingsChange:
    event: AuditEvent
    fields: list[tuple[object, str, str]] = field(default_factory=list)  # label, old, new


def recent_changes(store_id: int, model, settings: Iterable[Setting], limit: int = 10) -> list[SettingsChange]:
    """The last changes of a store's settings row of `model` (from the audit log): when, who, each
    field from → to, by the setting's label. One query."""
    by_name = {s.name: s for s in settings}
    events = db.session.scalars(
        select(AuditEvent).options(joinedload(AuditEvent.actor))
        .where(AuditEvent.store_id == store_id, AuditEvent.kind == str(AuditKind.SETTINGS_CHANGED),
               AuditEvent.subject == model.__tablename__)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    changes = []
    for event in events:
        try:
            details = json.loads(event.details_json or "{}")
        except ValueError:
            details = {}
        fields = [(by_name[name].label, _old_new(values, 0), _old_new(values, 1)) for name, values in details.items()
                  if name in by_name and isinstance(values, list) and len(values) == 2]
        if fields:
            changes.append(SettingsChange(event=event, fields=fields))
    return changes


def _old_new(values: list, at: int) -> str:
    value = values[at]
    if value is None:
        return "—"
    try:
        return shown(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
