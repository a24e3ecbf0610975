"""The director's rounds on the tablet, the checklists behind them, and corrective actions.

Walking a round: each item is its own small form that posts the moment it is answered (a tap,
a photo, a reading) and is swapped for the saved item. The forms are marked `data-retry`: when
the workshop Wi-Fi drops, app.js keeps the unsent answers, marks them "not saved" and sends them
again once the network returns — answering is an upsert, so a re-send changes nothing twice."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, User
from intranet.director import actions, rounds
from intranet.director.models import (
    ActionPriority, CorrectiveAction, ItemKind, RoundStatus,
)
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, run_action, toast

bp = guard(Blueprint("rounds", __name__, url_prefix="/director/rounds"), Role.DIRECTOR, Role.MANAGER)
checklists_bp = guard(Blueprint("checklists", __name__, url_prefix="/director/checklists"), Role.DIRECTOR,
                      Role.ADMIN)
actions_bp = guard(Blueprint("actions", __name__, url_prefix="/director/actions"))  # owners hold any role
new_action_bp = guard(Blueprint("new_action", __name__, url_prefix="/director/actions/new"), Role.DIRECTOR)

KEYS, EQUIPMENT = "keys", "equipment"  # the closing round's extra steps


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


def _status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 422


def _store_now():
    store = current_store()
    return store, clock.utcnow(), clock.store_today(store.timezone)


def _round_or_404(round_id: int):
    try:
        return rounds.get_round(current_store().id, round_id)
    except NotFound:
        abort(404)


def _staff(store_id: int) -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.store_id == store_id, User.active.is_(True))
                                   .order_by(User.display_name)))


def _local_input(value: str | None, field: str) -> datetime | None:
    """A datetime-local input (store time) as naive UTC; empty is None."""
    if not value:
        return None
    try:
        return clock.store_local_to_utc(datetime.strptime(value, "%Y-%m-%dT%H:%M"), current_store().timezone)
    except ValueError:
        raise DomainError(_("Enter a date and time."), field=field) from None


# ------------------------------------------------------------------ today's rounds

@bp.get("/")
def today():
    store, now, day = _store_now()
    recent = rounds.rounds_between(store.id, day - timedelta(days=13), day - timedelta(days=1))
    grid = {(r.day, r.slot_id): r for r in recent}
    days = sorted({r.day for r in recent}, reverse=True)
    schedule = rounds.day_schedule(store, day, now)
    return render_template("director/rounds.html", schedule=schedule, grid=grid, days=days, day=day,
                           counts=actions.counts(store.id, now))


@bp.post("/start/<int:slot_id>")
def start(slot_id: int):
    store, now, day = _store_now()
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
                   staff=_staff(store.id), priorities=list(ActionPriority), kinds=ItemKind,
                   editable=round_.status_enum != RoundStatus.DONE)
    if current == KEYS:
        from intranet.keys.services import overnight_cars

        context["rows"] = overnight_cars(store, round_.day)
    elif current == EQUIPMENT:
        from intranet.director.equipment import spot_check_list

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
                           staff=_staff(round_.store_id), priorities=list(ActionPriority), kinds=ItemKind,
                           editable=round_.status_enum != RoundStatus.DONE, oob_progress=True,
                           steps=_steps(round_, sheet), current=str(item.area_id))
    return make_response(html, status)


@bp.post("/<int:round_id>/items/<int:item_id>")
def answer(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    form = request.form
    try:
        rounds.answer_item(current_store().id, round_.id, item_id, value=form.get("value"), actor_id=current_user.id,
                           note=form.get("note"), photos=request.files.getlist("photos"),
                           folder=current_app.config["PHOTO_FOLDER"])
    except DomainError as refused:
        db.session.rollback()
        round_ = _round_or_404(round_id)
        return _item_fragment(round_, item_id, _status(refused), refused.message,
                              typed={"value": form.get("value"), "note": form.get("note")})
    db.session.commit()
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/items/<int:item_id>/photo")
def photo(round_id: int, item_id: int):
    round_ = _round_or_404(round_id)
    upload = request.files.get("photos")
    try:
        if not upload or not upload.filename:
            raise DomainError(_("Take or choose a photo first."), field="photos")
        rounds.add_photo(current_store().id, round_.id, item_id, upload=upload, actor_id=current_user.id,
                         folder=current_app.config["PHOTO_FOLDER"])
    except DomainError as refused:
        db.session.rollback()
        return _item_fragment(_round_or_404(round_id), item_id, _status(refused), refused.message)
    db.session.commit()
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/items/<int:item_id>/action")
def finding_action(round_id: int, item_id: int):
    """The director changes the owner, due time or priority of a finding's action from the round."""
    round_ = _round_or_404(round_id)
    form = request.form
    try:
        action = db.session.get(CorrectiveAction, int(form.get("action_id") or 0))
        if action is None or action.round_id != round_.id:
            raise DomainError(_("No such corrective action."))
        actions.update_action(action.id, store_id=current_store().id, actor_id=current_user.id,
                              owner_id=form.get("owner_id"), due_at=_local_input(form.get("due_at"), "due_at"),
                              priority=form.get("priority"), expected_version=form.get("version"))
    except DomainError as refused:
        db.session.rollback()
        return _item_fragment(_round_or_404(round_id), item_id, _status(refused), refused.message)
    db.session.commit()
    return _item_fragment(_round_or_404(round_id), item_id)


