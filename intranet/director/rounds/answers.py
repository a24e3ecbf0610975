"""Answering a round's items, each answer saved the moment it is given: a failed item becomes a
corrective action owned by its area's owner, and photos can follow the tap."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.core.photos import save_photo
from intranet.director import actions
from intranet.director.models import (
    ActionPriority, ActionStatus, CorrectiveAction, InspectionArea, InspectionRound, ItemKind, RoundAnswer, RoundStatus,
    TemplateItem,
)
from intranet.director.rounds.walk import _move, get_round
from intranet.errors import DomainError
from intranet.extensions import db

def _parse_answer(item: TemplateItem, value: str | None) -> dict:
    value = (value or "").strip()
    kind = item.kind_enum
    if kind == ItemKind.PASS_FAIL:
        if value not in ("pass", "fail"):
            raise DomainError(_l("Tap pass or fail."), field="value")
        return {"passed": value == "pass"}
    if kind == ItemKind.SCORE:
        if value not in {"1", "2", "3", "4", "5"}:
            raise DomainError(_l("Give a score from 1 to 5."), field="value")
        # a 1 or 2 is a finding, like a fail
        return {"score": int(value), "passed": int(value) >= 3}
    if kind == ItemKind.NUMBER:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) >= Decimal("1e8"):
            raise DomainError(_l("Enter the reading as a number."), field="value")
        number = number.quantize(Decimal("0.01"))
        low, high = item.min_value, item.max_value
        return {"number": number, "passed": (low is None or number >= low) and (high is None or number <= high)}
    if not value:
        raise DomainError(_l("Write the remark."), field="value")
    return {"text": value[:2000], "passed": None}


def answer_item(store_id: int, round_id: int, item_id: int, *, value: str | None, actor_id: int,
                note: str | None = None, photos=(), folder=None, at: datetime | None = None) -> RoundAnswer:
    """Save one answer now (answering again replaces it). A failed item becomes a corrective action
    owned by its area's owner; answered again as a pass, its untouched action is cancelled. Photos
    are checked to be images before anything is saved. `at`: when it was tapped (a tap sent from
    the tablet's offline queue arrives later)."""
    round_ = get_round(store_id, round_id)
    if round_.status_enum == RoundStatus.DONE:
        raise DomainError(_l("This round is finished: its answers can no longer change."))
    item = db.session.get(TemplateItem, item_id)
    if item is None or item.version_id != round_.version_id:
        raise DomainError(_l("This item is not on this round's checklist."))
    parsed = _parse_answer(item, value)
    uploads = [p for p in photos if p and getattr(p, "filename", "")]
    if round_.status_enum in (RoundStatus.PAUSED, RoundStatus.MISSED):
        _move(round_, RoundStatus.IN_PROGRESS, actor_id)
    answer = db.session.scalar(select(RoundAnswer).where(RoundAnswer.round_id == round_.id,
                                                         RoundAnswer.item_id == item.id))
    if answer is None:
        answer = RoundAnswer(round_id=round_.id, item_id=item.id)
        db.session.add(answer)
    answer.passed, answer.score = parsed.get("passed"), parsed.get("score")
    answer.number, answer.text = parsed.get("number"), parsed.get("text")
    if note is not None:
        answer.note = note.strip()[:400] or None
    answer.answered_by_id, answer.answered_at = actor_id, at or clock.utcnow()
    round_.last_area_id = item.area_id
    db.session.flush()
    for upload in uploads:
        save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, field="photos",
                   round_answer_id=answer.id)
    if answer.passed is False:
        _finding_action(round_, item, answer, actor_id)
    else:
        actions.cancel_for_answer(answer.id, actor_id=actor_id)
    db.session.flush()
    db.session.expire(answer, ["photos"])
    return answer


def _finding_action(round_: InspectionRound, item: TemplateItem, answer: RoundAnswer, actor_id: int) -> None:
    existing = db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.answer_id == answer.id))
    if existing is not None:
        if existing.status_enum == ActionStatus.CANCELLED:  # failed again after a pass: back to work
            actions.restore(existing, actor_id=actor_id)
        if answer.note:
            existing.detail = answer.note
        return
    area = db.session.get(InspectionArea, item.area_id)
    owner_id = (area.owner_id if area and area.owner_id else None) or actor_id
    priority = ActionPriority.HIGH if item.weight >= 3 else ActionPriority.NORMAL
    actions.open_action(round_.store_id, title=f"{item.area_name}：{item.text}", owner_id=owner_id,
                        actor_id=actor_id, priority=priority, area_id=item.area_id, round_id=round_.id,
                        answer_id=answer.id, detail=answer.note)


def add_photo(store_id: int, round_id: int, item_id: int, *, upload, actor_id: int, folder) -> RoundAnswer:
    """A photo for an answer already given (the camera came after the tap)."""
    round_ = get_round(store_id, round_id)
    if round_.status_enum == RoundStatus.DONE:
        raise DomainError(_l("This round is finished: its answers can no longer change."))
    answer = db.session.scalar(select(RoundAnswer).where(RoundAnswer.round_id == round_.id,
                                                         RoundAnswer.item_id == item_id))
    if answer is None:
        raise DomainError(_l("Answer the item first, then add its photo."), field="photos")
    save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, field="photos",
               round_answer_id=answer.id)
    db.session.flush()
    db.session.expire(answer, ["photos"])
    return answer
