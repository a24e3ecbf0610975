"""The store's inspection areas (each with the person who looks after it) and the checklists:
a checklist is saved as a new version, so rounds already walked keep the items they were walked
with."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet.core.models import User
from intranet.core.services import get_owned
from intranet.director.models import InspectionArea, InspectionTemplate, ItemKind, TemplateItem, TemplateVersion
from intranet.errors import DomainError
from intranet.extensions import db

MAX_WEIGHT = 10


def areas(store_id: int, *, active_only: bool = True) -> list[InspectionArea]:
    stmt = select(InspectionArea).options(joinedload(InspectionArea.owner)).where(InspectionArea.store_id == store_id)
    if active_only:
        stmt = stmt.where(InspectionArea.active.is_(True))
    return list(db.session.scalars(stmt.order_by(InspectionArea.position, InspectionArea.id)))


def save_area(store_id: int, *, area_id: int | None, name: str, owner_id: int | None, position: int | None = None,
              active: bool = True) -> InspectionArea:
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the area."), field="name")
    clash = db.session.scalar(select(InspectionArea).where(InspectionArea.store_id == store_id,
                                                           InspectionArea.name == name))
    area = get_owned(InspectionArea, area_id, store_id, _l("No such area.")) if area_id else None
    if clash is not None and clash is not area:
        raise DomainError(_l("There is already an area called “%(name)s”.", name=name), field="name")
    if owner_id:
        owner = db.session.get(User, int(owner_id))
        if owner is None or owner.store_id != store_id:
            raise DomainError(_l("Choose who looks after the area."), field="owner_id")
    if area is None:
        last = db.session.scalar(select(func.max(InspectionArea.position)).where(InspectionArea.store_id == store_id))
        area = InspectionArea(store_id=store_id, position=(last or 0) + 1)
        db.session.add(area)
    area.name, area.owner_id, area.active = name[:64], int(owner_id) if owner_id else None, active
    if position is not None:
        area.position = position
    db.session.flush()
    return area


def templates(store_id: int) -> list[InspectionTemplate]:
    return list(db.session.scalars(select(InspectionTemplate).where(InspectionTemplate.store_id == store_id)
                                   .order_by(InspectionTemplate.id)))


def current_version(template_id: int) -> TemplateVersion | None:
    return db.session.scalar(select(TemplateVersion).options(selectinload(TemplateVersion.items))
                             .where(TemplateVersion.template_id == template_id)
                             .order_by(TemplateVersion.number.desc()).limit(1))


@dataclass
class ItemDraft:
    """One row of the template editor, as typed."""

    area_id: object
    text: str
    kind: str = ItemKind.PASS_FAIL
    weight: object = 1
    photo_on_fail: bool = False
    min_value: object = None
    max_value: object = None
    unit: str | None = None


def _decimal_or_none(value, field_name: str, row: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise DomainError(_l("Row %(row)d: the limit must be a number.", row=row), field=field_name)
    return number


def save_template(store_id: int, *, template_id: int | None, name: str, items: list[ItemDraft], actor_id: int,
                  note: str | None = None) -> TemplateVersion:
    """Write the template as a new version (rounds already walked keep theirs). Saving the same
    items again writes nothing."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the checklist."), field="name")
    if not items:
        raise DomainError(_l("A checklist needs at least one item."), field="items")
    known_areas = {a.id: a for a in areas(store_id, active_only=False)}
    rows = []
    for n, draft in enumerate(items, start=1):
        text = (draft.text or "").strip()
        if not text:
            raise DomainError(_l("Row %(row)d: say what to check.", row=n), field="items")
        try:
            area = known_areas[int(draft.area_id)]
        except (KeyError, TypeError, ValueError):
            raise DomainError(_l("Row %(row)d: choose the area.", row=n), field="items") from None
        try:
            kind = ItemKind(draft.kind)
        except ValueError:
            raise DomainError(_l("Row %(row)d: choose the kind of answer.", row=n), field="items") from None
        try:
            weight = int(draft.weight)
        except (TypeError, ValueError):
            weight = 0
        if not 1 <= weight <= MAX_WEIGHT:
            raise DomainError(_l("Row %(row)d: the weight is a whole number from 1 to %(most)d.", row=n,
                                 most=MAX_WEIGHT), field="items")
        low = _decimal_or_none(draft.min_value, "items", n) if kind == ItemKind.NUMBER else None
        high = _decimal_or_none(draft.max_value, "items", n) if kind == ItemKind.NUMBER else None
        if low is not None and high is not None and low > high:
            raise DomainError(_l("Row %(row)d: the lowest value is above the highest.", row=n), field="items")
        rows.append(dict(area_id=area.id, area_name=area.name, position=n, text=text[:200], kind=str(kind),
                         weight=weight, photo_on_fail=bool(draft.photo_on_fail) and kind != ItemKind.TEXT,
                         min_value=low, max_value=high,
                         unit=(draft.unit or "").strip()[:16] or None if kind == ItemKind.NUMBER else None))
    template = get_owned(InspectionTemplate, template_id, store_id, _l("No such checklist.")) if template_id else None
    clash = db.session.scalar(select(InspectionTemplate).where(InspectionTemplate.store_id == store_id,
                                                               InspectionTemplate.name == name))
    if clash is not None and clash is not template:
        raise DomainError(_l("There is already a checklist called “%(name)s”.", name=name), field="name")
    if template is None:
        template = InspectionTemplate(store_id=store_id, name=name)
        db.session.add(template)
        db.session.flush()
    template.name = name[:80]
    latest = current_version(template.id)
    if latest is not None and [_comparable(i) for i in latest.items] == [_comparable(r) for r in rows]:
        return latest
    version = TemplateVersion(template_id=template.id, number=(latest.number + 1) if latest else 1,
                              created_by_id=actor_id, note=(note or "").strip()[:200] or None)
    version.items = [TemplateItem(**row) for row in rows]
    db.session.add(version)
    db.session.flush()
    return version


def _comparable(item) -> tuple:
    get = (lambda k: item[k]) if isinstance(item, dict) else (lambda k: getattr(item, k))
    number = lambda v: None if v is None else Decimal(v).normalize()  # noqa: E731
    return (get("area_id"), get("area_name"), get("text"), str(get("kind")), get("weight"), bool(get("photo_on_fail")),
            number(get("min_value")), number(get("max_value")), get("unit"))
