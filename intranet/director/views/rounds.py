"""The director's rounds on the tablet.

Walking a round: the walk page holds every step of the round (its areas, and for the closing round
the overnight cars and the equipment cards), so moving between them needs no network. Each item is
its own small form; `static/js/round.js` keeps every tap (answer, photo, spot check, key, finish) in
the tablet's IndexedDB queue first and sends the queue in order, each tap with a one-time key
(`X-Round-Key`) and the time it was tapped (`X-Round-At`): when the workshop Wi-Fi drops nothing is
lost, a reload or a closed tab finds the queue again, and a re-send is applied once
(`rounds.taps`)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.core.services import commit_unit
from intranet.director import actions, rounds
from intranet.director.documents import round_pdf
from intranet.director.equipment import spot_check_list
from intranet.director.forms import ActionEditForm, AnswerForm, PhotoForm
from intranet.director.models import ActionPriority, CorrectiveAction, ItemKind, RoundStatus
from intranet.director.round_report import closing_part, photo_files
from intranet.director.rounds import taps
from intranet.director.views.shared import local_input, refusal_status, staff_of, store_now, whole
from intranet.errors import DomainError, NotFound, some_of
from intranet.extensions import db
from intranet.keys.services import overnight_cars
from intranet.web import current_store, form_int, run_action

bp = guard(Blueprint("rounds", __name__, url_prefix="/director/rounds"), Role.DIRECTOR, Role.MANAGER)

KEYS, EQUIPMENT = "keys", "equipment"  # the closing round's extra steps


def _round_or_404(round_id: int):
    try:
        return rounds.get_round(current_store().id, round_id)
    except NotFound:
        abort(404)


@bp.get("/")
def today():
    store, now, day = store_now()
    recent = rounds.rounds_between(store.id, day - timedelta(days=13), day - timedelta(days=1))
    grid = {(r.day, r.slot_id): r for r in recent}
    days = sorted({r.day for r in recent}, reverse=True)
    schedule = rounds.day_schedule(store, day, now)
    return render_template("director/rounds.html", schedule=schedule, grid=grid, days=days, day=day,
                           counts=actions.counts(store.id, now))


@bp.get("/sw.js")
def service_worker():
    """The walk's service worker, served under /director/rounds/ so that the walk pages are its scope."""
    response = current_app.send_static_file("js/round-sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/start/<int:slot_id>")
def start(slot_id: int):
    store, now, day = store_now()
    try:
        round_ = rounds.start_round(store, slot_id, day, actor_id=current_user.id, now=now)
    except NotFound:
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        if isinstance(refused, rounds.RoundStarted):  # the second tap opens the round under way
            return redirect(url_for("rounds.walk", round_id=refused.round_id))
        return redirect(url_for("rounds.today"))
    round_id = round_.id
    db.session.commit()
    return redirect(url_for("rounds.walk", round_id=round_id))


def _walk_context(round_, area_param):
    """Every step of the round on one page (the tablet moves between them without the network), the
    one asked for (or where the director was) shown first."""
    store = current_store()
    sheet = rounds.sheet(round_)
    steps = _steps(round_, sheet)
    wanted = area_param or (str(round_.last_area_id) if round_.last_area_id else None)
    current = wanted if wanted in {s for s, _n in steps} else (steps[0][0] if steps else None)
    position = [s for s, _n in steps].index(current) if current else 0
    context = dict(round=round_, sheet=sheet, steps=steps, current=current, position=position,
                   previous=steps[position - 1][0] if position > 0 else None,
                   next=steps[position + 1][0] if position + 1 < len(steps) else None,
                   staff=staff_of(store.id), priorities=list(ActionPriority), kinds=ItemKind,
                   editable=round_.status_enum != RoundStatus.DONE)
    if round_.slot.closing:
        context["rows"] = overnight_cars(store, round_.day)
        context["spot_checks"] = spot_check_list(store.id, round_.id, round_.day)
    return context


def _steps(round_, sheet) -> list[tuple[str, str]]:
    """The round's steps: its areas, and for the closing round the overnight keys and the
    equipment cards."""
    steps = [(str(a.area_id), a.name) for a in sheet.areas]
    if round_.slot.closing:
        steps += [(KEYS, _("Overnight cars")), (EQUIPMENT, _("Equipment cards"))]
    return steps


@bp.get("/<int:round_id>")
def walk(round_id: int):
    round_ = _round_or_404(round_id)
    if round_.version_id is None:  # a missed round nobody started: its schedule entry starts it
        return redirect(url_for("rounds.today"))
    return render_template("director/walk.html", **_walk_context(round_, request.args.get("area")))


def _item_fragment(round_, item_id: int, status: int = 200, error=None, typed=None):
    sheet = rounds.sheet(round_)
    item = next((i for a in sheet.areas for i in a.items if i.id == item_id), None)
    if item is None:
        abort(404)
    html = render_template("director/_item.html", round=round_, sheet=sheet, item=item, error=error, typed=typed,
                           staff=staff_of(round_.store_id), priorities=list(ActionPriority), kinds=ItemKind,
                           editable=round_.status_enum != RoundStatus.DONE, oob_progress=True,
                           steps=_steps(round_, sheet), current=str(item.area_id))
    return make_response(html, status)


def _tap(round_):
    """The queued tap's one-time key and when it was tapped (now, for a form posted without them)."""
    now = store_now()[1]
    return taps.clean_key(request.headers.get("X-Round-Key")), taps.tapped_at(request.headers.get("X-Round-At"),
                                                                            round_, now)