@bp.post("/<int:round_id>/pause")
def pause(round_id: int):
    round_ = _round_or_404(round_id)
    area = request.form.get("area", "")
    run_action(lambda: rounds.pause_round(round_.store_id, round_.id, actor_id=current_user.id,
                                          area_id=int(area) if area.isdigit() else None),
               _("Round paused: resume it from today's rounds."))
    return redirect(url_for("rounds.today"))


@bp.post("/<int:round_id>/resume")
def resume(round_id: int):
    round_ = _round_or_404(round_id)
    run_action(lambda: rounds.resume_round(round_.store_id, round_.id, actor_id=current_user.id))
    return redirect(url_for("rounds.walk", round_id=round_id))


@bp.post("/<int:round_id>/finish")
def finish(round_id: int):
    round_ = _round_or_404(round_id)
    store, now, _day = _store_now()
    check = _overnight_check if round_.slot.closing else None
    try:
        rounds.finish_round(store, round_.id, actor_id=current_user.id, now=now, extra_check=check)
    except DomainError as refused:
        db.session.rollback()
        context = _walk_context(_round_or_404(round_id), request.form.get("area"))
        return make_response(render_template("director/walk.html", finish_error=refused.message, **context),
                             _status(refused))
    db.session.commit()
    return redirect(url_for("rounds.report", round_id=round_id))


def _overnight_check(round_) -> None:
    """The closing round is finished only when every overnight car's key is confirmed collected."""
    from intranet.keys.services import overnight_cars

    open_cars = [row for row in overnight_cars(current_store(), round_.day) if not row.confirmed]
    if open_cars:
        raise DomainError(_("Confirm the key and parking spot of every overnight car first: %(plates)s.",
                            plates="、".join(row.ro.vehicle.plate for row in open_cars[:6])))


@bp.get("/<int:round_id>/report")
def report(round_id: int):
    round_ = _round_or_404(round_id)
    if round_.version_id is None:
        abort(404)
    return render_template("director/report.html", round=round_, sheet=rounds.sheet(round_),
                           history=rounds.round_history(round_.id))


@bp.get("/<int:round_id>/report.pdf")
def report_pdf(round_id: int):
    from intranet.director.documents import round_pdf

    round_ = _round_or_404(round_id)
    if round_.version_id is None:
        abort(404)
    pdf = round_pdf(round_, rounds.sheet(round_), store=current_store())
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="round-{round_.day:%Y%m%d}-{round_.slot.code}.pdf"'
    return response


@bp.get("/scores")
def scores():
    store, _now, day = _store_now()
    asked = request.args.get("weeks", "")
    weeks, trends = rounds.area_trend(store.id, day, weeks=min(int(asked), 26) if asked.isdigit() and int(asked) else 8)
    return render_template("director/scores.html", weeks=weeks, trends=trends)


# ------------------------------------------------------------------ checklists, areas, schedule

@checklists_bp.get("/")
def index():
    store = current_store()
    versions = {t.id: rounds.current_version(t.id) for t in rounds.templates(store.id)}
    return render_template("director/checklists.html", templates=rounds.templates(store.id), versions=versions,
                           areas=rounds.areas(store.id, active_only=False), slots=rounds.slots(store.id, active_only=False),
                           staff=_staff(store.id))


