"""The parts counter, the catalogue and bin cards, import/export and the parts figures (blueprint
"parts"), and the parts area's tabs."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.core.services import commit_unit
from intranet.errors import Conflict, DomainError
from intranet.extensions import db, htmx
from intranet.live.http import announce, board_etag, conditional_board
from intranet.parts import figures as parts_figures
from intranet.parts import history, services, transfer
from intranet.parts.services import reservations
from intranet.parts.forms import IssueForm, NextForm, PartForm, ReserveForm, ReturnForm, ShortageForm
from intranet.parts.models import AbcClass, ClaimStatus, CountStatus, OldPartOutcome, OrderStatus, WriteOffStatus
from intranet.web import current_store, period_from_args, run_action, run_form, toast

bp = guard(Blueprint("parts", __name__, url_prefix="/parts"), Role.PARTS, Role.DIRECTOR)


# The parts area's tabs, in the order of a parts day; each person sees those their roles open.
TABS = (
    ("parts.counter", _l("Counter")),
    ("parts.pre_pick", _l("Pre-pick")),
    ("pending.tracker", _l("Pending parts")),
    ("parts.catalogue", _l("Stock")),
    ("purchasing.orders", _l("Purchasing")),
    ("purchasing.discrepancies", _l("Discrepancies")),
    ("counts.index", _l("Counts")),
    ("write_offs.index", _l("Write-offs")),
    ("warranty_parts.old_parts", _l("Old parts")),
    ("parts.figures", _l("Parts figures")),
)


HISTORY_STATES = {"order": OrderStatus, "claim": ClaimStatus, "count": CountStatus, "write_off": WriteOffStatus}


@bp.app_context_processor
def _parts_context():
    def parts_tabs():
        return [(endpoint, label) for endpoint, label in TABS
                if endpoint in current_app.view_functions and access.can_open(current_user, endpoint)]

    def parts_history(subject: str, subject_id: int):
        """A subject's moves, each with its states' names, for the "history" card."""
        states = HISTORY_STATES[subject]
        return [(event, states(event.from_status).label if event.from_status else None, states(event.to_status).label)
                for event in history.events_of(subject, subject_id)]

    return {"parts_tabs": parts_tabs, "parts_history": parts_history}


BOARD = "parts"


def _page() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


# ------------------------------------------------------------------ the counter

def _recent(store) -> dict:
    recent = services.recent_issues(store.id)
    return {"recent": recent, "recent_parts": services.parts_of(recent)}


def render_counter(store, *, errors: dict | None = None, typed: dict | None = None, etag: str | None = None,
                   oob: bool = True) -> str:
    """The queue; an htmx answer also carries the "issued lately" list, swapped out of band."""
    return render_template("parts/_counter.html", requests=services.counter_queue(store.id),
                           outcomes=list(OldPartOutcome), errors=errors or {}, typed=typed or {},
                           etag=etag or board_etag(BOARD, store.id), oob=oob, **(_recent(store) if oob else {}))


def _pre_pick_summary(store) -> reservations.PrePickList:
    return reservations.pre_pick_list(store, clock.store_today(store.timezone), PRE_PICK_DAYS)


@bp.get("/")
def counter():
    store = current_store()
    return render_template("parts/counter.html", board=render_counter(store, oob=False), return_form=ReturnForm(),
                           pre=_pre_pick_summary(store), **_recent(store))


@bp.get("/live")
def counter_live():
    store = current_store()
    return conditional_board(BOARD, store.id, lambda etag: render_counter(store, etag=etag))


def _counter_answer(request_id: int, action, done: str, form=None):
    """A button or form on a request of the queue: the queue again, with the refusal and what was
    typed on that request, or with the done toast."""
    store = current_store()

    def checked():
        if form is not None:
            form.check()
        return action()

    try:
        commit_unit(checked)
    except DomainError as refused:
        status = 409 if isinstance(refused, Conflict) else 422
        body = render_counter(store, errors={request_id: refused.message}, typed={request_id: form.typed() if form else {}})
        return toast(make_response(body, status), refused.message)
    return announce(toast(make_response(render_counter(store)), done, "success"), BOARD, "workshop")


@bp.post("/requests/<int:request_id>/issue")
def issue(request_id: int):
    store = current_store()
    form = IssueForm()
    return _counter_answer(request_id, lambda: services.issue(
        request_id, store_id=store.id, actor_id=current_user.id, part_number=form.part_number.data,
        quantity=form.quantity.data, old_part=form.old_part.data, expected_status=form.status.data), _("Issued."),
        form)


@bp.post("/requests/<int:request_id>/shortage")
def shortage(request_id: int):
    store = current_store()
    form = ShortageForm()
    return _counter_answer(request_id, lambda: services.record_shortage(
        request_id, store_id=store.id, actor_id=current_user.id, part_number=form.part_number.data),
        _("On the pending parts list."), form)


@bp.post("/requests/<int:request_id>/warranty")
def ask_warranty(request_id: int):
    store = current_store()
    return _counter_answer(request_id, lambda: services.ask_warranty(request_id, store_id=store.id),
                           _("Sent to the warranty clerk for sign-off."))


@bp.post("/requests/<int:request_id>/cancel")
def cancel(request_id: int):
    store = current_store()
    return _counter_answer(request_id, lambda: services.cancel_request(request_id, store_id=store.id,
                                                                       actor_id=current_user.id), _("Cancelled."))


@bp.post("/returns")
def return_part():
    store = current_store()
    form = ReturnForm()

    def action():
        ro = services.find_repair_order(store.id, form.repair_order.data)
        if ro is None:
            raise DomainError(_l("No car on site matches “%(text)s”.", text=form.repair_order.data or ""),
                              field="repair_order")
        part = services.part_by_number(store.id, form.part_number.data)
        if part is None:
            raise DomainError(_l("There is no part %(number)s in the catalogue.",
                                 number=(form.part_number.data or "").upper()), field="part_number")
        return services.return_to_stock(ro.id, part.id, form.quantity.data, store_id=store.id,
                                        actor_id=current_user.id, note=form.note.data)

    outcome = run_form(form, action)
    if outcome.done:
        flash(_("Back in stock."), "success")
        return redirect(url_for(".counter"))
    return render_template("parts/counter.html", board=render_counter(store, oob=False), return_form=form,
                           return_error=outcome.error, pre=_pre_pick_summary(store), **_recent(store)), outcome.status


# ------------------------------------------------------------------ the pre-pick of the next days' bookings

PRE_PICK_DAYS = 3  # today and the next two days


def _days() -> int:
    value = request.values.get("days", "")
    return min(max(int(value), 1), 14) if value.isdigit() and len(value) < 3 else PRE_PICK_DAYS


def render_pre_pick(store, days: int, *, errors: dict | None = None) -> str:
    """The list of booked cars with their pre-pick lines (one fragment: the page and every button's answer)."""
    return render_template("parts/_pre_pick.html", pre=reservations.pre_pick_list(
        store, clock.store_today(store.timezone), days), days=days, errors=errors or {})


@bp.get("/pre-pick")
def pre_pick():
    store = current_store()
    days = _days()
    return render_template("parts/pre_pick.html", board=render_pre_pick(store, days), days=days)


def _pre_pick_answer(line_id: int, action, done: str):
    """A button on a pre-pick line: the list again (htmx) or the page, with the refusal on that line."""
    store, days = current_store(), _days()
    try:
        commit_unit(action)
    except DomainError as refused:
        if not htmx:
            flash(refused.message, "error")
            return redirect(url_for(".pre_pick", days=days))
        status = 409 if isinstance(refused, Conflict) else 422
        return toast(make_response(render_pre_pick(store, days, errors={line_id: refused.message}), status),
                     refused.message)
    if not htmx:
        flash(done, "success")
        return redirect(url_for(".pre_pick", days=days))
    return toast(make_response(render_pre_pick(store, days)), done, "success")


@bp.post("/pre-pick/<int:line_id>/picked")
def pre_pick_picked(line_id: int):
    picked = request.form.get("picked", "1") != "0"
    return _pre_pick_answer(line_id, lambda: reservations.mark_picked(
        line_id, store_id=current_store().id, actor_id=current_user.id, picked=picked),
        _("Picked.") if picked else _("Back to not picked."))


@bp.post("/pre-pick/<int:line_id>/hold")
def pre_pick_hold(line_id: int):
    return _pre_pick_answer(line_id, lambda: reservations.hold_pre_pick_rest(
        line_id, store_id=current_store().id, actor_id=current_user.id), _("Held for the booking."))


# ------------------------------------------------------------------ stock list, parts, bin cards

@bp.get("/stock")
def catalogue():
    store = current_store()
    query, abc, only = request.args.get("q"), request.args.get("abc"), request.args.get("only")
    page = _page()
    parts, total = services.stock_list(store.id, query=query, abc=abc, only=only, page=page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    if htmx and not htmx.history_restore_request and request.headers.get("HX-Target") == "stock-rows":
        response = make_response(render_template("parts/_stock_rows.html", parts=parts, total=total, page=page,
                                                 per_page=50, args=args))
    else:
        response = make_response(render_template(
            "parts/stock.html", parts=parts, total=total, page=page, per_page=50, args=args, query=query or "",
            abc=abc, only=only, classes=list(AbcClass), value=services.stock_value(store.id)))
    response.vary.add("HX-Request")
    return response


def _part_form(part=None) -> PartForm:
    """The part's form: what was posted, else the part as it is."""
    form = PartForm(obj=part)
    form.supplier_id.choices = [("", "—")] + [(str(s.id), s.name) for s in services.suppliers(current_store().id)]
    if part is not None and not form.is_submitted():
        form.supplier_id.data = str(part.supplier_id or "")
    return form


def _form_values(form: PartForm) -> dict:
    return {name: getattr(form, name).data for name in services.PART_FIELDS}


@bp.route("/new", methods=["GET", "POST"])
def new_part():
    store = current_store()
    form = _part_form()

    def action():
        part = services.save_part(store_id=store.id, **_form_values(form))
        if form.opening.data:
            services.add_opening_stock(part.id, form.opening.data, store_id=store.id, actor_id=current_user.id)
        return part

    outcome = run_form(form, action)
    if outcome.done:
        flash(_("Part %(number)s added.", number=outcome.result.number), "success")
        return redirect(url_for(".part", part_id=outcome.result.id))
    return render_template("parts/part_form.html", form=form, error=outcome.error), outcome.status


@bp.route("/p/<int:part_id>", methods=["GET", "POST"])
def part(part_id: int):
    store = current_store()
    found = services.get_part(part_id, store.id)
    form = _part_form(found)
    outcome = run_form(form, lambda: services.save_part(store_id=store.id, part_id=part_id, **_form_values(form)))
    if outcome.done:
        flash(_("Saved."), "success")
        return redirect(url_for(".part", part_id=part_id))
    page = _page()
    movements, total = services.bin_card(part_id, store.id, page=page)
    return render_template("parts/part.html", part=found, form=form, error=outcome.error, movements=movements,
                           total=total, page=page, per_page=100,
                           reservations=services.reservations_of_part(part_id),
                           reserve_form=ReserveForm()), outcome.status


@bp.post("/p/<int:part_id>/reserve")
def reserve(part_id: int):
    store = current_store()
    found = services.get_part(part_id, store.id)
    form = ReserveForm()

    def action():
        ro = services.find_repair_order(store.id, form.repair_order.data)
        if ro is None:
            raise DomainError(_l("No car on site matches “%(text)s”.", text=form.repair_order.data or ""),
                              field="repair_order")
        return services.reserve_for(store_id=store.id, actor_id=current_user.id, part_number=found.number,
                                    quantity=form.quantity.data, repair_order_id=ro.id)

    outcome = run_form(form, action)
    if not outcome.done:
        flash(outcome.error or next(iter(e for f in form for e in f.errors), _("Not reserved.")), "error")
    else:
        flash(_("Reserved."), "success")
    return redirect(url_for(".part", part_id=part_id))


@bp.post("/reservations/<int:reservation_id>/release")
def release(reservation_id: int):
    store = current_store()
    holder = {}

    def action():
        holder["r"] = services.release_reservation(reservation_id, store_id=store.id)

    run_action(action, _("Released."))
    return redirect(NextForm().back(url_for(".counter")))


@bp.route("/import", methods=["GET", "POST"])
def import_parts():
    store = current_store()
    report = None
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            rows = transfer.read_table(upload)
            report = transfer.import_catalogue(rows, store_id=store.id, actor_id=current_user.id)
            db.session.commit()
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
    return render_template("parts/import.html", report=report, error=error,
                           columns=transfer.COLUMNS), 422 if error else 200


@bp.get("/export.<fmt>")
def export_parts(fmt: str):
    """The catalogue as a file, streamed: the first rows go out while the rest are read."""
    store = current_store()
    if fmt == "xlsx":
        pieces, mimetype = transfer.stream_xlsx(store.id), XLSX
    elif fmt == "csv":
        pieces, mimetype = transfer.stream_csv(store.id), "text/csv; charset=utf-8"
    else:
        abort(404)
    day = clock.store_today(store.timezone)
    response = Response(stream_with_context(pieces), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=parts-{store.code}-{day:%Y%m%d}.{fmt}"
    response.headers["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/figures")
def figures():
    store = current_store()
    start, end = period_from_args()
    return render_template("parts/figures.html", start=start, end=end,
                           f=parts_figures.figures(store, start, end))
