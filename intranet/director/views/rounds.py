"""The director's rounds on the tablet.

Walking a round: each item is its own small form that posts the moment it is answered (a tap,
a photo, a reading) and is swapped for the saved item. The forms are marked `data-retry`: when
the workshop Wi-Fi drops, app.js keeps the unsent answers, marks them "not saved" and sends them
again once the network returns — answering is an upsert, so a re-send changes nothing twice."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.director import actions, rounds
from intranet.director.documents import round_pdf
from intranet.director.equipment import spot_check_list
from intranet.director.forms import ActionEditForm, AnswerForm, PhotoForm
from intranet.director.models import ActionPriority, CorrectiveAction, ItemKind, RoundStatus
from intranet.director.round_report import closing_part, photo_files
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
    if current == KEYS:
        context["rows"] = overnight_cars(store, round_.day)
    elif current == EQUIPMENT:
        context["spot_checks"] = spot_check_list(store.id, round_.id, round_.day)
    else:
        context["area"] = sheet.area(int(current)) if current else None
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


@bp.post("/<int:round_id>/items/<int:item_id>")
def answer(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    form = AnswerForm()
    try:
        rounds.answer_item(current_store().id, round_.id, item_id, value=form.value.data, actor_id=current_user.id,
                           note=form.note.data, photos=form.photos.data or [],
                           folder=current_app.config["PHOTO_FOLDER"])
    except DomainError as refused:
        db.session.rollback()
        round_ = _round_or_404(round_id)
        return _item_fragment(round_, item_id, refusal_status(refused), refused.message,
                              typed={"value": form.value.data, "note": form.note.data})
    db.session.commit()
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/items/<int:item_id>/photo")
def photo(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    upload = next(iter(PhotoForm().photos.data or []), None)
    try:
        if upload is None:
            raise DomainError(_("Take or choose a photo first."), field="photos")
        rounds.add_photo(current_store().id, round_.id, item_id, upload=upload, actor_id=current_user.id,
                         folder=current_app.config["PHOTO_FOLDER"])
    except DomainError as refused:
        db.session.rollback()
        return _item_fragment(_round_or_404(round_id), item_id, refusal_status(refused), refused.message)
    db.session.commit()
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
    """The finish button: it posts the step the director was on, shown again on a refusal."""
    round_ = _round_or_404(round_id)
    store, now, _day = store_now()
    check = _overnight_check if round_.slot.closing else None
    try:
        rounds.finish_round(store, round_.id, actor_id=current_user.id, now=now, extra_check=check)
    except DomainError as refused:
        db.session.rollback()
        step = request.form.get("area")  # a step: an area's id, or the closing round's "keys" / "equipment"
        context = _walk_context(_round_or_404(round_id), step)
        return make_response(render_template("director/walk.html", finish_error=refused.message, **context),
                             refusal_status(refused))
    db.session.commit()
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
