"""The store's settings for the director's area, one row per store made on first use, and the screen's
rules for changing them: every number within its bounds, the due times in the order of their
priorities; all saved or none. Who changed what and when is kept by the audit log (the model is
marked `__audit__`) and shown under the form."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.core.audit import AuditEvent, AuditKind
from intranet.director.models import DirectorSettings
from intranet.errors import DomainError
from intranet.extensions import db


def settings_for(store_id: int) -> DirectorSettings:
    row = db.session.get(DirectorSettings, store_id)
    if row is None:
        row = DirectorSettings(store_id=store_id)
        db.session.add(row)
        db.session.flush()
    return row


@dataclass(frozen=True)
class Setting:
    name: str
    label: object
    kind: str  # "int" (a whole number), "percent" (0–100, one decimal)
    low: int
    high: int
    hint: object = None
    group: str = ""


GROUPS = (
    ("actions", _l("Corrective actions")),
    ("keys", _l("Overnight keys")),
    ("insurers", _l("Insurers")),
    ("forms", _l("Repair order forms")),
    ("equipment", _l("Equipment")),
)
SETTINGS = (
    Setting("due_hours_high", _l("High priority: due within (hours)"), "int", 1, 720,
            _l("counted from the finding"), "actions"),
    Setting("due_hours_normal", _l("Normal priority: due within (hours)"), "int", 1, 720, None, "actions"),
    Setting("due_hours_low", _l("Low priority: due within (hours)"), "int", 1, 720, None, "actions"),
    Setting("escalation_hours", _l("Overdue actions go higher after (hours)"), "int", 1, 168,
            _l("to the director this long after the due time, to management after twice as long"), "actions"),
    Setting("key_report_minutes", _l("Keys still out are reported after (minutes)"), "int", 0, 240,
            _l("counted from the key-collection time; 0 = at once"), "keys"),
    Setting("insurer_contacts_target", _l("Contacts a month with each insurer"), "int", 0, 60, None, "insurers"),
    Setting("partner_contacts_target", _l("Contacts a month with a partner insurer"), "int", 0, 60, None,
            "insurers"),
    Setting("form_fill_target", _l("Forms complete: target (%)"), "percent", 0, 100, None, "forms"),
    Setting("form_error_limit", _l("Forms with errors: at most (%)"), "percent", 0, 100, None, "forms"),
    Setting("spot_checks_per_day", _l("Maintenance cards the closing round spot-checks"), "int", 0, 20,
            _l("each day, least recently checked first"), "equipment"),
)
BY_NAME = {s.name: s for s in SETTINGS}


class SettingsRefused(DomainError):
    """One or more values refused; `errors` maps each field to its message."""

    def __init__(self, errors: dict):
        super().__init__(_l("Some values were refused; nothing was saved. See the fields marked."))
        self.errors = errors


def shown_values(row: DirectorSettings) -> dict[str, str]:
    return {s.name: _shown(getattr(row, s.name)) for s in SETTINGS}


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def _parse(setting: Setting, text: str):
    text = (text or "").strip()
    if setting.kind == "percent":
        try:
            value = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not setting.low <= value <= setting.high:
            raise DomainError(_l("A percentage from %(low)s to %(high)s.", low=setting.low, high=setting.high))
        return value.quantize(Decimal("0.1"))
    if not text.isdigit() or len(text) > 6 or not setting.low <= int(text) <= setting.high:
        raise DomainError(_l("A whole number from %(low)s to %(high)s.", low=setting.low, high=setting.high))
    return int(text)


def save_director_settings(store_id: int, values: dict) -> DirectorSettings:
    """Check every value and save them all, or refuse them all (SettingsRefused names each field
    refused). A value missing from `values` is left as it is. Flushes; the caller commits."""
    row = settings_for(store_id)
    parsed, errors = {}, {}
    for setting in SETTINGS:
        if setting.name not in values:
            continue
        try:
            parsed[setting.name] = _parse(setting, values[setting.name])
        except DomainError as refused:
            errors[setting.name] = refused.message
    hours = {name: parsed.get(name, getattr(row, name)) for name in ("due_hours_high", "due_hours_normal",
                                                                     "due_hours_low")}
    if not errors.keys() & hours.keys():
        if hours["due_hours_high"] > hours["due_hours_normal"]:
            errors["due_hours_high"] = _l("A high-priority action is due sooner than a normal one (at most %(n)s h).",
                                          n=hours["due_hours_normal"])
        if hours["due_hours_normal"] > hours["due_hours_low"]:
            errors["due_hours_low"] = _l("A low-priority action is due later than a normal one (at least %(n)s h).",
                                         n=hours["due_hours_normal"])
    if errors:
        raise SettingsRefused(errors)
    for name, value in parsed.items():
        setattr(row, name, value)
    db.session.flush()
    return row


@dataclass
class SettingsChange:
    event: AuditEvent
    fields: list[tuple[object, str, str]]  # label, old, new


def recent_changes(store_id: int, limit: int = 10) -> list[SettingsChange]:
    """The last changes of the store's director settings (from the audit log): when, who, each field
    from → to. One query."""
    events = db.session.scalars(
        select(AuditEvent).options(joinedload(AuditEvent.actor))
        .where(AuditEvent.store_id == store_id, AuditEvent.kind == str(AuditKind.SETTINGS_CHANGED),
               AuditEvent.subject == DirectorSettings.__tablename__)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    changes = []
    for event in events:
        try:
            details = json.loads(event.details_json or "{}")
        except ValueError:
            details = {}
        fields = [(BY_NAME[name].label, _old_new(values, 0), _old_new(values, 1)) for name, values in details.items()
                  if name in BY_NAME and isinstance(values, list) and len(values) == 2]
        if fields:
            changes.append(SettingsChange(event=event, fields=fields))
    return changes


def _old_new(values: list, at: int) -> str:
    value = values[at]
    if value is None:
        return "—"
    try:
        return _shown(Decimal(str(value)))
    except InvalidOperation:
        return str(value)
