"""The controller's dispatch board: a tap gives a job to a technician (or takes it back)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store, form_int, one_time_token
from intranet.workshop import services
from intranet.workshop.views.live import BOARD, board_answer, minute

dispatch_bp = guard(Blueprint("dispatch", __name__, url_prefix="/workshop/dispatch"), Role.CONTROLLER, Role.DIRECTOR)


def render_dispatch(store, etag: str | None = None) -> str:
    data = services.dispatch_board(store, clock.utcnow())
    return render_template("workshop/_dispatch.html", **data, token=one_time_token,
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
