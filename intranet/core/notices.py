"""Notices: short messages to one person, shown on every page's top bar and on /notices.

Areas register how each kind of notice reads (`register`); the row keeps only the kind and its
values, so a notice reads in whatever language its reader uses."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from sqlalchemy import func, select, update

from intranet import clock
from intranet.core.models import Notice
from intranet.extensions import db

_texts: dict[str, Callable[[dict], str]] = {}


def register(kind: str, render: Callable[[dict], str]) -> None:
    _texts[kind] = render


def notify(store_id: int, user_ids: Iterable[int], kind: str, params: dict, link: str | None = None) -> list[Notice]:
    if kind not in _texts:
        raise KeyError(f"notice kind {kind!r} is not registered")
    notices = [Notice(store_id=store_id, user_id=user_id, kind=kind, link=link,
                      params_json=json.dumps(params, ensure_ascii=False), created_at=clock.utcnow())
               for user_id in dict.fromkeys(user_ids) if user_id]
    db.session.add_all(notices)
    db.session.flush()
    return notices


def text_of(notice: Notice) -> str:
    render = _texts.get(notice.kind)
    return render(json.loads(notice.params_json or "{}")) if render else notice.kind


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notice).where(
        Notice.user_id == user_id, Notice.read_at.is_(None))) or 0


def recent(user_id: int, limit: int = 50) -> list[Notice]:
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user_id)
                                   .order_by(Notice.id.desc()).limit(limit)))


def open_notice(user_id: int, notice_id: int) -> Notice | None:
    """`user_id`'s notice, now marked read; None when it is not theirs (or gone)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != user_id:
        return None
    mark_read(user_id, notice_id)
    return notice


def mark_read(user_id: int, notice_id: int | None = None) -> None:
    """Mark one notice (or all of them) read; someone else's notice is left alone."""
    stmt = update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None)).values(read_at=clock.utcnow())
    if notice_id is not None:
        stmt = stmt.where(Notice.id == notice_id)
    db.session.execute(stmt)
