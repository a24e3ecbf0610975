"""The "store today" board: cars in today, who is on shift, and whether the job queue is well.
It is the live-board mechanism in its smallest form: other tablets poll `board`, which answers
304 until something changes."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, render_template

from intranet import clock
from intranet.auth.access import guard
from intranet.core.services import on_site_counts
from intranet.health.services import check
from intranet.live.http import board_etag, conditional_board
from intranet.today.board import cars_in, online
from intranet.web import current_store

bp = guard(Blueprint("today", __name__, url_prefix="/today"))
BOARD = "today"


def render_board(store, *, etag: str | None = None) -> str:
    now = clock.utcnow()
    cars = cars_in(store, clock.store_today(store.timezone))
    return render_template(
        "today/_board.html",
        cars=cars,
        status_labels={status: str(status.label) for status in {car.status for car in cars}},
        on_site=on_site_counts(store.id),
        online=online(store.id),
        health=_health(),
        etag=etag or board_etag(BOARD, store.id, _minute(now)),
    )


# The job queue's health card, asked at most every few seconds per process: a database ping, three
# counts and half a dozen Redis calls on every render of every tablet's board told nothing new.
HEALTH_SECONDS = 10


def _health() -> dict:
    now = time.monotonic()
    seen = current_app.extensions.get("today_health")
    if seen is None or now - seen[0] >= HEALTH_SECONDS:
        seen = current_app.extensions["today_health"] = (now, check(current_app.config))
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
