"""Live boards: a version counter per board and store, bumped by every change a board shows."""
from __future__ import annotations

import contextlib

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

from intranet.core.models import RepairOrder
from intranet.extensions import db
from intranet.live.models import BoardVersion

# The store board's own counter: it moves only when something the board shows moves — a repair order
# opened, removed, or changed in its status, day, car, customer or advisor — and when somebody comes
# online; not at every job, line, booking or part the "today" counter announces for the homes.
STORE_BOARD = "store_board"
_SHOWN_ON_STORE_BOARD = ("status", "opened_at", "vehicle_id", "customer_id", "advisor_id", "store_id")


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
    _bump_on(db.session.connection(), store_id, boards)


def _bump_on(connection, store_id: int, boards) -> None:
    """Bump `boards` on a connection: `bump`'s, and the flush hook's (where the session cannot run
    statements)."""
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = BoardVersion.__table__
    for board in boards:
        connection.execute(insert(table).values(store_id=store_id, board=board, version=0).on_conflict_do_nothing())
        connection.execute(update(table).where(table.c.store_id == store_id, table.c.board == board)
                           .values(version=table.c.version + 1))


def _store_board_moved(session, _flush_context) -> None:
    """After each flush: bump the store board of every store whose shown repair orders changed, in the
    same transaction (so the version moves exactly when the change commits)."""
    if _muted:
        return
    stores = {ro.store_id for ro in (*session.new, *session.deleted) if isinstance(ro, RepairOrder)}
    for ro in session.dirty:
        if isinstance(ro, RepairOrder) and ro.store_id not in stores and any(
                attributes.get_history(ro, name).has_changes() for name in _SHOWN_ON_STORE_BOARD):
            stores.add(ro.store_id)
    if stores:
        connection = session.connection()
        for store_id in sorted(s for s in stores if s is not None):
            _bump_on(connection, store_id, (STORE_BOARD,))


def watch_repair_orders() -> None:
    """Keep the store board's counter (`STORE_BOARD`) by watching the repair orders every unit of
    work writes, whichever service writes them. Idempotent."""
    if not event.contains(Session, "after_flush", _store_board_moved):
        event.listen(Session, "after_flush", _store_board_moved)


_VERSION = select(BoardVersion.__table__.c.version).where(
    BoardVersion.__table__.c.store_id == bindparam("store_id"), BoardVersion.__table__.c.board == bindparam("board"))


def version(store_id: int, board: str) -> int:
    """The board's counter: what every poll reads (a statement built once, run on the connection)."""
    return db.session.connection().execute(_VERSION, {"store_id": store_id, "board": board}).scalar() or 0
