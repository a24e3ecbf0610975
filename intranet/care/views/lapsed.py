"""Lapsed customers: the month's win-back list and its calls, the customers who stopped coming,
and the statistics."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from intranet.auth.access import guard
from intranet.care import lapsed
from intranet.care.forms import WinBackOutcomeForm
from intranet.care.models import LostCause
from intranet.care.service_due import add_months
from intranet.care.settings import settings_for
from intranet.care.views.common import CARE_ROLES, is_agent, page_arg, refusal_status, today
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.web import current_store, is_htmx_request, toast

lapsed_bp = guard(Blueprint("lapsed", __name__, url_prefix="/care/lapsed"), *CARE_ROLES)
BLUEPRINTS = [lapsed_bp]


def _month_arg(day: date) -> date:
    try:
        return datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        return lapsed.month_start(day)


@lapsed_bp.get("/", endpoint="index")
def lapsed_page():
    store, day = current_store(), today()
    tab = request.args.get("tab", "list")
    month = _month_arg(day)
    context = {"tab": tab, "today": day, "month": month, "this_month": lapsed.month_start(day),
               "settings": settings_for(store.id), "is_agent": is_agent()}
    context["retained"], context["lapsed_total"] = lapsed.retained_count(store.id, day)
    if tab == "customers":
        page = page_arg()
        rows, total = lapsed.lapsed_customers(store.id, day, page=page)
        context.update(customers=rows, total=total, page=page, more=page * 50 < total)
    elif tab == "stats":
        span = request.args.get("months", "12")
        span = int(span) if span in ("1", "3", "6", "12") else 12
        first = add_months(lapsed.month_start(day), -(span - 1))
        context.update(stats=lapsed.statistics(store.id, first, lapsed.month_start(day)), span=span)
    else:
        who = request.args.get("who", "mine" if is_agent() else "all")
        status = request.args.get("status", "open")
        context.update(who=who, status=status, rows=lapsed.list_rows(
            store.id, month, day, status=status, agent_id=current_user.id if who == "mine" else None),
            month_stats=lapsed.statistics(store.id, month, month), causes=list(LostCause),
            previous_month=add_months(month, -1),
            next_month=add_months(month, 1) if month < lapsed.month_start(day) else None)
    return render_template("care/lapsed/index.html", **context)


@lapsed_bp.post("/list")
def make_list():
    store = current_store()
    added = lapsed.make_win_back_list(store.id, today())
    db.session.commit()
    if added:
        flash(ngettext("%(num)s customer added to this month's win-back list.",
                       "%(num)s customers added to this month's win-back list.", added), "success")
    else:
        flash(_("This month's list is already made: no lapsed customer is missing from it."), "info")
    return redirect(url_for("lapsed.index"))


def _win_back_row(call_id: int, *, error=None, status: int = 200, typed=None):
    rows = lapsed.list_rows(current_store().id, None, today(), ids=[call_id])
    if not rows:
        abort(404)
    return make_response(render_template("care/lapsed/_row.html", row=rows[0], causes=list(LostCause), error=error,
                                         typed=typed or {}), status)


@lapsed_bp.post("/calls/<int:call_id>")
def outcome(call_id: int):
    store = current_store()
    form = WinBackOutcomeForm()
    reached = form.reached.data == "1"
    try:
        form.check()
        lapsed.record_outcome(call_id, store_id=store.id, actor_id=current_user.id, reached=reached,
                              lost_cause=form.lost_cause.data, will_return=form.will_return.data or None,
                              note=form.note.data)
    except NotFound:
        abort(404)
    except DomainError as refused:
        db.session.rollback()
        if is_htmx_request():
            return toast(_win_back_row(call_id, error=refused.message, status=refusal_status(refused),
                                       typed={**form.typed(), "field": refused.field}), refused.message)
        flash(str(refused.message), "error")
        return redirect(url_for("lapsed.index"))
    db.session.commit()
    text = _("Reached: the cause is on the customer's file.") if reached else _(
        "Not reached: the customer stays on the list.")
    if is_htmx_request():
        response = toast(_win_back_row(call_id), text, "success")
        response.headers["HX-Trigger-After-Settle"] = "winBackChanged"
        return response
    flash(text, "success")
    return redirect(url_for("lapsed.index"))
