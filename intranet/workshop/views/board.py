"""The workshop's wall board and the parts requests of the floor."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, Team
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store
from intranet.workshop import services, timecontrol
from intranet.workshop.views.live import BOARD, minute

FLOOR = (Role.TECHNICIAN, Role.CONTROLLER, Role.INSPECTOR, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.PARTS,
         Role.WARRANTY, Role.ACCIDENT)

bp = guard(Blueprint("workshop", __name__, url_prefix="/workshop"), *FLOOR)


def _team_filter() -> str | None:
    team = request.args.get("team")
    return team if team in {t.value for t in Team} else None


def render_board(store, team: str | None, etag: str | None = None) -> str:
    now = clock.utcnow()
    cars = timecontrol.workshop_cars(store.id, now, team=team)
    return render_template("workshop/_board.html", cars=cars, team=team,
                           etag=etag or board_etag(BOARD, store.id, minute() + (team or "")))


@bp.get("/board")
def board():
    store = current_store()
    return render_template("workshop/board.html", board=render_board(store, _team_filter()), team=_team_filter(),
                           teams=list(Team))


@bp.get("/board/live")
def board_live():
    store, team = current_store(), _team_filter()
    return conditional_board(BOARD, store.id, lambda etag: render_board(store, team, etag),
                             extra=minute() + (team or ""))


@bp.get("/parts-requests")
def parts_requests():
    store = current_store()
    return render_template("workshop/parts_requests.html", requests=services.parts_requests(store.id))
