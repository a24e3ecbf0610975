"""Purchasing and receiving: suggested and written purchase orders, approval, quotes, the three
receiving checks and the discrepancy notes with their claims."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError
from intranet.extensions import db, htmx
from intranet.parts import authority, purchasing
from intranet.parts import services as parts_services
from intranet.parts.forms import (
    AddLineForm, CancelOrderForm, ClaimForm, DeliveryNoteForm, DraftForm, IntakeForm, NewOrderForm, OrderedForm, QuoteForm,
    PhotosForm, RequestPurchaseForm, SettleForm, VersionForm,
)
from intranet.parts.models import ClaimStatus, OrderStatus, ReceiptStatus
from intranet.web import current_store, toast

bp = guard(Blueprint("purchasing", __name__, url_prefix="/parts/purchasing"), Role.PARTS, Role.DIRECTOR)


# ------------------------------------------------------------------ plumbing

def _attempt(action, form=None):
    """Run one service call as a unit of work: (result, None) committed, or (None, refusal) rolled back.
    With a form, a field the form refuses is a refusal too (before the service is asked)."""
    try:
        if form is not None:
            form.check()
        result = action()
    except DomainError as refused:
        db.session.rollback()
        return None, refused
    db.session.commit()
    return result, None


def _status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 422


def _is_htmx() -> bool:
    return bool(htmx) and not htmx.history_restore_request


# ------------------------------------------------------------------ the orders list

ORDER_GROUPS = (
    ("drafts", (OrderStatus.DRAFT,)),
    ("approved", (OrderStatus.APPROVED,)),
    ("on_order", (OrderStatus.ORDERED, OrderStatus.PARTLY_RECEIVED)),
    ("closed", (OrderStatus.RECEIVED, OrderStatus.CANCELLED)),
)


def _render_orders(*, typed=None, refused: DomainError | None = None, status: int = 200):
    store = current_store()
    groups = {name: [] for name, _statuses in ORDER_GROUPS}
    for order in purchasing.orders_overview(store.id):
        name = next(n for n, statuses in ORDER_GROUPS if order.status_enum in statuses)
        groups[name].append(order)
    groups["on_order"].sort(key=lambda o: (o.expected_on is None, o.expected_on or 0, o.id))
    return render_template("parts/purchasing/orders.html", groups=groups, shortages=purchasing.shortages(store.id),
                           suppliers=parts_services.suppliers(store.id), today=purchasing.store_today(store.id),
                           typed=typed or {}, refused=refused), status


@bp.get("/")
def orders():
    return _render_orders()


@bp.post("/request")
def request_purchase():
    """Shortages (cars waiting) onto urgent drafts, from this page or the pending parts tracker."""
    store = current_store()
    form = RequestPurchaseForm()
    touched, refused = _attempt(lambda: purchasing.request_purchase(
        form.pending_ids.data, store_id=store.id, actor_id=current_user.id), form)
    if refused:
        flash(str(refused.message), "error")
        return redirect(form.back(url_for(".orders")))
    flash(_("On urgent purchase request: %(numbers)s.", numbers=", ".join(o.number for o in touched)), "success")
    if len(touched) == 1 and not form.next.data:
        return redirect(url_for(".order", order_id=touched[0].id))
    return redirect(form.back(url_for(".orders")))


@bp.post("/suggest")
def suggest():
    store = current_store()
    made, refused = _attempt(lambda: purchasing.suggest_orders(store.id))
    if refused:
        flash(str(refused.message), "error")
    else:
        flash(_("Suggested orders worked out: %(count)s drafts to review.", count=len(made)), "success")
    return redirect(url_for(".orders"))


@bp.post("/new")
def new_order():
    store = current_store()
    form = NewOrderForm()
    order, refused = _attempt(lambda: purchasing.create_order(
        store_id=store.id, actor_id=current_user.id, supplier_id=form.supplier_id.data, urgent=form.urgent.data,
        note=form.note.data), form)
    if refused:
        return _render_orders(typed=form.typed(), refused=refused, status=_status(refused))
    flash(_("Purchase order %(number)s started: add its parts.", number=order.number), "success")
    return redirect(url_for(".order", order_id=order.id))


# ------------------------------------------------------------------ one order

def _render_order(order_id: int, *, typed=None, refused: DomainError | None = None, status: int = 200):
    store = current_store()
    order = purchasing.order_page(order_id, store.id)
    today = purchasing.store_today(store.id)
    lead = order.supplier.lead_days if order.supplier else 2
    return render_template("parts/purchasing/order.html", order=order, total=purchasing.order_total(order),
                           suppliers=parts_services.suppliers(store.id), typed=typed or {}, refused=refused,
                           today=today, default_expected=today + timedelta(days=lead or 0),
                           receiving=next((r for r in order.receipts if r.status != ReceiptStatus.SHELVED), None),
                           needs_quotes=purchasing.needs_quotes, cheapest=purchasing.cheapest,
                           may_approve=authority.may_approve(current_user) and order.created_by_id != current_user.id,
                           quotes_needed=purchasing.QUOTES_NEEDED), status


@bp.get("/<int:order_id>")
def order(order_id: int):
    return _render_order(order_id)


def _order_action(order_id: int, form, action, done: str | None, *, then=None):
    """A form on the order page: redirect on success, or the page again with what was typed and why not."""
    result, refused = _attempt(action, form)
    if refused:
        return _render_order(order_id, typed=form.typed(), refused=refused, status=_status(refused))
    if done:
        flash(done, "success")
    return redirect(then(result) if callable(then) else url_for(".order", order_id=order_id))


@bp.post("/<int:order_id>/save")
def save_draft(order_id: int):
    store = current_store()
    form = DraftForm()
    return _order_action(order_id, form, lambda: purchasing.save_draft(
        order_id, store_id=store.id, lines=form.lines.data, urgent=form.urgent.data, note=form.note.data,
        expected_version=form.version.data), _("Saved."))


@bp.post("/<int:order_id>/lines")
def add_line(order_id: int):
    store = current_store()
    form = AddLineForm()
    return _order_action(order_id, form, lambda: purchasing.add_line(
        order_id, store_id=store.id, part_number=form.part_number.data, quantity=form.quantity.data,
        unit_cost=form.unit_cost.data, expected_version=form.version.data), _("Part added."))


@bp.post("/<int:order_id>/lines/<int:line_id>/remove")
def remove_line(order_id: int, line_id: int):
    store = current_store()
    form = VersionForm()
    return _order_action(order_id, form, lambda: purchasing.remove_line(
        order_id, line_id, store_id=store.id, expected_version=form.version.data), _("Line removed."))


@bp.post("/<int:order_id>/approve")
def approve(order_id: int):
    store = current_store()
    form = VersionForm()
    return _order_action(order_id, form, lambda: purchasing.approve(
        order_id, store_id=store.id, actor=current_user._get_current_object(), expected_version=form.version.data),
        _("Approved: the buyer can order it."))


@bp.post("/<int:order_id>/ordered")
def mark_ordered(order_id: int):
    store = current_store()
    form = OrderedForm()
    return _order_action(order_id, form, lambda: purchasing.mark_ordered(
        order_id, store_id=store.id, actor_id=current_user.id, expected_on=form.expected_on.data,
        expected_version=form.version.data), _("Marked as ordered."))


@bp.post("/<int:order_id>/cancel")
def cancel(order_id: int):
    store = current_store()
    form = CancelOrderForm()
    return _order_action(order_id, form, lambda: purchasing.cancel_order(
        order_id, store_id=store.id, actor_id=current_user.id, reason=form.reason.data,
        supplier_told=form.supplier_told.data, expected_version=form.version.data),
        _("Order cancelled."))


@bp.post("/<int:order_id>/close-short")
def close_short(order_id: int):
    store = current_store()
    form = VersionForm()
    return _order_action(order_id, form, lambda: purchasing.close_short(
        order_id, store_id=store.id, actor_id=current_user.id, expected_version=form.version.data),
        _("Order closed; what never came is on the discrepancy list."))


@bp.post("/<int:order_id>/receipts")
def receive(order_id: int):
    """Check 1: the buyer checks a delivery against its delivery note."""
    store = current_store()
    form = DeliveryNoteForm()
    return _order_action(order_id, form, lambda: purchasing.check_delivery_note(
        order_id, store_id=store.id, actor_id=current_user.id, delivery_note=form.delivery_note.data,
        noted=form.noted(), expected_version=form.version.data), _("Delivery note checked: now the intake check."),
        then=lambda receipt: url_for(".receipt", receipt_id=receipt.id))


# ------------------------------------------------------------------ quotes (htmx on the order page)

def _render_quotes(line_id: int, *, typed=None, refused: DomainError | None = None, status: int = 200):
    store = current_store()
    line = purchasing._line(line_id, store.id)
    return make_response(render_template(
        "parts/purchasing/_quotes.html", line=line, order=line.order, suppliers=parts_services.suppliers(store.id),
        typed=typed or {}, refused=refused, cheapest=purchasing.cheapest, quotes_needed=purchasing.QUOTES_NEEDED),
        status)


@bp.post("/lines/<int:line_id>/quotes")
def add_quote(line_id: int):
    store = current_store()
    order_id = purchasing._line(line_id, store.id).order_id
    form = QuoteForm()
    quote, refused = _attempt(lambda: purchasing.add_quote(
        line_id, store_id=store.id, supplier_id=form.supplier_id.data, unit_cost=form.unit_cost.data,
        lead_days=form.lead_days.data), form)
    if _is_htmx():
        if refused:
            return toast(_render_quotes(line_id, typed=form.typed(), refused=refused, status=_status(refused)),
                         refused.message)
        return toast(_render_quotes(line_id), _("Quote added."), "success")
    if refused:
        return _render_order(order_id, typed=form.typed(), refused=refused, status=_status(refused))
    flash(_("Quote added."), "success")
    return redirect(url_for(".order", order_id=order_id, _anchor=f"quotes-{line_id}"))


@bp.post("/quotes/<int:quote_id>/choose")
def choose_quote(quote_id: int):
    store = current_store()
    form = VersionForm()
    before = purchasing.quote_order_id(quote_id, store.id)
    line, refused = _attempt(lambda: purchasing.choose_quote(quote_id, store_id=store.id, actor_id=current_user.id,
                                                            expected_version=form.version.data), form)
    if refused:
        flash(str(refused.message), "error")
        return redirect(url_for(".order", order_id=before) if before else url_for(".orders"))
    if line.order_id != before:
        flash(_("%(number)s moved to purchase order %(order)s of %(supplier)s, at the chosen quote.",
                number=line.part.number, order=line.order.number,
                supplier=line.order.supplier.name if line.order.supplier else "—"), "success")
    else:
        flash(_("Unit cost set from the chosen quote."), "success")
    return redirect(url_for(".order", order_id=line.order_id, _anchor=f"quotes-{line.id}"))


# ------------------------------------------------------------------ receiving: intake and shelving

def _render_receipt(receipt_id: int, *, typed=None, refused: DomainError | None = None, status: int = 200):
    store = current_store()
    return render_template("parts/purchasing/receipt.html", receipt=purchasing.receipt_page(receipt_id, store.id),
                           typed=typed or {}, refused=refused, Step=ReceiptStatus), status


@bp.get("/receipts/<int:receipt_id>")
def receipt(receipt_id: int):
    return _render_receipt(receipt_id)


@bp.post("/receipts/<int:receipt_id>/intake")
def intake(receipt_id: int):
    """Check 2: storekeeper and planner count good, damaged and wrong items."""
    store = current_store()
    form = IntakeForm()
    found, refused = _attempt(lambda: purchasing.check_intake(
        receipt_id, store_id=store.id, actor_id=current_user.id, counts=form.counts.data, note=form.note.data), form)
    if refused:
        return _render_receipt(receipt_id, typed=form.typed(), refused=refused, status=_status(refused))
    flash(_("Intake checked: shelve the good items in their bins."), "success")
    return redirect(url_for(".receipt", receipt_id=receipt_id))


@bp.post("/receipts/<int:receipt_id>/shelve")
def shelve(receipt_id: int):
    """Check 3: shelved; the good quantity is booked into stock (once, however often it is sent)."""
    store = current_store()
    done, refused = _attempt(lambda: purchasing.shelve(receipt_id, store_id=store.id, actor_id=current_user.id))
    if refused:
        flash(str(refused.message), "error")
        return redirect(url_for(".receipt", receipt_id=receipt_id))
    flash(_("Shelved and booked into stock."), "success")
    return redirect(url_for(".receipt", receipt_id=receipt_id))


# ------------------------------------------------------------------ discrepancies (差损单)

@bp.get("/discrepancies")
def discrepancies():
    store = current_store()
    rows = purchasing.discrepancy_list(store.id)
    return render_template("parts/purchasing/discrepancies.html", rows=rows,
                           open_count=sum(1 for d in rows if d.status in (ClaimStatus.OPEN, ClaimStatus.CLAIMED)),
                           outcomes=purchasing.CLAIM_OUTCOMES)


def _disc_answer(discrepancy_id: int, form, action, done: str):
    store = current_store()
    _result, refused = _attempt(action, form)
    if _is_htmx():
        row = purchasing.discrepancy_row(discrepancy_id, store.id)
        body = render_template("parts/purchasing/_disc.html", d=row, outcomes=purchasing.CLAIM_OUTCOMES,
                               typed=form.typed() if refused else {}, refused=refused)
        if refused:
            return toast(make_response(body, _status(refused)), refused.message)
        return toast(make_response(body), done, "success")
    flash(str(refused.message) if refused else done, "error" if refused else "success")
    return redirect(url_for(".discrepancies", _anchor=f"disc-{discrepancy_id}"))


@bp.post("/discrepancies/<int:discrepancy_id>/claim")
def claim(discrepancy_id: int):
    store = current_store()
    form = ClaimForm()
    return _disc_answer(discrepancy_id, form, lambda: purchasing.claim(
        discrepancy_id, store_id=store.id, actor_id=current_user.id, reference=form.claim_reference.data),
        _("Claimed from the supplier."))


@bp.post("/discrepancies/<int:discrepancy_id>/settle")
def settle(discrepancy_id: int):
    store = current_store()
    form = SettleForm()
    return _disc_answer(discrepancy_id, form, lambda: purchasing.settle(
        discrepancy_id, form.outcome.data, store_id=store.id, actor_id=current_user.id,
        note=form.outcome_note.data), _("Claim closed."))


@bp.post("/discrepancies/<int:discrepancy_id>/photos")
def add_photos(discrepancy_id: int):
    store = current_store()
    folder = current_app.config["PHOTO_FOLDER"]
    form = PhotosForm()
    _photos, refused = _attempt(lambda: purchasing.attach_photos(
        discrepancy_id, form.photos.data, store_id=store.id, actor_id=current_user.id, folder=folder), form)
    flash(str(refused.message) if refused else _("Photo added."), "error" if refused else "success")
    return redirect(url_for(".discrepancies", _anchor=f"disc-{discrepancy_id}"))