def _drafts(form) -> list[rounds.ItemDraft]:
    drafts = []
    for n in range(int(form.get("rows", 0) or 0)):
        text = (form.get(f"text-{n}") or "").strip()
        if not text:
            continue  # an empty row is a row removed (or never used)
        drafts.append((float(form.get(f"position-{n}") or n), rounds.ItemDraft(
            area_id=form.get(f"area-{n}"), text=text, kind=form.get(f"kind-{n}") or ItemKind.PASS_FAIL,
            weight=form.get(f"weight-{n}") or 1, photo_on_fail=bool(form.get(f"photo-{n}")),
            min_value=form.get(f"min-{n}"), max_value=form.get(f"max-{n}"), unit=form.get(f"unit-{n}"))))
    return [d for _p, d in sorted(drafts, key=lambda pair: pair[0])]


@checklists_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@checklists_bp.route("/<int:template_id>", methods=["GET", "POST"])
def edit(template_id: int | None = None):
    store = current_store()
    template = None
    if template_id is not None:
        template = next((t for t in rounds.templates(store.id) if t.id == template_id), None)
        if template is None:
            abort(404)
    version = rounds.current_version(template.id) if template else None
    error, status = None, 200
    if request.method == "POST":
        try:
            saved = rounds.save_template(store.id, template_id=template_id, name=request.form.get("name", ""),
                                         items=_drafts(request.form), actor_id=current_user.id,
                                         note=request.form.get("note"))
        except DomainError as refused:
            db.session.rollback()
            error, status = refused.message, 422
        else:
            saved_template_id, number = saved.template_id, saved.number
            db.session.commit()
            flash(_("Saved as version %(n)d. Rounds already walked keep the version they used.", n=number), "success")
            return redirect(url_for("checklists.edit", template_id=saved_template_id))
    rows = _typed_rows(request.form) if request.method == "POST" else [
        {"area": i.area_id, "text": i.text, "kind": i.kind, "weight": i.weight, "photo": i.photo_on_fail,
         "min": i.min_value, "max": i.max_value, "unit": i.unit} for i in (version.items if version else [])]
    rows += [{"area": "", "text": "", "kind": "pass_fail", "weight": 1, "photo": False, "min": "", "max": "",
              "unit": ""}] * 3
    html = render_template("director/checklist_form.html", template=template, version=version, rows=rows,
                           areas=rounds.areas(store.id), kinds=list(ItemKind), error=error,
                           name=request.form.get("name") if request.method == "POST" else (template.name if template else ""))
    return make_response(html, status)


def _typed_rows(form) -> list[dict]:
    return [{"area": form.get(f"area-{n}"), "text": form.get(f"text-{n}", ""), "kind": form.get(f"kind-{n}"),
             "weight": form.get(f"weight-{n}"), "photo": bool(form.get(f"photo-{n}")), "min": form.get(f"min-{n}"),
             "max": form.get(f"max-{n}"), "unit": form.get(f"unit-{n}")}
            for n in range(int(form.get("rows", 0) or 0)) if (form.get(f"text-{n}") or "").strip()]


@checklists_bp.post("/areas")
def save_area():
    store = current_store()
    form = request.form
    area_id = form.get("area_id")
    run_action(lambda: rounds.save_area(store.id, area_id=int(area_id) if area_id else None, name=form.get("name", ""),
                                        owner_id=form.get("owner_id") or None, active=form.get("active", "1") == "1"),
               _("Area saved."))
    return redirect(url_for("checklists.index") + "#areas")


@checklists_bp.post("/slots")
def save_slot():
    store = current_store()
    form = request.form
    slot_id = form.get("slot_id")
    run_action(lambda: rounds.save_slot(store.id, slot_id=int(slot_id) if slot_id else None,
                                        name=form.get("name", ""), starts_at=form.get("starts_at"),
                                        ends_at=form.get("ends_at"), template_id=form.get("template_id"),
                                        closing=bool(form.get("closing")), active=form.get("active", "1") == "1"),
               _("Schedule saved."))
    return redirect(url_for("checklists.index") + "#schedule")


# ------------------------------------------------------------------ corrective actions

