"""Scores over time: the rounds of a period, each area's weekly score, the day's findings and
their photos."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet.core.models import Photo
from intranet.director.models import InspectionRound, ItemKind, RoundAnswer, RoundStatus, TemplateItem
from intranet.director.rounds.checklists import areas
from intranet.extensions import db

def rounds_between(store_id: int, first: date, last: date) -> list[InspectionRound]:
    return list(db.session.scalars(
        select(InspectionRound).options(joinedload(InspectionRound.slot), joinedload(InspectionRound.started_by))
        .where(InspectionRound.store_id == store_id, InspectionRound.day.between(first, last))
        .order_by(InspectionRound.day.desc(), InspectionRound.id.desc())))


@dataclass
class AreaTrend:
    area_id: int
    name: str
    weeks: dict[date, float | None]  # Monday of the week → score
    failed: int

    @property
    def latest(self) -> float | None:
        scored = [s for s in self.weeks.values() if s is not None]
        return scored[-1] if scored else None


def area_trend(store_id: int, today: date, weeks: int = 8) -> tuple[list[date], list[AreaTrend]]:
    """Each area's weighted score per week over the last `weeks` weeks of finished rounds."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    rows = db.session.execute(
        select(InspectionRound.day, TemplateItem.area_id, TemplateItem.area_name, TemplateItem.kind,
               TemplateItem.weight, RoundAnswer.passed, RoundAnswer.score)
        .join(RoundAnswer, RoundAnswer.round_id == InspectionRound.id)
        .join(TemplateItem, TemplateItem.id == RoundAnswer.item_id)
        .where(InspectionRound.store_id == store_id, InspectionRound.status == RoundStatus.DONE,
               InspectionRound.day >= starts[0], InspectionRound.day <= today)).all()
    sums: dict[tuple[int, date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    names: dict[int, str] = {}
    failed: dict[int, int] = defaultdict(int)
    for day, area_id, area_name, kind, weight, passed, score in rows:
        names.setdefault(area_id, area_name)
        if kind == ItemKind.TEXT:
            continue
        fraction = ((score - 1) / 4 if score is not None else None) if kind == ItemKind.SCORE else (
            None if passed is None else float(passed))
        if fraction is None:
            continue
        week = day - timedelta(days=day.weekday())
        sums[(area_id, week)][0] += weight * fraction
        sums[(area_id, week)][1] += weight
        failed[area_id] += passed is False
    order = {a.id: (a.position, a.id) for a in areas(store_id, active_only=False)}
    trends = [AreaTrend(area_id=area_id, name=name,
                        weeks={w: (round(100 * s[0] / s[1], 1) if (s := sums.get((area_id, w))) and s[1] else None)
                               for w in starts},
                        failed=failed[area_id])
              for area_id, name in sorted(names.items(), key=lambda kv: order.get(kv[0], (999, kv[0])))]
    return starts, trends


def findings_between(store_id: int, start: datetime, end: datetime) -> list[tuple[RoundAnswer, TemplateItem]]:
    """Failed items answered in [start, end), newest first — the day's findings."""
    return list(db.session.execute(
        select(RoundAnswer, TemplateItem).join(TemplateItem, TemplateItem.id == RoundAnswer.item_id)
        .join(InspectionRound, InspectionRound.id == RoundAnswer.round_id)
        .where(InspectionRound.store_id == store_id, RoundAnswer.passed.is_(False),
               RoundAnswer.answered_at >= start, RoundAnswer.answered_at < end)
        .order_by(RoundAnswer.answered_at.desc())).all())


def answer_photos(answer_ids: list[int]) -> dict[int, list[Photo]]:
    found: dict[int, list[Photo]] = defaultdict(list)
    if answer_ids:
        for photo in db.session.scalars(select(Photo).where(Photo.round_answer_id.in_(answer_ids)).order_by(Photo.id)):
            found[photo.round_answer_id].append(photo)
    return found
