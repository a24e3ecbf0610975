"""Corrective actions (整改): a finding of a round, a card not kept, or anything the director wants
done, with an owner, a due time and a priority. The owner closes it with a note (and a photo when
the finding had one); the director verifies it or reopens it; overdue actions are reminded to the
owner, then escalated to the director and to management by a recurring job."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices, transitions
from intranet.core.models import Role, User
from intranet.core.photos import save_photo
from intranet.core.services import get_owned, holders_of
from intranet.director.models import (
    ACTION_TRANSITIONS, OPEN_ACTIONS, ActionPriority, ActionReminder, ActionStatus, CorrectiveAction, DirectorEvent,
    RoundAnswer,
)
from intranet.director.settings import settings_for
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db

SUBJECT = "action"


def _refusal(current):
    return _l("This action is “%(status)s”: that is not possible now.", status=current.label)


def _move(action: CorrectiveAction, to: ActionStatus, actor_id: int, note: str | None = None) -> None:
    transitions.move(action, to, ACTION_TRANSITIONS, event_model=DirectorEvent, subject=SUBJECT,
                     actor_id=actor_id, refusal=_refusal, note=note)


def history(action_id: int) -> list[DirectorEvent]:
    return transitions.events_of(DirectorEvent, SUBJECT, action_id)


def default_due(store_id: int, priority: ActionPriority, now: datetime) -> datetime:
    settings = settings_for(store_id)
    hours = {ActionPriority.HIGH: settings.due_hours_high, ActionPriority.NORMAL: settings.due_hours_normal,
             ActionPriority.LOW: settings.due_hours_low}[priority]
    return now + timedelta(hours=hours)


def _priority(value) -> ActionPriority:
    try:
        return ActionPriority(value or ActionPriority.NORMAL)
    except ValueError:
        raise DomainError(_l("Choose a priority."), field="priority") from None


def _owner(store_id: int, owner_id) -> User:
    try:
        owner = db.session.get(User, int(owner_id)) if owner_id else None
    except (TypeError, ValueError):
        owner = None
    if owner is None or owner.store_id != store_id or not owner.active:
        raise DomainError(_l("Choose who owns the action."), field="owner_id")
    return owner


def _due(value, now: datetime) -> datetime:
    if value < now - timedelta(minutes=5):
        raise DomainError(_l("The due time is already past."), field="due_at")
    return value


def _is_director(user_id: int) -> bool:
    user = db.session.get(User, user_id)
    return bool(user and user.has_role(Role.DIRECTOR))


def open_action(store_id: int, *, title: str, owner_id: int, actor_id: int, priority=ActionPriority.NORMAL,
                due_at: datetime | None = None, area_id: int | None = None, round_id: int | None = None,
                answer_id: int | None = None, detail: str | None = None) -> CorrectiveAction:
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Say what has to be done."), field="title")
    now = clock.utcnow()
    priority = _priority(priority)
    owner = _owner(store_id, owner_id)
    action = CorrectiveAction(store_id=store_id, title=title[:200], detail=(detail or "").strip() or None,
                              owner_id=owner.id, priority=priority, status=ActionStatus.OPEN,
                              due_at=_due(due_at, now) if due_at else default_due(store_id, priority, now),
                              area_id=area_id, round_id=round_id, answer_id=answer_id, created_by_id=actor_id,
                              created_at=now)
    db.session.add(action)
    db.session.flush()
    transitions.opened(action, event_model=DirectorEvent, subject=SUBJECT, actor_id=actor_id)
    if owner.id != actor_id:
        _tell(action, [owner.id], "action_assigned")
    return action


def update_action(action_id: int, *, store_id: int, actor_id: int, owner_id, due_at: datetime | None, priority,
                  expected_version: int | None = None) -> CorrectiveAction:
    """The director changes who owns an open action, its due time or its priority."""
    action = _get(action_id, store_id)
    if not _is_director(actor_id):
        raise DomainError(_l("Only the director changes an action's owner, due time or priority."))
    _check_version(action, expected_version)
    if action.status_enum != ActionStatus.OPEN:
        raise IllegalTransition(_refusal(action.status_enum))
    owner = _owner(store_id, owner_id)
    previous_owner = action.owner_id
    action.priority = _priority(priority)
    if due_at is not None and due_at != action.due_at:
        action.due_at = _due(due_at, clock.utcnow())
    action.owner_id = owner.id
    db.session.flush()
    if owner.id != previous_owner and owner.id != actor_id:
        _tell(action, [owner.id], "action_assigned")
    return action


def close_action(action_id: int, *, store_id: int, actor_id: int, note: str, photos=(), folder=None,
                 expected_version: int | None = None) -> CorrectiveAction:
    """The owner says it is done. Only the owner may; a note is required, and a photo when the
    finding came with one (the director wants to see the after next to the before)."""
    action = _get(action_id, store_id)
    if action.owner_id != actor_id:
        raise DomainError(_l("This action belongs to %(name)s: only they can close it.",
                             name=action.owner.display_name))
    _check_version(action, expected_version)
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("Say what was done."), field="note")
    uploads = [p for p in photos if p and getattr(p, "filename", "")]
    if not uploads and not action.photos and needs_photo(action):
        raise DomainError(_l("Add a photo of the result: the finding came with one."), field="photos")
    _move(action, ActionStatus.DONE, actor_id, note)
    for upload in uploads:
        save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, action_id=action.id)
    action.closed_note, action.closed_at, action.closed_by_id = note, clock.utcnow(), actor_id
    db.session.flush()
    db.session.expire(action, ["photos"])
    checkers = [action.created_by_id] if action.created_by_id and action.created_by_id != actor_id else []
    _tell(action, checkers or holders_of(store_id, Role.DIRECTOR), "action_done")
    return action


def needs_photo(action: CorrectiveAction) -> bool:
    if action.answer_id is None:
        return False
    answer = db.session.get(RoundAnswer, action.answer_id)
    return bool(answer and answer.item.photo_on_fail)


def verify_action(action_id: int, *, store_id: int, actor_id: int, expected_version: int | None = None,
                  note: str | None = None) -> CorrectiveAction:
    action = _get(action_id, store_id)
    if not _is_director(actor_id):
        raise DomainError(_l("Only the director verifies an action."))
    _check_version(action, expected_version)
    _move(action, ActionStatus.VERIFIED, actor_id, note)
    action.verified_at, action.verified_by_id = clock.utcnow(), actor_id
    db.session.flush()
    return action


def reopen_action(action_id: int, *, store_id: int, actor_id: int, reason: str, due_at: datetime | None = None,
                  expected_version: int | None = None) -> CorrectiveAction:
    action = _get(action_id, store_id)
    if not _is_director(actor_id):
        raise DomainError(_l("Only the director reopens an action."))
    _check_version(action, expected_version)
    if action.status_enum != ActionStatus.DONE:
        raise IllegalTransition(_refusal(action.status_enum))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say why it is not done."), field="reason")
    _move(action, ActionStatus.OPEN, actor_id, reason)
    now = clock.utcnow()
    action.due_at = _due(due_at, now) if due_at else default_due(store_id, action.priority_enum, now)
    action.reopened += 1
    action.closed_at = action.closed_by_id = None
    db.session.flush()
    _tell(action, [action.owner_id], "action_reopened", reason=reason)
    return action


def cancel_for_answer(answer_id: int, *, actor_id: int) -> CorrectiveAction | None:
    """The item was answered again as a pass (a mistap): its action goes, if nobody worked on it yet."""
    action = db.session.scalar(select(CorrectiveAction).where(CorrectiveAction.answer_id == answer_id))
    if action is None or action.status_enum != ActionStatus.OPEN:
        return None
    _move(action, ActionStatus.CANCELLED, actor_id, _("Answered again as a pass."))
    db.session.flush()
    return action


def restore(action: CorrectiveAction, *, actor_id: int) -> None:
    """The item failed again after a pass had cancelled its action: back to work, due afresh."""
    _move(action, ActionStatus.OPEN, actor_id, _("Failed again."))
    action.due_at = default_due(action.store_id, action.priority_enum, clock.utcnow())


def _get(action_id: int, store_id: int) -> CorrectiveAction:
    return get_owned(CorrectiveAction, action_id, store_id, _l("No such corrective action."))


def _check_version(action: CorrectiveAction, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != action.version:
        raise Conflict(_l("Someone changed this action meanwhile: it now shows as it is."))


# ------------------------------------------------------------------ lists

def _listing():
    return select(CorrectiveAction).options(joinedload(CorrectiveAction.owner), joinedload(CorrectiveAction.area))


def my_actions(store_id: int, user_id: int, limit: int = 30) -> list[CorrectiveAction]:
    """What `user_id` has to do (open, soonest due first), then what they closed and wait to see verified."""
    return list(db.session.scalars(
        _listing().where(CorrectiveAction.store_id == store_id, CorrectiveAction.owner_id == user_id,
                         CorrectiveAction.status.in_([str(s) for s in OPEN_ACTIONS]))
        .order_by(case((CorrectiveAction.status == ActionStatus.OPEN, 0), else_=1), CorrectiveAction.due_at)
        .limit(limit)))


def list_actions(store_id: int, *, status: str | None = None, owner_id: int | None = None,
                 area_id: int | None = None, overdue_at: datetime | None = None,
                 limit: int = 200) -> list[CorrectiveAction]:
    """`status`: a stored status, "active" (not yet verified or cancelled), or "overdue" (open and past
    its due time at `overdue_at`, which it needs)."""
    stmt = _listing().where(CorrectiveAction.store_id == store_id)
    if status == "overdue":
        if overdue_at is None:
            raise ValueError("the overdue list needs the moment it is overdue at")
        status = None  # a filter on the due time, not a stored status
    if status == "active":
        stmt = stmt.where(CorrectiveAction.status.in_([str(s) for s in OPEN_ACTIONS]))
    elif status:
        stmt = stmt.where(CorrectiveAction.status == status)
    if owner_id:
        stmt = stmt.where(CorrectiveAction.owner_id == owner_id)
    if area_id:
        stmt = stmt.where(CorrectiveAction.area_id == area_id)
    if overdue_at is not None:
        stmt = stmt.where(CorrectiveAction.status == ActionStatus.OPEN, CorrectiveAction.due_at < overdue_at)
    order = (CorrectiveAction.due_at if status in (None, "active", ActionStatus.OPEN)
             else CorrectiveAction.id.desc())
    return list(db.session.scalars(stmt.order_by(order).limit(limit)))


def counts(store_id: int, now: datetime) -> dict[str, int]:
    rows = db.session.execute(
        select(CorrectiveAction.status, func.count(),
               func.sum(case((CorrectiveAction.due_at < now, 1), else_=0)))
        .where(CorrectiveAction.store_id == store_id,
               CorrectiveAction.status.in_([str(s) for s in OPEN_ACTIONS]))
        .group_by(CorrectiveAction.status)).all()
    found = {status: (n, late or 0) for status, n, late in rows}
    return {"open": found.get(ActionStatus.OPEN, (0, 0))[0], "overdue": found.get(ActionStatus.OPEN, (0, 0))[1],
            "to_verify": found.get(ActionStatus.DONE, (0, 0))[0]}


# ------------------------------------------------------------------ reminders

def remind_overdue(store_id: int, now: datetime) -> list[ActionReminder]:
    """Level 0 to the owner once the due time has passed, level 1 to the director one escalation
    step later, level 2 to management after two. Each (action, level, due time) once."""
    step = timedelta(hours=settings_for(store_id).escalation_hours)
    overdue = list(db.session.scalars(
        _listing().where(CorrectiveAction.store_id == store_id, CorrectiveAction.status == ActionStatus.OPEN,
                         CorrectiveAction.due_at < now)))
    if not overdue:
        return []
    sent = set(db.session.execute(select(ActionReminder.action_id, ActionReminder.level, ActionReminder.due_at)
                                  .where(ActionReminder.action_id.in_([a.id for a in overdue]))).all())
    people = {1: holders_of(store_id, Role.DIRECTOR), 2: holders_of(store_id, Role.MANAGER)}
    made = []
    for action in overdue:
        for level in (0, 1, 2):
            if now < action.due_at + level * step or (action.id, level, action.due_at) in sent:
                continue
            reminder = ActionReminder(action_id=action.id, level=level, due_at=action.due_at, sent_at=now)
            db.session.add(reminder)
            made.append(reminder)
            _tell(action, [action.owner_id] if level == 0 else people[level], "action_overdue", level=level)
    db.session.flush()
    return made


# ------------------------------------------------------------------ notices

def _tell(action: CorrectiveAction, user_ids, kind: str, **extra) -> None:
    link = f"/director/actions/{action.id}"  # jobs run outside a request: no url_for
    owner = action.owner or db.session.get(User, action.owner_id)
    notices.notify(action.store_id, user_ids, kind,
                   {"title": action.title, "owner": owner.display_name if owner else "", **extra}, link=link)


notices.register("action_assigned", lambda p: _("New corrective action for you: %(title)s", title=p.get("title")))
notices.register("action_done", lambda p: _("%(owner)s closed “%(title)s”: verify it", owner=p.get("owner"),
                                            title=p.get("title")))
notices.register("action_reopened", lambda p: _("Reopened: %(title)s — %(reason)s", title=p.get("title"),
                                                reason=p.get("reason")))
notices.register("action_overdue", lambda p: (
    _("Overdue corrective action: %(title)s", title=p.get("title")) if not p.get("level")
    else _("Overdue corrective action of %(owner)s: %(title)s", owner=p.get("owner"), title=p.get("title"))))
