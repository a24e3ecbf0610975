"""What a round's report (the page and the PDF) shows besides the checklist: for the closing round,
the overnight cars with their keys and parking spots, and the equipment cards spot-checked on that
round; for every round, the photos of its findings as files the PDF can draw."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.core.models import Store
from intranet.director.models import Equipment, EquipmentSpotCheck, InspectionRound
from intranet.extensions import db
from intranet.keys.services import OvernightRow, overnight_cars


@dataclass
class ClosingPart:
    """The closing round's own steps, as the report shows them."""

    overnight: list[OvernightRow] = field(default_factory=list)
    spot_checks: list[EquipmentSpotCheck] = field(default_factory=list)


def closing_part(store: Store, round_: InspectionRound) -> ClosingPart | None:
    """None for a round that is not the closing one; otherwise the night's cars (that day's list: the
    cars the key collection listed, with the round's confirmation) and the cards checked on this
    round. Four queries whatever the number of cars and cards."""
    if not round_.slot.closing:
        return None
    checks = list(db.session.scalars(
        select(EquipmentSpotCheck).options(joinedload(EquipmentSpotCheck.equipment))
        .join(Equipment, Equipment.id == EquipmentSpotCheck.equipment_id)
        .where(EquipmentSpotCheck.store_id == store.id, EquipmentSpotCheck.round_id == round_.id)
        .order_by(Equipment.name, Equipment.id)))
    return ClosingPart(overnight=overnight_cars(store, round_.day), spot_checks=checks)


def photo_files(sheet, folder: str | Path) -> dict[int, list[Path]]:
    """The photos of each answer (by answer id) as files under the photo folder; a file gone from
    the disk is left out rather than breaking the report."""
    root = Path(folder)
    found: dict[int, list[Path]] = {}
    for answer in sheet.answers.values():
        files = [root / photo.path for photo in answer.photos if (root / photo.path).is_file()]
        if files:
            found[answer.id] = files
    return found
