"""Settlement and delivery: the bill by payer, payments, the delivery checklist, the printed and PDF
repair order."""
from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.core.models import RepairOrder
from intranet.reception import documents, services, settlement
from intranet.reception.forms import DeliveryForm, PaymentForm
from intranet.reception.views.common import _load, bp
from intranet.web import current_store, run_form


# ------------------------------------------------------------------ settlement, delivery, print


def _settle_page(ro: RepairOrder, *, payment_form=None, delivery_form=None, error=None, status: int = 200):
    return render_template(
        "reception/settle.html", ro=ro, bill=settlement.settlement(ro), payments=settlement.payments_of(ro.id),
        payment_form=payment_form or PaymentForm(payer="customer"), delivery_form=delivery_form or DeliveryForm(),
        delivery=settlement.delivery_of(ro.id), waiting=[f for f in services.findings_on(ro.id)
                                                          if f.status == "waiting"], error=error), status


@bp.get("/ro/<int:ro_id>/settle")
def settle(ro_id: int):
    return _settle_page(_load(ro_id))


@bp.post("/ro/<int:ro_id>/payments")
def record_payment(ro_id: int):
    form = PaymentForm()
    outcome = run_form(form, lambda: settlement.record_payment(
        ro_id, store_id=current_store().id, actor_id=current_user.id, payer=form.payer.data,
        method=form.method.data, amount=form.amount.data, reference=form.reference.data, token=form.token.data))
    if outcome.done:
        flash(_("Payment of %(amount)s recorded.", amount=f"¥{outcome.result.amount:,.2f}"), "success")
        return redirect(url_for("reception.settle", ro_id=ro_id))
    return _settle_page(_load(ro_id), payment_form=form, error=outcome.error, status=outcome.status)


@bp.post("/ro/<int:ro_id>/deliver")
def deliver(ro_id: int):
    form = DeliveryForm()
    outcome = run_form(form, lambda: settlement.deliver(
        ro_id, store_id=current_store().id, actor_id=current_user.id, work_explained=form.work_explained.data,
        old_parts=form.old_parts.data, car_clean=form.car_clean.data, keys_returned=form.keys_returned.data,
        note=form.note.data))
    if outcome.done:
        ro = _load(ro_id)
        flash(_("%(plate)s handed back. Thank the customer!", plate=ro.vehicle.plate), "success")
        return redirect(url_for("reception.repair_order", ro_id=ro_id))
    return _settle_page(_load(ro_id), delivery_form=form, error=outcome.error, status=outcome.status)


def _qr_svg(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=3, border=1)


def _sheet(ro_id: int) -> documents.PrintSheet:
    return documents.print_sheet(_load(ro_id), store=current_store(), photo_folder=current_app.config["PHOTO_FOLDER"])


@bp.get("/ro/<int:ro_id>/print")
def print_repair_order(ro_id: int):
    sheet = _sheet(ro_id)
    return render_template("reception/print.html", sheet=sheet, ro=sheet.ro, bill=sheet.bill,
                           payments=sheet.payments, delivery=sheet.delivery, findings=sheet.findings,
                           check=sheet.check, qr=_qr_svg(sheet.ro.number), store=sheet.store,
                           fuel_text=documents.fuel_text)


@bp.get("/ro/<int:ro_id>/document.pdf")
def repair_order_pdf(ro_id: int):
    sheet = _sheet(ro_id)
    ro = sheet.ro
    pdf = documents.repair_order_pdf(sheet)
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{ro.number}.pdf"'
    return response
