"""The "store today" board: cars in today, who is on shift, and whether the job queue is well.
It is the live-board mechanism in its smallest form: other tablets poll `board`, which answers
304 until something changes."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from intranet import clock
from intranet.auth.access import guard
from intranet.core.services import on_site_counts, repair_orders_opened_on, users_online
from intranet.health.services import check
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store

bp = guard(Blueprint("today", __name__, url_prefix="/today"))
BOARD = "today"


def render_board(store, *, etag: str | None = None) -> str:
    now = clock.utcnow()
    return render_template(
        "today/_board.html",
        cars=repair_orders_opened_on(store, clock.store_today(store.timezone)),
        on_site=on_site_counts(store.id),
        online=users_online(store.id),
        health=check(current_app.config),
        etag=etag or board_etag(BOARD, store.id, _minute(now)),
    )


def _minute(now) -> str:
    # Who is online and the queue's heartbeat change with time alone: let the ETag age each minute.
    return now.strftime("%H%M")


@bp.get("/")
def page():
    store = current_store()
    return render_template("today/page.html", board=render_board(store))


@bp.get("/board")
def board():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_board(store, etag=etag),
                             extra=_minute(clock.utcnow()))
