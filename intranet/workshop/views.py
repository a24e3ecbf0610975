"""The workshop's screens: the wall board, the controller's dispatch board, the technician's
"my jobs", the final inspection, and the controller's end of day, figures and settings.

Each screen is a page that includes a fragment; the same fragment answers polls (304 while the
workshop board version has not moved) and the taps that change it."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, ROStatus
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.http import announce, board_etag, conditional_board
from intranet.web import current_store, form_int, one_time_token, period_from_args, run_action, toast
from intranet.workshop import closing, figures, services, timecontrol
from intranet.workshop.models import PauseReason, Stage, Team

BOARD = "workshop"
FLOOR = (Role.TECHNICIAN, Role.CONTROLLER, Role.INSPECTOR, Role.DIRECTOR, Role.MANAGER, Role.ADVISOR, Role.PARTS,
         Role.WARRANTY, Role.ACCIDENT)

bp = guard(Blueprint("workshop", __name__, url_prefix="/workshop"), *FLOOR)
dispatch_bp = guard(Blueprint("dispatch", __name__, url_prefix="/workshop/dispatch"), Role.CONTROLLER, Role.DIRECTOR)
tech_bp = guard(Blueprint("tech", __name__, url_prefix="/workshop/my"), Role.TECHNICIAN)
qc_bp = guard(Blueprint("qc", __name__, url_prefix="/workshop/qc"), Role.INSPECTOR, Role.CONTROLLER, Role.DIRECTOR)
manage_bp = guard(Blueprint("workshop_manage", __name__, url_prefix="/workshop/manage"),
                  Role.CONTROLLER, Role.DIRECTOR, Role.MANAGER, Role.ADMIN)


def _minute() -> str:
    # time in stage and clocked hours move with the clock alone: let the ETag age each minute
    return clock.utcnow().strftime("%H%M")




# ------------------------------------------------------------------ the wall board

def _team_filter() -> str | None:
    team = request.args.get("team")
    return team if team in {t.value for t in Team} else None


def render_board(store, team: str | None, etag: str | None = None) -> str:
    now = clock.utcnow()
    cars = timecontrol.workshop_cars(store.id, now, team=team)
    return render_template("workshop/_board.html", cars=cars, team=team,
                           etag=etag or board_etag(BOARD, store.id, _minute() + (team or "")))


@bp.get("/board")
def board():
    store = current_store()
    return render_template("workshop/board.html", board=render_board(store, _team_filter()), team=_team_filter(),
                           teams=list(Team))


@bp.get("/board/live")
def board_live():
    store, team = current_store(), _team_filter()
    return conditional_board(BOARD, store.id, lambda etag: render_board(store, team, etag),
                             extra=_minute() + (team or ""))


@bp.get("/parts-requests")
def parts_requests():
    store = current_store()
    return render_template("workshop/parts_requests.html", requests=services.parts_requests(store.id))


# ------------------------------------------------------------------ dispatch

def render_dispatch(store, etag: str | None = None) -> str:
    data = services.dispatch_board(store, clock.utcnow())
    return render_template("workshop/_dispatch.html", **data, token=one_time_token,
                           etag=etag or board_etag(BOARD, store.id, _minute()))


@dispatch_bp.get("/")
def dispatch():
    return render_template("workshop/dispatch.html", board=render_dispatch(current_store()))


@dispatch_bp.get("/live")
def dispatch_live():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_dispatch(store, etag), extra=_minute())


def _board_answer(action, render):
    """Run a tap on a board: answer with the fresh board, and on a refusal with the board as it is
    now plus the reason (a stale tap shows the row as it really is)."""
    try:
        action()
    except DomainError as refused:
        db.session.rollback()
        status = 409 if isinstance(refused, services.StaleJob) else 422
        return toast(make_response(render(), status), refused.message)
    db.session.commit()
    return announce(make_response(render()), BOARD, "today")


@dispatch_bp.post("/jobs/<int:job_id>/assign")
def assign(job_id: int):
    store = current_store()
    technician_id = form_int("technician_id")

    def action():
        if technician_id is None:
            return services.unassign_job(job_id, store_id=store.id, actor_id=current_user.id,
                                         expected_version=form_int("version"), token=request.form.get("token"))
        return services.assign_job(job_id, technician_id, store_id=store.id, actor_id=current_user.id,
                                   expected_version=form_int("version"), token=request.form.get("token"))

    return _board_answer(action, lambda: render_dispatch(store))


# ------------------------------------------------------------------ the technician's tablet

def render_my(store, etag: str | None = None) -> str:
    data = services.my_jobs(store.id, current_user.id)
    return render_template("workshop/_my.html", **data, reasons=list(PauseReason), token=one_time_token, now=clock.utcnow(),
                           etag=etag or board_etag(BOARD, store.id, _minute()))


@tech_bp.get("/")
def my_jobs():
    return render_template("workshop/my.html", board=render_my(current_store()))


@tech_bp.get("/live")
def my_live():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_my(store, etag), extra=_minute())


@tech_bp.post("/jobs/<int:job_id>/<any(start, pause, finish):action>")
def job_action(job_id: int, action: str):
    store = current_store()
    common = {"store_id": store.id, "actor_id": current_user.id, "token": request.form.get("token")}
    calls = {
        "start": lambda: services.start_job(job_id, **common),
        "pause": lambda: services.pause_job(job_id, request.form.get("reason", ""), note=request.form.get("note"),
                                            **common),
        "finish": lambda: services.finish_job(job_id, note=request.form.get("note"), **common),
    }
    return _board_answer(calls[action], lambda: render_my(store))


@tech_bp.post("/jobs/<int:job_id>/parts")
def request_part(job_id: int):
    store = current_store()
    return _board_answer(lambda: services.request_part(
        job_id, store_id=store.id, actor_id=current_user.id, description=request.form.get("description", ""),
        quantity=request.form.get("quantity") or "1", part_number=request.form.get("part_number"),
        token=request.form.get("token")), lambda: render_my(store))


# ------------------------------------------------------------------ final inspection and wash

@qc_bp.get("/")
def queue():
    store = current_store()
    return render_template("workshop/qc_queue.html",
                           waiting=services.cars_in(store.id, {ROStatus.QUALITY_CHECK}),
                           washing=services.cars_in(store.id, {ROStatus.WASHING}))


@qc_bp.route("/ro/<int:ro_id>", methods=["GET", "POST"])
def check(ro_id: int):
    from intranet.reception.services import get_repair_order

    store = current_store()
    ro = get_repair_order(ro_id, store.id)
    done, items = services.checklist(store.id, ro.id)
    error, failed = None, set()
    if request.method == "POST":
        failed = {int(v) for v in request.form.getlist("failed") if v.isdigit()}
        outcome = request.form.get("outcome", "")
        try:
            services.inspect(ro.id, store_id=store.id, actor_id=current_user.id, passed=outcome.startswith("pass"),
                             failed_item_ids=failed, reason=request.form.get("reason"),
                             rework_job_ids={int(v) for v in request.form.getlist("rework") if v.isdigit()},
                             wash=outcome != "pass_ready", token=request.form.get("token"))
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            return redirect(url_for("qc.queue"))
    response = make_response(render_template(
        "workshop/qc_check.html", ro=ro, done=done, items=items, failed=failed, error=error,
        inspections=services.inspections_of(ro.id), token=one_time_token(), reason=request.form.get("reason", "")),
        422 if error else 200)
    return response


@qc_bp.post("/ro/<int:ro_id>/washed")
def washed(ro_id: int):
    store = current_store()
    run_action(lambda: services.car_washed(ro_id, store_id=store.id, actor_id=current_user.id),
               _("Washed: the advisor is told the car is ready."))
    return redirect(url_for("qc.queue"))


# ------------------------------------------------------------------ end of day, figures, settings

@manage_bp.get("/end-of-day")
def end_of_day():
    store = current_store()
    day = clock.store_today(store.timezone)
    return render_template("workshop/end_of_day.html", day=day, rows=closing.unfinished_cars(store, day),
                           techs=services.technicians(store.id))


@manage_bp.post("/end-of-day/<int:ro_id>")
def save_end_of_day(ro_id: int):
    store = current_store()
    day = clock.store_today(store.timezone)
    error = None
    try:
        closing.save_note(ro_id, store=store, day=day, actor_id=current_user.id,
                          progress=request.form.get("progress"),
                          expected_finish=request.form.get("expected_finish"),
                          overtime_hours=request.form.get("overtime_hours"),
                          overtime_technician_id=form_int("overtime_technician_id"))
    except DomainError as refused:
        db.session.rollback()
        error = refused.message
    else:
        db.session.commit()
    row = next(iter(closing.unfinished_cars(store, day, ro_id=ro_id)), None)
    if row is None:
        return toast(make_response("", 200), _("This car is no longer unfinished."), "info")
    html = render_template("workshop/_eod_row.html", row=row, techs=services.technicians(store.id), error=error,
                           saved=error is None, form=request.form if error else None)
    return make_response(html, 422 if error else 200)


@manage_bp.get("/figures")
def workshop_figures():
    store = current_store()
    start, end = period_from_args()
    return render_template("workshop/figures.html", start=start, end=end,
                           people=figures.technician_figures(store, start, end),
                           days=figures.daily_figures(store, start, end))


@manage_bp.get("/time-control")
def time_control():
    store = current_store()
    return render_template("workshop/flags.html", flags=timecontrol.open_flags(store.id),
                           level_names=timecontrol.LEVEL_NAMES)


@manage_bp.get("/settings")
def settings():
    store = current_store()
    return render_template("workshop/settings.html", standards=timecontrol.stage_standards(store.id),
                           stages=list(Stage), techs=services.technicians(store.id, active_only=False),
                           teams=list(Team), items=services.qc_items(store.id), bays=services.bays(store.id))


@manage_bp.post("/settings/standards")
def save_standards():
    store = current_store()

    run_action(lambda: timecontrol.set_stage_standards(
        store.id, {stage: request.form.get(f"stage_{stage}") for stage in Stage},
        request.form.get("escalation_minutes")), _("Standard times saved."))
    return redirect(url_for("workshop_manage.settings") + "#standards")


@manage_bp.post("/settings/technicians/<int:user_id>")
def save_technician(user_id: int):
    store = current_store()

    def parse_time(name):
        try:
            return datetime.strptime(request.form.get(name, ""), "%H:%M").time()
        except ValueError:
            return None

    run_action(lambda: services.save_technician(
        user_id, store_id=store.id, team=request.form.get("team", ""), skills=request.form.get("skills"),
        lead=request.form.get("lead") == "y", shift_starts=parse_time("shift_starts"),
        shift_ends=parse_time("shift_ends")), _("Technician saved."))
    return redirect(url_for("workshop_manage.settings") + "#technicians")


@manage_bp.post("/settings/qc-items")
def add_qc_item():
    store = current_store()
    run_action(lambda: services.add_qc_item(store.id, request.form.get("team") or None, request.form.get("text", "")),
               _("Checklist point added."))
    return redirect(url_for("workshop_manage.settings") + "#checklist")


@manage_bp.post("/settings/qc-items/<int:item_id>/remove")
def remove_qc_item(item_id: int):
    store = current_store()
    run_action(lambda: services.remove_qc_item(store.id, item_id), _("Checklist point removed."))
    return redirect(url_for("workshop_manage.settings") + "#checklist")


@manage_bp.post("/settings/bays")
def add_bay():
    store = current_store()
    run_action(lambda: services.add_bay(store.id, request.form.get("team", ""), request.form.get("code", ""),
                                        request.form.get("name", "")), _("Bay added."))
    return redirect(url_for("workshop_manage.settings") + "#bays")
