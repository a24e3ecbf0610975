"""The technician's tablet: "my jobs", the start / pause / finish taps and part requests."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.live.http import board_etag, conditional_board
from intranet.web import current_store, one_time_token
from intranet.workshop import services
from intranet.workshop.forms import PartRequestForm
from intranet.workshop.models import PauseReason
from intranet.workshop.views.live import BOARD, board_answer, minute

tech_bp = guard(Blueprint("tech", __name__, url_prefix="/workshop/my"), Role.TECHNICIAN)


def render_my(store, etag: str | None = None) -> str:
    data = services.my_jobs(store.id, current_user.id)
    return render_template("workshop/_my.html", **data, reasons=list(PauseReason), token=one_time_token,
                           now=clock.utcnow(), etag=etag or board_etag(BOARD, store.id, minute()))


@tech_bp.get("/")
def my_jobs():
    return render_template("workshop/my.html", board=render_my(current_store()))


@tech_bp.get("/live")
def my_live():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_my(store, etag), extra=minute())


@tech_bp.post("/jobs/<int:job_id>/<any(start, pause, finish):action>")
def job_action(job_id: int, action: str):
    """A tap on a job: a button posting its one-time token (and a pause its reason's button value)."""
    store = current_store()
    common = {"store_id": store.id, "actor_id": current_user.id, "token": request.form.get("token")}
    calls = {
        "start": lambda: services.start_job(job_id, **common),
        "pause": lambda: services.pause_job(job_id, request.form.get("reason", ""), note=request.form.get("note"),
                                            **common),
        "finish": lambda: services.finish_job(job_id, note=request.form.get("note"), **common),
    }
    return board_answer(calls[action], lambda: render_my(store))


@tech_bp.post("/jobs/<int:job_id>/parts")
def request_part(job_id: int):
    store = current_store()
    form = PartRequestForm()
    return board_answer(lambda: services.request_part(
        job_id, store_id=store.id, actor_id=current_user.id, description=form.description.data or "",
        quantity=form.quantity.data or "1", part_number=form.part_number.data,
        token=form.token.data), lambda: render_my(store))
