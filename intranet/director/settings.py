"""The store's settings for the director's area, one row per store made on first use, and the screen's
rules for changing them: every number within its bounds, the due times in the order of their
priorities; all saved or none. Who changed what and when is kept by the audit log (the model is
marked `__audit__`) and shown under the form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from intranet.core import settings_form
from intranet.core.settings_form import Setting, SettingsRefused  # noqa: F401 - the views' names
from intranet.director.models import DirectorSettings
from intranet.extensions import db


def settings_for(store_id: int) -> DirectorSettings:
    row = db.session.get(DirectorSettings, store_id)
    if row is None:
        row = DirectorSettings(store_id=store_id)
        db.session.add(row)
        db.session.flush()
    return row


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


def shown_values(row: DirectorSettings) -> dict[str, str]:
    return settings_form.shown_values(SETTINGS, row)


def save_director_settings(store_id: int, values: dict) -> DirectorSettings:
    """Check every value and save them all, or refuse them all (SettingsRefused names each field
    refused). A value missing from `values` is left as it is. Flushes; the caller commits."""
    row = settings_for(store_id)
    parsed, errors = settings_form.parse_all(SETTINGS, values)
    hours = {name: parsed.get(name, getattr(row, name)) for name in ("due_hours_high", "due_hours_normal",
                                                                     "due_hours_low")}
    if not errors.keys() & hours.keys():
        if hours["due_hours_high"] > hours["due_hours_normal"]:
            errors["due_hours_high"] = _l("A high-priority action is due sooner than a normal one (at most %(n)s h).",
                                          n=hours["due_hours_normal"])
        if hours["due_hours_normal"] > hours["due_hours_low"]:
            errors["due_hours_low"] = _l("A low-priority action is due later than a normal one (at least %(n)s h).",
                                         n=hours["due_hours_normal"])
    return settings_form.save_all(row, parsed, errors)


def recent_changes(store_id: int, limit: int = 10) -> list[settings_form.SettingsChange]:
    """The last changes of the store's director settings (from the audit log). One query."""
    return settings_form.recent_changes(store_id, DirectorSettings, SETTINGS, limit)
