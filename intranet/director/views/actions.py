"""Corrective actions: the list, an action's page with its steps, and a new action."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.director import actions, rounds
from intranet.director.forms import ActionEditForm, CloseActionForm, NewActionForm, ReopenActionForm
from intranet.director.models import ActionPriority, CorrectiveAction
from intranet.director.views.shared import local_input, refusal_status, staff_of, store_now, whole
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, form_int, is_htmx_request, toast

actions_bp = guard(Blueprint("actions", __name__, url_prefix="/director/actions"))  # owners hold any role
new_action_bp = guard(Blueprint("new_action", __name__, url_prefix="/director/actions/new"), Role.DIRECTOR)


def _action_or_404(action_id: int) -> CorrectiveAction:
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or action.store_id != current_store().id:
        abort(404)
    return action


def _is_director() -> bool:
    return current_user.has_role(Role.DIRECTOR)


@actions_bp.get("/")
def list_():
    store, now, _day = store_now()
    status = request.args.get("status", "active")
    mine = not _is_director() or request.args.get("who") == "me"
    owner_id = current_user.id if mine else (int(request.args["owner"]) if request.args.get("owner", "").isdigit()
                                            else None)
    found = actions.list_actions(store.id, status=None if status == "all" else status, owner_id=owner_id,
                                 overdue_at=now if status == "overdue" else None)
    return render_template("director/actions.html", actions=found, status=status, mine=mine, now=now,
                           staff=staff_of(store.id) if _is_director() else [], owner_id=owner_id,
                           counts=actions.counts(store.id, now))


def _detail(action: CorrectiveAction, *, error=None, typed=None, status: int = 200):
    answer_photos = []
    if action.answer_id:
        answer_photos = rounds.answer_photos([action.answer_id]).get(action.answer_id, [])
    html = render_template("director/action.html", action=action, history=actions.history(action.id),
                           answer_photos=answer_photos, error=error, typed=typed or {}, now=clock.utcnow(),
                           is_director=_is_director(), staff=staff_of(action.store_id) if _is_director() else [],
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
                           status=refusal_status(refused))
        if is_htmx_request():
            toast(response, str(refused.message))
        return response
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("actions.detail", action_id=action_id))


@actions_bp.post("/<int:action_id>/close")
def close(action_id: int):
    form = CloseActionForm()
    return _act(action_id, lambda a: actions.close_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, note=form.note.data or "",
        photos=form.photos.data or [], folder=current_app.config["PHOTO_FOLDER"],
        expected_version=form.expected_version), _("Closed: the director will verify it."), {"note": form.note.data})


@actions_bp.post("/<int:action_id>/verify")
def verify(action_id: int):
    """The director's button: it posts the action's version."""
    return _act(action_id, lambda a: actions.verify_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, expected_version=form_int("version")),
        _("Verified."))


@actions_bp.post("/<int:action_id>/reopen")
def reopen(action_id: int):
    form = ReopenActionForm()
    return _act(action_id, lambda a: actions.reopen_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, reason=form.reason.data or "",
        due_at=local_input(form.due_at.data, "due_at"), expected_version=form.expected_version),
        _("Reopened and sent back to its owner."), {"reason": form.reason.data})


@actions_bp.post("/<int:action_id>/edit")
def update(action_id: int):
    form = ActionEditForm()
    return _act(action_id, lambda a: actions.update_action(
        a.id, store_id=a.store_id, actor_id=current_user.id, owner_id=form.owner_id.data,
        due_at=local_input(form.due_at.data, "due_at"), priority=form.priority.data,
        expected_version=form.expected_version), _("Saved."))


@new_action_bp.route("/", methods=["GET", "POST"])
def new():
    store, _now, _day = store_now()
    form = NewActionForm()
    error, status = None, 200
    if request.method == "POST":
        try:
            action = actions.open_action(store.id, title=form.title.data or "", owner_id=form.owner_id.data,
                                         actor_id=current_user.id, priority=form.priority.data,
                                         due_at=local_input(form.due_at.data, "due_at"),
                                         area_id=whole(form.area_id.data), detail=form.detail.data)
        except DomainError as refused:
            db.session.rollback()
            error, status = refused, refusal_status(refused)
        else:
            action_id = action.id
            db.session.commit()
            return redirect(url_for("actions.detail", action_id=action_id))
    typed = {name: value for name, value in form.data.items() if isinstance(value, str)}
    html = render_template("director/action_new.html", staff=staff_of(store.id), areas=rounds.areas(store.id),
                           priorities=list(ActionPriority), typed=typed, error=error)
    return make_response(html, status)
