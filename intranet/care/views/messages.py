"""The outgoing-message box: what was sent to customers, what waits, what failed (and sending it
again)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intranet.auth.access import guard
from intranet.care import gateway
from intranet.care.models import MessageStatus
from intranet.care.views.common import CARE_ROLES, page_arg, refusal_status
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request, toast

messages_bp = guard(Blueprint("messages", __name__, url_prefix="/care/messages"), *CARE_ROLES)
BLUEPRINTS = [messages_bp]


@messages_bp.get("/", endpoint="index")
def message_box():
    store = current_store()
    status = request.args.get("status") or None
    page = page_arg()
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
        if is_htmx_request():
            message = gateway.get_message(message_id, store.id)
            html = render_template("care/messages/_row.html", m=message, max_attempts=gateway.MAX_ATTEMPTS)
            return toast(make_response(html, refusal_status(refused)), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("messages.index"))
    db.session.commit()
    text = _("Queued again: it goes out within 5 minutes.")
    if is_htmx_request():
        html = render_template("care/messages/_row.html", m=message, max_attempts=gateway.MAX_ATTEMPTS)
        return toast(make_response(html), text, "success")
    flash(text, "success")
    return redirect(url_for("messages.index", status=request.args.get("status")))
