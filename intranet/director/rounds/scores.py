"""A round's sheet: its items by area with their answers and corrective actions, and the weighted
scores (0–100) of each area and of the whole round."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.director.models import CorrectiveAction, InspectionRound, ItemKind, RoundAnswer, TemplateItem
from intranet.extensions import db

@dataclass
class AreaSheet:
    area_id: int
    name: str
    items: list[TemplateItem] = field(default_factory=list)
    answered: int = 0
    failed: int = 0
    score: float | None = None


@dataclass
class RoundSheet:
    round: InspectionRound
    areas: list[AreaSheet]
    answers: dict[int, RoundAnswer]  # by item id
    actions: dict[int, CorrectiveAction]  # by answer id
    score: float | None

    @property
    def total(self) -> int:
        return sum(len(a.items) for a in self.areas)

    @property
    def answered(self) -> int:
        return sum(a.answered for a in self.areas)

    def area(self, area_id: int | None) -> AreaSheet:
        return next((a for a in self.areas if a.area_id == area_id), self.areas[0])

    def missing_photos(self) -> list[TemplateItem]:
        return [item for a in self.areas for item in a.items
                if item.photo_on_fail and (ans := self.answers.get(item.id)) is not None and ans.passed is False
                and not ans.photos]


def sheet(round_: InspectionRound) -> RoundSheet:
    """The round with its items by area, its answers and their actions: four queries."""
    items = list(db.session.scalars(select(TemplateItem).where(TemplateItem.version_id == round_.version_id)
                                    .order_by(TemplateItem.position))) if round_.version_id else []
    answers = {a.item_id: a for a in db.session.scalars(
        select(RoundAnswer).options(selectinload(RoundAnswer.photos)).where(RoundAnswer.round_id == round_.id))}
    acts = {a.answer_id: a for a in db.session.scalars(
        select(CorrectiveAction).options(joinedload(CorrectiveAction.owner))
        .where(CorrectiveAction.round_id == round_.id, CorrectiveAction.answer_id.is_not(None)))}
    by_area: dict[int, AreaSheet] = {}
    for item in items:
        by_area.setdefault(item.area_id, AreaSheet(area_id=item.area_id, name=item.area_name)).items.append(item)
    for area in by_area.values():
        given = [answers[i.id] for i in area.items if i.id in answers]
        area.answered = len(given)
        area.failed = sum(1 for a in given if a.passed is False)
        area.score = _score([(i, answers.get(i.id)) for i in area.items])
    return RoundSheet(round=round_, areas=list(by_area.values()), answers=answers, actions=acts,
                      score=_score([(i, answers.get(i.id)) for i in items]))


def _fraction(item: TemplateItem, answer: RoundAnswer | None) -> float | None:
    """How well an item did, 0…1; None when it does not count (unanswered, or a text remark)."""
    if answer is None or item.kind == ItemKind.TEXT:
        return None
    if item.kind == ItemKind.SCORE:
        return None if answer.score is None else (answer.score - 1) / 4
    return None if answer.passed is None else float(answer.passed)


def _score(pairs) -> float | None:
    weighted = [(item.weight, f) for item, answer in pairs if (f := _fraction(item, answer)) is not None]
    total = sum(w for w, _f in weighted)
    return round(100 * sum(w * f for w, f in weighted) / total, 1) if total else None
