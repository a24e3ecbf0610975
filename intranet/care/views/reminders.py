"""The reminders task list (maintenance, inspection, insurance, birthdays), and what all of care's
outreach screens share: their tabs and their labels."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import reminders
from intranet.care.forms import ReminderOutcomeForm
from intranet.care.models import MessageStatus, ReminderKind, ReminderStatus
from intranet.care.settings import days_list, settings_for
from intranet.care.staff import agents
from intranet.care.views.common import CARE_ROLES, back, is_agent, refusal_status, today
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request, toast

reminders_bp = guard(Blueprint("reminders", __name__, url_prefix="/care/reminders"), *CARE_ROLES)
BLUEPRINTS = [reminders_bp]

OUTREACH_TABS = (
    ("reminders.index", "reminders"), ("lapsed.index", "lapsed"), ("events.index", "events"),
    ("messages.index", "messages"),
)


@reminders_bp.app_context_processor
def _outreach_context():
    def outreach_tabs():
        labels = {"reminders": _("Reminders"), "lapsed": _("Lapsed customers"), "events": _("Events"),
                  "messages": _("Outgoing messages")}
        return [(endpoint, labels[key]) for endpoint, key in OUTREACH_TABS
                if endpoint in current_app.view_functions and access.can_open(current_user, endpoint)]

    return {"outreach_tabs": outreach_tabs}


def reminder_status_labels() -> dict[str, str]:
    # the models' short labels ("Done", "Failed") already mean other things in the catalogue
    return {ReminderStatus.OPEN: _("To do"), ReminderStatus.DONE: _("Contacted"),
            ReminderStatus.DISMISSED: _("Not needed")}


def message_status_labels() -> dict[str, str]:
    return {MessageStatus.QUEUED: _("Waiting to send"), MessageStatus.SENT: _("Sent"),
            MessageStatus.FAILED: _("Sending failed")}


# ---------------------------------------------------------------- the task list
@reminders_bp.get("/", endpoint="index")
def reminder_list():
    store, day = current_store(), today()
    who = request.args.get("who", "mine" if is_agent() else "all")
    kind = request.args.get("kind") or None
    due = request.args.get("due", "today")
    status = request.args.get("status", ReminderStatus.OPEN.value)
    rows = reminders.reminder_rows(store.id, day, agent_id=current_user.id if who == "mine" else None,
                                   kind=kind, due=due if due in reminders.DUE_FILTERS else "today", status=status)
    team = {a.id: a for a in agents(store.id)}
    settings = settings_for(store.id)
    steps = {k: days_list(getattr(settings, reminders.STEP_SETTINGS[k])) for k in ReminderKind}
    return render_template("care/reminders/index.html", rows=rows, today=day, who=who, kind=kind, due=due,
                           status=status, is_agent=is_agent(), kinds=list(ReminderKind),
                           statuses=list(ReminderStatus), counts=reminders.agent_counts(store.id, day), team=team,
                           steps=steps)


def _reminder_row(reminder_id: int, form: ReminderOutcomeForm, *, error=None, status: int = 200):
    rows = reminders.reminder_rows(current_store().id, today(), ids=[reminder_id])
    if not rows:
        abort(404)
    return make_response(render_template("care/reminders/_row.html", row=rows[0], today=today(), error=error,
                                         who=form.who.data or "mine"), status)


def _reminder_action(reminder_id: int, form: ReminderOutcomeForm, action, success: str):
    try:
        form.check()
        action()
    except DomainError as refused:
        db.session.rollback()
        if isinstance(refused, NotFound):
            abort(404)
        if is_htmx_request():
            return toast(_reminder_row(reminder_id, form, error=refused.message, status=refusal_status(refused)),
                         refused.message)
        flash(str(refused.message), "error")
        return redirect(back(url_for("reminders.index")))
    db.session.commit()
    if is_htmx_request():
        response = toast(_reminder_row(reminder_id, form), success, "success")
        response.headers["HX-Trigger-After-Settle"] = "reminderChanged"
        return response
    flash(success, "success")
    return redirect(back(url_for("reminders.index")))


@reminders_bp.post("/<int:reminder_id>/done")
def done(reminder_id: int):
    form = ReminderOutcomeForm()
    return _reminder_action(reminder_id, form, lambda: reminders.complete(
        reminder_id, store_id=current_store().id, actor_id=current_user.id, outcome=form.outcome.data),
        _("Reminder done."))


@reminders_bp.post("/<int:reminder_id>/dismiss")
def dismiss(reminder_id: int):
    form = ReminderOutcomeForm()
    return _reminder_action(reminder_id, form, lambda: reminders.dismiss(
        reminder_id, store_id=current_store().id, actor_id=current_user.id, reason=form.outcome.data),
        _("Reminder dismissed."))
