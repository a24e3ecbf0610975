"""The pending parts list (待缺料): a live board for the counter, purchasing, the advisors and the
workshop (blueprint "pending")."""
from __future__ import annotations

from flask import Blueprint, render_template

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.live.http import board_etag, conditional_board
from intranet.parts import services
from intranet.web import current_store

pending_bp = guard(Blueprint("pending", __name__, url_prefix="/parts/pending"),
                   Role.PARTS, Role.DIRECTOR, Role.ADVISOR, Role.CONTROLLER, Role.MANAGER)


def render_pending(store, etag: str | None = None) -> str:
    today = clock.store_today(store.timezone)
    return render_template("parts/_pending.html", rows=services.pending_list(store.id, today=today), today=today,
                           etag=etag or board_etag("pending", store.id, today.isoformat()))


@pending_bp.get("/")
def tracker():
    return render_template("parts/pending.html", board=render_pending(current_store()))


@pending_bp.get("/live")
def tracker_live():
    store = current_store()
    today = clock.store_today(store.timezone)
    return conditional_board("pending", store.id, lambda etag: render_pending(store, etag), extra=today.isoformat())
