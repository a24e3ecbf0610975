"""Each store's KPI targets: its own, else the documents' default; CSI's is customer care's setting."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select, union_all

from intranet.care.models import CareSettings
from intranet.care.settings import settings_for
from intranet.core.billing import decimal_from
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reports.kpis.definitions import CENT, KPIS, kpi
from intranet.reports.models import KpiTarget

# ------------------------------------------------------------------ targets

def _care_csi_target(store_id: int) -> Decimal:
    """CSI's target is customer care's setting (the CSI pages show it): one value, not two."""
    return Decimal(settings_for(store_id).csi_target)


def targets(store_id: int) -> dict[str, Decimal | None]:
    """Every KPI's target: the store's own, else the documents' default; CSI's is customer care's
    setting. One query."""
    own = dict(db.session.execute(union_all(
        select(KpiTarget.kpi_key, KpiTarget.target).where(KpiTarget.store_id == store_id,
                                                          KpiTarget.kpi_key != "csi"),
        select(literal("csi"), CareSettings.csi_target).where(CareSettings.store_id == store_id))).all())
    return {key: (Decimal(own[key]) if key in own else k.default_target) for key, k in KPIS.items()}


def target_for(store_id: int, key: str) -> Decimal | None:
    if kpi(key).key == "csi":
        return _care_csi_target(store_id)
    found = db.session.get(KpiTarget, (store_id, key))
    return Decimal(found.target) if found is not None else KPIS[key].default_target


def set_target(store_id: int, key: str, value: Decimal | None) -> None:
    """The store's own target for `key`; None goes back to the default. Flushes."""
    kpi(key)
    if key == "csi":
        settings_for(store_id).csi_target = (KPIS["csi"].default_target if value is None or
                                             (isinstance(value, str) and not value.strip())
                                             else _checked_target(value))
        db.session.flush()
        return
    found = db.session.get(KpiTarget, (store_id, key))
    if value is None or (isinstance(value, str) and not value.strip()):
        if found is not None:
            db.session.delete(found)
        db.session.flush()
        return
    number = _checked_target(value)
    if found is None:
        db.session.add(KpiTarget(store_id=store_id, kpi_key=key, target=number))
    else:
        found.target = number
    db.session.flush()


def _checked_target(value) -> Decimal:
    number = decimal_from(value, "target")
    if number < 0:
        raise DomainError(_l("A target cannot be negative."), field="target")
    if number >= Decimal(10000000000):
        raise DomainError(_l("That target is too large."), field="target")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)
