"""The reception's blueprints, shared by the screens' modules, and what they all need."""
from __future__ import annotations

from flask import Blueprint, abort
from sqlalchemy.orm import joinedload, selectinload

from intranet.auth.access import guard
from intranet.core.models import RepairOrder, RepairOrderEvent, Role
from intranet.extensions import db
from intranet.web import current_store

bp = guard(Blueprint("reception", __name__, url_prefix="/reception"), Role.ADVISOR, Role.DIRECTOR)
# Anyone on the floor may report extra work found on a car; the advisor answers it (above).
findings_bp = guard(Blueprint("findings", __name__, url_prefix="/findings"), Role.TECHNICIAN, Role.CONTROLLER,
                    Role.INSPECTOR, Role.ADVISOR, Role.DIRECTOR)


def _load(ro_id: int) -> RepairOrder:
    ro = db.session.get(RepairOrder, ro_id, options=[
        joinedload(RepairOrder.vehicle), joinedload(RepairOrder.customer), joinedload(RepairOrder.advisor),
        selectinload(RepairOrder.lines), selectinload(RepairOrder.events).joinedload(RepairOrderEvent.actor)])
    if ro is None or ro.store_id != current_store().id:
        abort(404)
    return ro