@bp.post("/<int:round_id>/items/<int:item_id>")
def answer(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    form = AnswerForm()
    key, at = _tap(round_)
    store_id = current_store().id

    def unit():
        if taps.applied(round_id, key):  # a re-send of a tap already saved
            return
        rounds.answer_item(store_id, round_id, item_id, value=form.value.data, actor_id=current_user.id,
                           note=form.note.data, photos=form.photos.data or [],
                           folder=current_app.config["PHOTO_FOLDER"], at=at)
        taps.remember(round_id, key, "answer")

    try:
        commit_unit(unit)
    except DomainError as refused:
        round_ = _round_or_404(round_id)
        return _item_fragment(round_, item_id, refusal_status(refused), refused.message,
                              typed={"value": form.value.data, "note": form.note.data})
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/items/<int:item_id>/photo")
def photo(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    upload = next(iter(PhotoForm().photos.data or []), None)
    key, _at = _tap(round_)
    store_id = current_store().id

    def unit():
        if taps.applied(round_id, key):
            return
        if upload is None:
            raise DomainError(_("Take or choose a photo first."), field="photos")
        rounds.add_photo(store_id, round_id, item_id, upload=upload, actor_id=current_user.id,
                         folder=current_app.config["PHOTO_FOLDER"])
        taps.remember(round_id, key, "photo")

    try:
        commit_unit(unit)
    except DomainError as refused:
        return _item_fragment(_round_or_404(round_id), item_id, refusal_status(refused), refused.message)
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/items/<int:item_id>/action")
def finding_action(round_id: int, item_id: int):
    """The director changes the owner, due time or priority of a finding's action from the round."""
    round_ = _round_or_404(round_id)
    form = ActionEditForm()
    try:
        action = db.session.get(CorrectiveAction, whole(form.action_id.data) or 0)
        if action is None or action.round_id != round_.id:
            raise DomainError(_("No such corrective action."))
        actions.update_action(action.id, store_id=current_store().id, actor_id=current_user.id,
                              owner_id=form.owner_id.data, due_at=local_input(form.due_at.data, "due_at"),
                              priority=form.priority.data, expected_version=form.expected_version)
    except DomainError as refused:
        db.session.rollback()
        return _item_fragment(_round_or_404(round_id), item_id, refusal_status(refused), refused.message)
    db.session.commit()
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/pause")
def pause(round_id: int):
    """The pause button: it posts the area the director was on."""
    round_ = _round_or_404(round_id)
    area_id = form_int("area")
    run_action(lambda: rounds.pause_round(round_.store_id, round_.id, actor_id=current_user.id, area_id=area_id),
               _("Round paused: resume it from today's rounds."))
    return redirect(url_for("rounds.today"))


@bp.post("/<int:round_id>/resume")
def resume(round_id: int):
    round_ = _round_or_404(round_id)
    run_action(lambda: rounds.resume_round(round_.store_id, round_.id, actor_id=current_user.id))
    return redirect(url_for("rounds.walk", round_id=round_id))


@bp.post("/<int:round_id>/finish")
def finish(round_id: int):
    """The finish button: it posts the step the director was on, shown again on a refusal. Sent from
    the tablet's queue it carries when it was tapped: a round finished offline inside its window
    counts as on time."""
    round_ = _round_or_404(round_id)
    store = current_store()
    key, at = _tap(round_)
    check = _overnight_check if round_.slot.closing else None

    def unit():
        if taps.applied(round_id, key):
            return
        rounds.finish_round(store, round_id, actor_id=current_user.id, now=at, extra_check=check)
        taps.remember(round_id, key, "finish")

    try:
        commit_unit(unit)
    except DomainError as refused:
        step = request.form.get("area")  # a step: an area's id, or the closing round's "keys" / "equipment"
        context = _walk_context(_round_or_404(round_id), step)
        return make_response(render_template("director/walk.html", finish_error=refused.message, **context),
                             refusal_status(refused))
    return redirect(url_for("rounds.report", round_id=round_id))


def _overnight_check(round_) -> None:
    """The closing round is finished only when every overnight car's key is confirmed collected."""
    open_cars = [row for row in overnight_cars(current_store(), round_.day) if not row.confirmed]
    if open_cars:
        raise DomainError(_("Confirm the key and parking spot of every overnight car first: %(plates)s.",
                            plates=some_of(row.ro.vehicle.plate for row in open_cars)))


@bp.get("/<int:round_id>/report")
def report(round_id: int):
    round_ = _round_or_404(round_id)
    if round_.version_id is None:
        abort(404)
    return render_template("director/report.html", round=round_, sheet=rounds.sheet(round_),
                           history=rounds.round_history(round_.id), closing=closing_part(current_store(), round_))


@bp.get("/<int:round_id>/report.pdf")
def report_pdf(round_id: int):
    round_ = _round_or_404(round_id)
    if round_.version_id is None:
        abort(404)
    sheet = rounds.sheet(round_)
    pdf = round_pdf(round_, sheet, store=current_store(), photos=photo_files(sheet, current_app.config["PHOTO_FOLDER"]),
                    closing=closing_part(current_store(), round_))
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="round-{round_.day:%Y%m%d}-{round_.slot.code}.pdf"'
    return response


@bp.get("/scores")
def scores():
    store, _now, day = store_now()
    asked = request.args.get("weeks", "")
    weeks, trends = rounds.area_trend(store.id, day, weeks=min(int(asked), 26) if asked.isdigit() and int(asked) else 8)
    return render_template("director/scores.html", weeks=weeks, trends=trends)
