"""Store settings, and the parts manager among the staff."""
from __future__ import annotations

from datetime import time
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from intranet.core.models import Role, User
from intranet.core.services import get_store
from intranet.errors import DomainError
from intranet.extensions import db


def update_store_settings(store_id: int, *, name: str, code: str, timezone: str, opens_at: time, closes_at: time,
                          key_collection_at: time, tax_rate: Decimal, labour_rate: Decimal, address: str | None,
                          phone: str | None, default_locale: str, slot_minutes: int | None = None,
                          advisor_slot_capacity: int | None = None, workshop_hours_per_day: Decimal | None = None):
    store = get_store(store_id)
    code = (code or "").strip().upper()
    if not code.isalnum() or len(code) > 8:
        raise DomainError(_l("The store code is up to 8 letters and digits, e.g. SH01."), field="code")
    if opens_at >= closes_at:
        raise DomainError(_l("Opening time must be before closing time."), field="closes_at")
    if not (Decimal(0) <= tax_rate <= Decimal("0.3")):
        raise DomainError(_l("The VAT rate must be between 0 and 30%."), field="tax_rate_percent")
    store.name, store.code, store.timezone = name.strip(), code, timezone
    store.opens_at, store.closes_at, store.key_collection_at = opens_at, closes_at, key_collection_at
    store.tax_rate, store.labour_rate = tax_rate, labour_rate
    store.address, store.phone, store.default_locale = address or None, phone or None, default_locale
    if slot_minutes:
        store.slot_minutes = slot_minutes
    if advisor_slot_capacity:
        store.advisor_slot_capacity = advisor_slot_capacity
    if workshop_hours_per_day:
        store.workshop_hours_per_day = workshop_hours_per_day
    db.session.flush()
    return store


def set_parts_manager(user: User, flag: bool) -> None:
    """The parts manager approves the parts store's orders and counts: a flag on someone holding the
    parts role (call after the roles are set)."""
    if flag and not user.has_role(Role.PARTS):
        raise DomainError(_l("The parts manager must also hold the Parts role."), field="parts_manager")
    user.parts_manager = bool(flag)
    db.session.flush()
