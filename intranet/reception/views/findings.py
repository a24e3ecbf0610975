"""Findings during repair: reported from the floor, answered by the advisor, declined work taken up."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet import clock
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception import services
from intranet.reception.forms import AnswerForm, FindingForm
from intranet.reception.models import Finding
from intranet.reception.views.common import _load, bp, findings_bp
from intranet.reception.views.repair_order import _header_form, _page
from intranet.web import current_store, run_action, run_form


# ------------------------------------------------------------------ findings


@bp.post("/findings/<int:finding_id>/answer")
def answer_finding(finding_id: int):
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.store_id != current_store().id:
        abort(404)
    form = AnswerForm()
    approved = form.decision.data == "approve"
    store = current_store()
    promised = (clock.store_local_to_utc(form.promised_at.data, store.timezone)
                if form.validate_on_submit() and form.promised_at.data else None)
    try:
        services.answer_finding(finding_id, store_id=store.id, actor_id=current_user.id, approved=approved,
                                channel=form.channel.data, decline_reason=form.decline_reason.data,
                                promised_at=promised)
    except DomainError as refused:
        db.session.rollback()
        ro = _load(finding.repair_order_id)
        return _page(ro, _header_form(ro), answer_errors={finding_id: refused.message}, status=422)
    db.session.commit()
    flash(_("Customer's answer recorded: %(answer)s.", answer=_("approved") if approved else _("declined")),
          "success")
    return redirect(url_for("reception.repair_order", ro_id=finding.repair_order_id) + "#findings")


@bp.post("/ro/<int:ro_id>/declined/<int:finding_id>")
def take_up_declined(ro_id: int, finding_id: int):
    run_action(lambda: services.take_up_declined(finding_id, ro_id, store_id=current_store().id,
                                                 actor_id=current_user.id),
               _("Declined work added to this repair order."))
    return redirect(url_for("reception.repair_order", ro_id=ro_id) + "#lines")


@findings_bp.route("/new/<int:ro_id>", methods=["GET", "POST"])
def report(ro_id: int):
    ro = _load(ro_id)
    form = FindingForm()
    outcome = run_form(form, lambda: services.report_finding(
        ro_id, store_id=ro.store_id, actor_id=current_user.id, description=form.description.data,
        labour_hours=form.labour_hours.data, parts_description=form.parts_description.data,
        parts_amount=form.parts_amount.data, photos=[f for f in request.files.getlist("photos") if f.filename],
        photo_folder=current_app.config["PHOTO_FOLDER"]))
    if outcome.done:
        flash(_("Finding sent to the advisor of %(number)s.", number=ro.number), "success")
        back = request.args.get("next", "")
        if back.startswith("/") and not back.startswith("//"):  # back to the technician's jobs
            return redirect(back)
        return redirect(url_for("core.vehicle", vehicle_id=ro.vehicle_id))
    return render_template("reception/finding_form.html", form=form, ro=ro, error=outcome.error), outcome.status