def _action_or_404(action_id: int) -> CorrectiveAction:
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or action.store_id != current_store().id:
        abort(404)
    return action


def _is_director() -> bool:
    return current_user.has_role(Role.DIRECTOR)


@actions_bp.get("/")
def list_():
    store, now, _day = _store_now()
    status = request.args.get("status", "active")
    mine = not _is_director() or request.args.get("who") == "me"
    owner_id = current_user.id if mine else (int(request.args["owner"]) if request.args.get("owner", "").isdigit()
                                            else None)
    found = actions.list_actions(store.id, status=None if status == "all" else status, owner_id=owner_id,
                                 overdue_at=now if status == "overdue" else None)
    return render_template("director/actions.html", actions=found, status=status, mine=mine, now=now,
                           staff=_staff(store.id) if _is_director() else [], owner_id=owner_id,
                           counts=actions.counts(store.id, now))


def _detail(action: CorrectiveAction, *, error=None, typed=None, status: int = 200):
    answer_photos = []
    if action.answer_id:
        answer_photos = rounds.answer_photos([action.answer_id]).get(action.answer_id, [])
    html = render_template("director/action.html", action=action, history=actions.history(action.id),
                           answer_photos=answer_photos, error=error, typed=typed or {}, now=clock.utcnow(),
                           is_director=_is_director(), staff=_staff(action.store_id) if _is_director() else [],
                           priorities=list(ActionPriority), needs_photo=actions.needs_photo(action))
    return make_response(html, status)


@actions_bp.get("/<int:action_id>")
def detail(action_id: int):
    return _detail(_action_or_404(action_id))


def _act(action_id: int, step, success: str, typed: dict | None = None):
    action = _action_or_404(action_id)
    try:
        step(action)
    except DomainError as refused:
        db.session.rollback()
        response = _detail(_action_or_404(action_id), error=refused.message, typed={**(typed or {}),
                                                                                    "field": refused.field},
                           status=_status(refused))
        if _is_htmx():
            toast(response, str(refused.message))
        return response
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("actions.detail", action_id=action_id))


@actions_bp.post("/<int:action_id>/close")
def close(action_id: int):
    form = request.form
    return _act(action_id, lambda a: actions.close_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, note=form.get("note", ""),
        photos=request.files.getlist("photos"), folder=current_app.config["PHOTO_FOLDER"],
        expected_version=form.get("version")), _("Closed: the director will verify it."), {"note": form.get("note")})


@actions_bp.post("/<int:action_id>/verify")
def verify(action_id: int):
    return _act(action_id, lambda a: actions.verify_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, expected_version=request.form.get("version")),
        _("Verified."))


@actions_bp.post("/<int:action_id>/reopen")
def reopen(action_id: int):
    form = request.form
    return _act(action_id, lambda a: actions.reopen_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, reason=form.get("reason", ""),
        due_at=_local_input(form.get("due_at"), "due_at"), expected_version=form.get("version")),
        _("Reopened and sent back to its owner."), {"reason": form.get("reason")})


@actions_bp.post("/<int:action_id>/edit")
def update(action_id: int):
    form = request.form
    return _act(action_id, lambda a: actions.update_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, owner_id=form.get("owner_id"),
        due_at=_local_input(form.get("due_at"), "due_at"), priority=form.get("priority"),
        expected_version=form.get("version")), _("Saved."))


@new_action_bp.route("/", methods=["GET", "POST"])
def new():
    store, _now, _day = _store_now()
    form = request.form
    error, status = None, 200
    if request.method == "POST":
        try:
            action = actions.open_action(store.id, title=form.get("title", ""), owner_id=form.get("owner_id"),
                                         actor_id=current_user.id, priority=form.get("priority"),
                                         due_at=_local_input(form.get("due_at"), "due_at"),
                                         area_id=int(form["area_id"]) if form.get("area_id", "").isdigit() else None,
                                         detail=form.get("detail"))
        except DomainError as refused:
            db.session.rollback()
            error, status = refused, _status(refused)
        else:
            action_id = action.id
            db.session.commit()
            return redirect(url_for("actions.detail", action_id=action_id))
    html = render_template("director/action_new.html", staff=_staff(store.id), areas=rounds.areas(store.id),
                           priorities=list(ActionPriority), typed=form, error=error)
    return make_response(html, status)

