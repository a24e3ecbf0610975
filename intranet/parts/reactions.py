"""How the parts store reacts to reception (`intranet.core.hooks`, `intranet.reception.hooks`): an
estimated part line holds its part, a removed one lets it go, a booking's pre-pick lines hold their
parts, a booked car's pre-picked parts follow it onto its repair order, a dropped booking gives them
back, and the booking form's catalogue search is answered from the catalogue."""
from __future__ import annotations

from intranet.core import hooks
from intranet.core.models import LineKind, RepairOrderLine
from intranet.parts import services
from intranet.parts.services import reservations
from intranet.reception import hooks as reception_hooks


def line_added(*, line: RepairOrderLine, store_id: int, actor_id: int | None) -> None:
    if line.kind != LineKind.LABOUR and line.code:
        services.reserve_estimate_line(line, store_id, actor_id)


def line_removed(*, line: RepairOrderLine) -> None:
    services.release_estimate_line(line)


def appointment_booked(*, appointment_id: int, actor_id: int | None) -> None:
    reservations.hold_pre_pick(appointment_id, actor_id)


def appointment_arrived(*, appointment_id: int, repair_order_id: int) -> None:
    services.carry_pre_pick(appointment_id, repair_order_id)


def appointment_dropped(*, appointment_id: int) -> None:
    services.drop_pre_pick(appointment_id)


def pre_pick_catalogue(*, store_id: int, text: str, limit: int):
    return reservations.catalogue_for_booking(store_id=store_id, text=text, limit=limit)


def connect() -> None:
    hooks.line_added.connect(line_added)
    hooks.line_removed.connect(line_removed)
    reception_hooks.appointment_booked.connect(appointment_booked)
    reception_hooks.appointment_arrived.connect(appointment_arrived)
    reception_hooks.appointment_dropped.connect(appointment_dropped)
    reception_hooks.pre_pick_catalogue.connect(pre_pick_catalogue)
