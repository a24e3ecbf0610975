"""The "store today" board: cars in today, who is on shift, and whether the job queue is well.
It is the live-board mechanism in its smallest form: other tablets poll `board`, which answers
304 until something changes."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from intranet import clock
from intranet.auth.access import guard
from intranet.core.services import on_site_counts
from intranet.health.services import check
from intranet.live.http import board_etag, conditional_board
from intranet.live.services import STORE_BOARD
from intranet.today.board import cars_in, online
from intranet.web import current_store

bp = guard(Blueprint("today", __name__, url_prefix="/today"))
# Its ETag follows its own counter: what the board shows (cars in today, statuses, who came online),
# not every job, line or booking written in the store (those move "today", the homes' counter).
BOARD = STORE_BOARD


def render_board(store, *, etag: str | None = None) -> str:
    etag = etag or board_etag(BOARD, store.id, _minute(clock.utcnow()))
    cars = cars_in(store, clock.store_today(store.timezone))
    return render_template(
        "today/_board.html",
        cars=cars,
        status_labels={status: str(status.label) for status in {car.status for car in cars}},
        on_site=on_site_counts(store.id),
        online=online(store.id),
        etag=etag,
        health=_health(etag),
    )


# The job queue's health card is read once per board version and minute (the board's ETag) in each
# process: every tablet that fetches the board at that ETag is shown the same card, as the ETag
# promises, instead of each render pinging the database and Redis half a dozen times.
def _health(etag: str) -> dict:
    seen = current_app.extensions.get("today_health")
    if seen is None or seen[0] != etag:
        seen = current_app.extensions["today_health"] = (etag, check(current_app.config))
    return seen[1]


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
