"""The workshop settings: the final inspection's checklist points and the bays per team."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.workshop.models import Bay, QCItem, Team


def add_qc_item(store_id: int, team: str | None, text: str) -> QCItem:
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Write the checklist point."), field="text")
    if team is not None:
        try:
            team = Team(team)
        except ValueError:
            raise DomainError(_l("Choose a team."), field="team") from None
    position = 1 + (db.session.scalar(select(func.max(QCItem.position)).where(QCItem.store_id == store_id)) or 0)
    item = QCItem(store_id=store_id, team=team, text=text[:200], position=position)
    db.session.add(item)
    db.session.flush()
    return item


def remove_qc_item(store_id: int, item_id: int) -> None:
    """Inspections already done keep the point's text; the point just leaves the checklist."""
    get_owned(QCItem, item_id, store_id, _l("No such checklist point.")).active = False
    db.session.flush()


def bays(store_id: int) -> list[Bay]:
    return list(db.session.scalars(select(Bay).where(Bay.store_id == store_id, Bay.active.is_(True))
                                   .order_by(Bay.team, Bay.code)))


def add_bay(store_id: int, team: str, code: str, name: str) -> Bay:
    try:
        team = Team(team)
    except ValueError:
        raise DomainError(_l("Choose a team."), field="team") from None
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code or not name:
        raise DomainError(_l("A bay needs a code and a name."), field="code")
    if db.session.scalar(select(Bay.id).where(Bay.store_id == store_id, Bay.code == code)):
        raise Conflict(_l("Bay %(code)s already exists.", code=code), field="code")
    bay = Bay(store_id=store_id, team=team, code=code[:16], name=name[:64])
    db.session.add(bay)
    db.session.flush()
    return bay
