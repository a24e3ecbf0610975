"""Care's outreach screens: the reminders task list, the outgoing-message box, the lapsed
customers with the month's win-back list and its statistics, and store events with their
invitations and replies."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.care import events, gateway, lapsed, reminders
from intranet.care.staff import agents
from intranet.care.models import (
    InvitationReply, LostCause, MessageStatus, ReminderKind, ReminderStatus, WinBackStatus,
)
from intranet.care.service_due import add_months
from intranet.care.settings import days_list, settings_for
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, toast

CARE_ROLES = (Role.CARE, Role.DIRECTOR, Role.MANAGER)
reminders_bp = guard(Blueprint("reminders", __name__, url_prefix="/care/reminders"), *CARE_ROLES)
messages_bp = guard(Blueprint("messages", __name__, url_prefix="/care/messages"), *CARE_ROLES)
lapsed_bp = guard(Blueprint("lapsed", __name__, url_prefix="/care/lapsed"), *CARE_ROLES)
events_bp = guard(Blueprint("events", __name__, url_prefix="/care/events"), *CARE_ROLES)
BLUEPRINTS = [reminders_bp, messages_bp, lapsed_bp, events_bp]

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


@reminders_bp.app_template_filter("reminder_kind_label")
def reminder_kind_label(value) -> str:
    return ReminderKind(value).label if value else "—"


@reminders_bp.app_template_filter("lost_cause_label")
def lost_cause_label(value) -> str:
    return LostCause(value).label if value else "—"


def reminder_status_labels() -> dict[str, str]:
    # the models' short labels ("Done", "Failed") already mean other things in the catalogue
    return {ReminderStatus.OPEN: _("To do"), ReminderStatus.DONE: _("Contacted"),
            ReminderStatus.DISMISSED: _("Not needed")}


def message_status_labels() -> dict[str, str]:
    return {MessageStatus.QUEUED: _("Waiting to send"), MessageStatus.SENT: _("Sent"),
            MessageStatus.FAILED: _("Sending failed")}


@reminders_bp.app_template_filter("reminder_status_label")
def reminder_status_label(value) -> str:
    return reminder_status_labels().get(value, "—")


@reminders_bp.app_template_filter("message_status_label")
def message_status_label(value) -> str:
    return message_status_labels().get(value, "—")


@reminders_bp.app_template_filter("win_back_status_label")
def win_back_status_label(value) -> str:
    return WinBackStatus(value).label if value else "—"


@reminders_bp.app_template_filter("invitation_reply_label")
def invitation_reply_label(value) -> str:
    return InvitationReply(value).label if value else "—"


def _today() -> date:
    return clock.store_today(current_store().timezone)


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 404 if isinstance(refused, NotFound) else 422


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


def _is_agent() -> bool:
    return current_user.has_role(Role.CARE)


def _back(default: str) -> str:
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


# ---------------------------------------------------------------- reminders
@reminders_bp.get("/", endpoint="index")
def reminder_list():
    store, today = current_store(), _today()
    who = request.args.get("who", "mine" if _is_agent() else "all")
    kind = request.args.get("kind") or None
    due = request.args.get("due", "today")
    status = request.args.get("status", ReminderStatus.OPEN.value)
    rows = reminders.reminder_rows(store.id, today, agent_id=current_user.id if who == "mine" else None,
                                   kind=kind, due=due if due in reminders.DUE_FILTERS else "today", status=status)
    team = {a.id: a for a in agents(store.id)}
    settings = settings_for(store.id)
    steps = {k: days_list(getattr(settings, reminders.STEP_SETTINGS[k])) for k in ReminderKind}
    return render_template("care/reminders/index.html", rows=rows, today=today, who=who, kind=kind, due=due,
                           status=status, is_agent=_is_agent(), kinds=list(ReminderKind),
                           statuses=list(ReminderStatus), counts=reminders.agent_counts(store.id, today), team=team,
                           steps=steps)


def _reminder_row(reminder_id: int, *, error=None, status: int = 200):
    rows = reminders.reminder_rows(current_store().id, _today(), ids=[reminder_id])
    if not rows:
        abort(404)
    return make_response(render_template("care/reminders/_row.html", row=rows[0], today=_today(), error=error,
                                         who=request.form.get("who", "mine")), status)


def _reminder_action(reminder_id: int, action, success: str):
    try:
        action()
    except DomainError as refused:
        db.session.rollback()
        if isinstance(refused, NotFound):
            abort(404)
        if _htmx():
            return toast(_reminder_row(reminder_id, error=refused.message, status=_status(refused)), refused.message)
        flash(str(refused.message), "error")
        return redirect(_back(url_for("reminders.index")))
    db.session.commit()
    if _htmx():
        response = toast(_reminder_row(reminder_id), success, "success")
        response.headers["HX-Trigger-After-Settle"] = "reminderChanged"
        return response
    flash(success, "success")
    return redirect(_back(url_for("reminders.index")))


@reminders_bp.post("/<int:reminder_id>/done")
def done(reminder_id: int):
    return _reminder_action(reminder_id, lambda: reminders.complete(
        reminder_id, store_id=current_store().id, actor_id=current_user.id, outcome=request.form.get("outcome")),
        _("Reminder done."))


@reminders_bp.post("/<int:reminder_id>/dismiss")
def dismiss(reminder_id: int):
    return _reminder_action(reminder_id, lambda: reminders.dismiss(
        reminder_id, store_id=current_store().id, actor_id=current_user.id, reason=request.form.get("outcome")),
        _("Reminder dismissed."))


# ---------------------------------------------------------------- outgoing messages
@messages_bp.get("/", endpoint="index")
def message_box():
    store = current_store()
    status = request.args.get("status") or None
    page = _page()
    rows, more = gateway.box(store.id, status, page=page)
    return render_template("care/messages/index.html", rows=rows, more=more, page=page, status=status,
                           counts=gateway.box_counts(store.id), statuses=list(MessageStatus),
                           max_attempts=gateway.MAX_ATTEMPTS)


@messages_bp.post("/<int:message_id>/retry")
def retry(message_id: int):
    store = current_store()
    try:
        message = gateway.retry(message_id, store_id=store.id)
    except NotFound:
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        if _htmx():
            message = gateway.get_message(message_id, store.id)
            html = render_template("care/messages/_row.html", m=message, max_attempts=gateway.MAX_ATTEMPTS)
            return toast(make_response(html, _status(refused)), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("messages.index"))
    db.session.commit()
    text = _("Queued again: it goes out within 5 minutes.")
    if _htmx():
        html = render_template("care/messages/_row.html", m=message, max_attempts=gateway.MAX_ATTEMPTS)
        return toast(make_response(html), text, "success")
    flash(text, "success")
    return redirect(url_for("messages.index", status=request.args.get("status")))


# ---------------------------------------------------------------- lapsed customers and win-back
def _month_arg(today: date) -> date:
    try:
        return datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        return lapsed.month_start(today)


@lapsed_bp.get("/", endpoint="index")
def lapsed_page():
    store, today = current_store(), _today()
    tab = request.args.get("tab", "list")
    month = _month_arg(today)
    context = {"tab": tab, "today": today, "month": month, "this_month": lapsed.month_start(today),
               "settings": settings_for(store.id), "is_agent": _is_agent()}
    context["retained"], context["lapsed_total"] = lapsed.retained_count(store.id, today)
    if tab == "customers":
        page = _page()
        rows, total = lapsed.lapsed_customers(store.id, today, page=page)
        context.update(customers=rows, total=total, page=page, more=page * 50 < total)
    elif tab == "stats":
        span = request.args.get("months", "12")
        span = int(span) if span in ("1", "3", "6", "12") else 12
        first = add_months(lapsed.month_start(today), -(span - 1))
        context.update(stats=lapsed.statistics(store.id, first, lapsed.month_start(today)), span=span)
    else:
        who = request.args.get("who", "mine" if _is_agent() else "all")
        status = request.args.get("status", "open")
        context.update(who=who, status=status, rows=lapsed.list_rows(
            store.id, month, today, status=status, agent_id=current_user.id if who == "mine" else None),
            month_stats=lapsed.statistics(store.id, month, month), causes=list(LostCause),
            previous_month=add_months(month, -1),
            next_month=add_months(month, 1) if month < lapsed.month_start(today) else None)
    return render_template("care/lapsed/index.html", **context)


@lapsed_bp.post("/list")
def make_list():
    store = current_store()
    added = lapsed.make_win_back_list(store.id, _today())
    db.session.commit()
    if added:
        flash(ngettext("%(num)s customer added to this month's win-back list.",
                       "%(num)s customers added to this month's win-back list.", added), "success")
    else:
        flash(_("This month's list is already made: no lapsed customer is missing from it."), "info")
    return redirect(url_for("lapsed.index"))


def _win_back_row(call_id: int, *, error=None, status: int = 200, typed=None):
    rows = lapsed.list_rows(current_store().id, None, _today(), ids=[call_id])
    if not rows:
        abort(404)
    return make_response(render_template("care/lapsed/_row.html", row=rows[0], causes=list(LostCause), error=error,
                                         typed=typed or {}), status)


@lapsed_bp.post("/calls/<int:call_id>")
def outcome(call_id: int):
    store = current_store()
    form = request.form
    try:
        lapsed.record_outcome(call_id, store_id=store.id, actor_id=current_user.id,
                              reached=form.get("reached") == "1", lost_cause=form.get("lost_cause"),
                              will_return=form.get("will_return") or None, note=form.get("note"))
    except NotFound:
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        if _htmx():
            return toast(_win_back_row(call_id, error=refused.message, status=_status(refused),
                                       typed={**form.to_dict(), "field": refused.field}), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("lapsed.index"))
    db.session.commit()
    text = _("Reached: the cause is on the customer's file.") if form.get("reached") == "1" else _(
        "Not reached: the customer stays on the list.")
    if _htmx():
        response = toast(_win_back_row(call_id), text, "success")
        response.headers["HX-Trigger-After-Settle"] = "winBackChanged"
        return response
    flash(text, "success")
    return redirect(url_for("lapsed.index"))


# ---------------------------------------------------------------- events
def _parse_day(value: str | None) -> date | None:
    try:
        return datetime.strptime((value or "").strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _events_page(*, error=None, typed=None, status: int = 200):
    store, today = current_store(), _today()
    upcoming, past, counts = events.event_list(store.id, today)
    return make_response(render_template("care/events/index.html", upcoming=upcoming, past=past, counts=counts,
                                         today=today, error=error, typed=typed or {},
                                         notice_days=settings_for(store.id).event_notice_days), status)


@events_bp.get("/", endpoint="index")
def event_index():
    return _events_page()


@events_bp.post("/new")
def new_event():
    store, form = current_store(), request.form
    capacity = (form.get("capacity") or "").strip()
    try:
        if capacity and not capacity.isdigit():
            raise DomainError(_("The number of places must be a whole number."), field="capacity")
        if form.get("held_on") and _parse_day(form.get("held_on")) is None:
            raise DomainError(_("That is not a date."), field="held_on")
        event = events.create_event(store_id=store.id, actor_id=current_user.id, title=form.get("title"),
                                    held_on=_parse_day(form.get("held_on")), today=_today(),
                                    place=form.get("place"), description=form.get("description"),
                                    capacity=int(capacity) if capacity else None)
    except DomainError as refused:
        db.session.rollback()
        return _events_page(error=refused, typed=form.to_dict(), status=_status(refused))
    db.session.commit()
    flash(_("Event created. Now invite the customers."), "success")
    return redirect(url_for("events.event", event_id=event.id))


def _event_or_404(event_id: int):
    try:
        return events.get_event(event_id, current_store().id)
    except NotFound:
        abort(404)


def _event_page(event_id: int, *, error=None, typed=None, status: int = 200):
    event, today = _event_or_404(event_id), _today()
    reply = request.args.get("reply") or None
    page = _page()
    rows, more = events.invitation_rows(event.id, reply=reply, page=page)
    return make_response(render_template(
        "care/events/event.html", event=event, today=today, rows=rows, page=page, more=more,
        counts=events.reply_counts([event.id])[event.id], reply=reply, replies=list(InvitationReply),
        notify_on=events.notify_on(event), models=events.model_choices(event.store_id),
        history=events.invitation_events(event.id), error=error, typed=typed or {},
        settings=settings_for(event.store_id)), status)


@events_bp.get("/<int:event_id>")
def event(event_id: int):
    return _event_page(event_id)


def _int_or_none(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise DomainError(_("Give a whole number."), field=field)
    return int(value)


@events_bp.post("/<int:event_id>/invite")
def invite(event_id: int):
    store, form = current_store(), request.form
    _event_or_404(event_id)
    try:
        audience = events.Audience(
            visited_within_months=_int_or_none(form.get("visited_within_months"), "visited_within_months"),
            model=form.get("model"), birthday_month=_int_or_none(form.get("birthday_month"), "birthday_month"))
        result = events.invite(event_id, store_id=store.id, actor_id=current_user.id, audience=audience,
                               today=_today())
    except DomainError as refused:
        db.session.rollback()
        return _event_page(event_id, error=refused, typed=form.to_dict(), status=_status(refused))
    db.session.commit()
    parts = [ngettext("%(num)s customer invited.", "%(num)s customers invited.", result.invited)]
    if result.already:
        parts.append(ngettext("%(num)s was already invited and skipped.", "%(num)s were already invited and skipped.",
                              result.already))
    if result.notified:
        parts.append(ngettext("%(num)s invitation sent at once (the notice day has come).",
                              "%(num)s invitations sent at once (the notice day has come).", result.notified))
    flash(" ".join(parts), "success" if result.invited else "info")
    return redirect(url_for("events.event", event_id=event_id))


def _invitation_row(invitation, *, error=None, typed=None, status: int = 200):
    row = events.invitation_rows(invitation.event_id, ids=[invitation.id])[0][0]
    return make_response(render_template("care/events/_invitation.html", row=row, event=invitation.event,
                                         replies=list(InvitationReply), error=error, typed=typed or {},
                                         today=_today()), status)


@events_bp.post("/invitations/<int:invitation_id>/reply")
def reply(invitation_id: int):
    store, form = current_store(), request.form
    try:
        invitation = events.get_invitation(invitation_id, store.id)
    except NotFound as missing:
        if _htmx():
            return toast(make_response(str(missing.message), 404), missing.message)
        abort(404)
    try:
        events.record_reply(invitation_id, store_id=store.id, actor_id=current_user.id, reply=form.get("reply"),
                            guests=form.get("guests"), note=form.get("note"))
    except DomainError as refused:
        db.session.rollback()
        invitation = events.get_invitation(invitation_id, store.id)
        if _htmx():
            return toast(_invitation_row(invitation, error=refused.message, status=_status(refused),
                                         typed={**form.to_dict(), "field": refused.field}), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("events.event", event_id=invitation.event_id))
    db.session.commit()
    text = _("Reply recorded.")
    if _htmx():
        response = toast(_invitation_row(invitation), text, "success")
        response.headers["HX-Trigger-After-Settle"] = "replyChanged"
        return response
    flash(text, "success")
    return redirect(url_for("events.event", event_id=invitation.event_id))

