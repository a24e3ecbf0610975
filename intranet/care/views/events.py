"""Store events: the list, making one, inviting customers (by when they last came, their car's
model, their birthday month), and the replies."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.services import commit_unit
from intranet.care import events
from intranet.care.forms import InviteForm, NewEventForm, ReplyForm
from intranet.care.models import InvitationReply
from intranet.care.settings import settings_for
from intranet.care.views.common import CARE_ROLES, page_arg, refusal_status, today
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request, one_time_token, toast

events_bp = guard(Blueprint("events", __name__, url_prefix="/care/events"), *CARE_ROLES)
BLUEPRINTS = [events_bp]


def _events_page(*, error=None, typed=None, status: int = 200):
    store, day = current_store(), today()
    upcoming, past, counts = events.event_list(store.id, day)
    typed = typed or {}
    return make_response(render_template("care/events/index.html", upcoming=upcoming, past=past, counts=counts,
                                         today=day, error=error, typed=typed,
                                         origin_token=typed.get("origin_token") or one_time_token(),
                                         notice_days=settings_for(store.id).event_notice_days), status)


@events_bp.get("/", endpoint="index")
def event_index():
    return _events_page()


@events_bp.post("/new")
def new_event():
    store = current_store()
    form = NewEventForm()
    token = request.form.get("origin_token") or None
    try:
        form.check()
        event = commit_unit(lambda: events.create_event(
            store_id=store.id, actor_id=current_user.id, title=form.title.data, held_on=form.held_on.data,
            today=today(), place=form.place.data, description=form.description.data, capacity=form.capacity.data,
            origin_token=token))
    except DomainError as refused:
        db.session.rollback()
        return _events_page(error=refused, typed={**form.typed(), "origin_token": token},
                            status=refusal_status(refused))
    flash(_("Event created. Now invite the customers."), "success")
    return redirect(url_for("events.event", event_id=event.id))


def _event_or_404(event_id: int):
    try:
        return events.get_event(event_id, current_store().id)
    except NotFound:
        abort(404)


def _event_page(event_id: int, *, error=None, typed=None, status: int = 200):
    event, day = _event_or_404(event_id), today()
    reply = request.args.get("reply") or None
    page = page_arg()
    rows, more = events.invitation_rows(event.id, reply=reply, page=page)
    return make_response(render_template(
        "care/events/event.html", event=event, today=day, rows=rows, page=page, more=more,
        counts=events.reply_counts([event.id])[event.id], reply=reply, replies=list(InvitationReply),
        notify_on=events.notify_on(event), models=events.model_choices(event.store_id),
        history=events.invitation_events(event.id), error=error, typed=typed or {},
        settings=settings_for(event.store_id)), status)


@events_bp.get("/<int:event_id>")
def event(event_id: int):
    return _event_page(event_id)


@events_bp.post("/<int:event_id>/invite")
def invite(event_id: int):
    store = current_store()
    _event_or_404(event_id)
    form = InviteForm()
    try:
        form.check()
        result = events.invite(event_id, store_id=store.id, actor_id=current_user.id, audience=form.audience(),
                               today=today())
    except DomainError as refused:
        db.session.rollback()
        return _event_page(event_id, error=refused, typed=form.typed(), status=refusal_status(refused))
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
                                         today=today()), status)


@events_bp.post("/invitations/<int:invitation_id>/reply")
def reply(invitation_id: int):
    store = current_store()
    try:
        invitation = events.get_invitation(invitation_id, store.id)
    except NotFound as missing:
        if is_htmx_request():
            return toast(make_response(str(missing.message), 404), missing.message)
        abort(404)
    form = ReplyForm()
    try:
        form.check()
        events.record_reply(invitation_id, store_id=store.id, actor_id=current_user.id, reply=form.reply.data,
                            guests=form.guests.data, note=form.note.data)
    except DomainError as refused:
        db.session.rollback()
        invitation = events.get_invitation(invitation_id, store.id)
        if is_htmx_request():
            return toast(_invitation_row(invitation, error=refused.message, status=refusal_status(refused),
                                         typed={**form.typed(), "field": refused.field}), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("events.event", event_id=invitation.event_id))
    db.session.commit()
    text = _("Reply recorded.")
    if is_htmx_request():
        response = toast(_invitation_row(invitation), text, "success")
        response.headers["HX-Trigger-After-Settle"] = "replyChanged"
        return response
    flash(text, "success")
    return redirect(url_for("events.event", event_id=invitation.event_id))
