"""The controller's dispatch board: a tap gives a job to a technician (or takes it back)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store, form_int, one_time_token
from intranet.web.filters import BoardTexts, qty
from intranet.workshop import services
from intranet.workshop.views.live import BOARD, board_answer, minute

dispatch_bp = guard(Blueprint("dispatch", __name__, url_prefix="/workshop/dispatch"), Role.CONTROLLER, Role.DIRECTOR)


def render_dispatch(store, etag: str | None = None) -> str:
    data = services.dispatch_board(store, clock.utcnow())
    # A technician's button reads the same on every job of the team: its words, worked out once per
    # technician (each job's picker repeats the team's buttons; 140 jobs made ~500 translated labels).
    busy = _("busy")
    loads = {load.tech.user_id: _("%(hours)s h today", hours=qty(load.assigned_hours))
             + (f" · {busy}" if load.current else "")
             for team_loads in data["teams"].values() for load in team_loads}
    texts, hours = BoardTexts(store.timezone), {}

    def hours_text(value) -> str:  # `qty`, remembered for the render (Babel's formatting is slow)
        if value not in hours:
            hours[value] = qty(value)
        return hours[value]

    words = {"promised": _("promised"), "rework": _("rework"), "back": _("Back to “to dispatch”"), "when": texts.when,
             "hours": hours_text}
    return render_template("workshop/_dispatch.html", **data, load_words=loads, words=words, token=one_time_token,
                           etag=etag or board_etag(BOARD, store.id, minute()))


@dispatch_bp.get("/")
def dispatch():
    return render_template("workshop/dispatch.html", board=render_dispatch(current_store()))


@dispatch_bp.get("/live")
def dispatch_live():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_dispatch(store, etag), extra=minute())


@dispatch_bp.post("/jobs/<int:job_id>/assign")
def assign(job_id: int):
    """A technician's button (or "back to dispatch"): the job's id, version and one-time token."""
    store = current_store()
    technician_id = form_int("technician_id")

    def action():
        if technician_id is None:
            return services.unassign_job(job_id, store_id=store.id, actor_id=current_user.id,
                                         expected_version=form_int("version"), token=request.form.get("token"))
        return services.assign_job(job_id, technician_id, store_id=store.id, actor_id=current_user.id,
                                   expected_version=form_int("version"), token=request.form.get("token"))

    return board_answer(action, lambda: render_dispatch(store))
