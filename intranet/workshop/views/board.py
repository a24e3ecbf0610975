"""The workshop's wall board and the parts requests of the floor."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, Team
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store
from intranet.web.filters import BoardTexts
from intranet.workshop import services, timecontrol
from intranet.workshop.views.live import BOARD, minute

FLOOR = (Role.TECHNICIAN, Role.CONTROLLER, Role.INSPECTOR, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.PARTS,
         Role.WARRANTY, Role.ACCIDENT)

bp = guard(Blueprint("workshop", __name__, url_prefix="/workshop"), *FLOOR)


def _team_filter() -> str | None:
    team = request.args.get("team")
    return team if team in {t.value for t in Team} else None


@dataclass(frozen=True, slots=True)
class Card:
    """One car of the wall board, its words and classes worked out in Python: the template prints
    them (120 cards with a score of expressions each made the template the board's main cost)."""
    cls: str
    plate: str
    model: str
    status: str
    status_label: str
    stage_cls: str
    in_stage: str  # "" when the car has no stage (ready)
    standard: str
    chips: list[tuple[str, str]]  # (classes, text)
    promised: str
    risk: str | None


def cards(cars, texts: BoardTexts) -> list[Card]:
    rework = _("rework")
    standard = _("standard %(minutes)s min")
    made = []
    for car in cars:
        ro = car.ro
        chips = []
        for job in car.jobs:
            if job.status == "cancelled":
                continue
            text = texts.team(job.team)
            if job.technician_name:
                text += " · " + job.technician_name
            if job.rework_of_id:
                text += " · " + rework
            chips.append((f"team-{job.team} job-{job.status}", text))
        risk_cls = {"late": " is-late", "at_risk": " is-at-risk"}.get(car.risk or "", "")
        made.append(Card(
            cls="car-card" + risk_cls + (" is-over" if car.over else ""),
            plate=ro.plate, model=ro.model, status=ro.status, status_label=texts.status(ro.status),
            stage_cls="in-stage" + (" over" if car.over else ""),
            in_stage=(f"{texts.minutes(car.minutes_in_stage)} / {texts.minutes(car.standard_minutes)}"
                      if car.stage else ""),
            standard=standard % {"minutes": car.standard_minutes} if car.stage else "",
            chips=chips, promised=texts.when(ro.promised_at), risk=car.risk))
    return made


def render_board(store, team: str | None, etag: str | None = None) -> str:
    now = clock.utcnow()
    cars = timecontrol.board_cars(store.id, now, team=team)
    counts = {"over": sum(car.over for car in cars), "late": sum(car.risk == "late" for car in cars),
              "at_risk": sum(car.risk == "at_risk" for car in cars)}
    return render_template("workshop/_board.html", cards=cards(cars, BoardTexts(store.timezone)), team=team,
                           counts=counts, etag=etag or board_etag(BOARD, store.id, minute() + (team or "")))


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
