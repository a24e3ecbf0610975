"""Live boards: a version counter per board and store, bumped by every change a board shows."""
from __future__ import annotations

import contextlib

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from intranet.extensions import db
from intranet.live.models import BoardVersion


_muted = False


@contextlib.contextmanager
def muted():
    """No announcements while a batch (the demo's two months of history) writes thousands of
    changes no screen is watching; the caller bumps the boards once afterwards."""
    global _muted
    previous, _muted = _muted, True
    try:
        yield
    finally:
        _muted = previous


def bump(store_id: int, *boards: str) -> None:
    """Announce a change on `boards`. Runs inside the caller's unit of work, so the version moves
    exactly when the change commits."""
    if _muted:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for board in boards:
        db.session.execute(
            insert(BoardVersion).values(store_id=store_id, board=board, version=0).on_conflict_do_nothing()
        )
        db.session.execute(
            update(BoardVersion)
            .where(BoardVersion.store_id == store_id, BoardVersion.board == board)
            .values(version=BoardVersion.version + 1)
        )


def version(store_id: int, board: str) -> int:
    return db.session.scalar(
        select(BoardVersion.version).where(BoardVersion.store_id == store_id, BoardVersion.board == board)
    ) or 0
