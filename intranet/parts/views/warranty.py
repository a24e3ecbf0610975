"""The warranty clerk's sign-offs and refusals, the counter's taking back of a warranty mark, and the
old parts (blueprint "warranty_parts")."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import RO_ON_SITE, Role
from intranet.core.services import commit_unit
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.parts import services
from intranet.parts.forms import OldPartForm
from intranet.parts.models import OldPartStatus
from intranet.parts.services import warranty as warranty_marks
from intranet.parts.views.counter import _counter_answer
from intranet.web import current_store, is_htmx_request, run_action

warranty_bp = guard(Blueprint("warranty_parts", __name__, url_prefix="/parts/warranty"),
                    Role.WARRANTY, Role.PARTS, Role.DIRECTOR)


def _sign_offs_page(errors: dict | None = None, typed: dict | None = None, status: int = 200):
    store = current_store()
    return render_template("parts/warranty.html", requests=services.warranty_waiting(store.id),
                           errors=errors or {}, typed=typed or {}), status


@warranty_bp.get("/")
def sign_offs():
    return _sign_offs_page()


@warranty_bp.post("/requests/<int:request_id>/sign")
def sign(request_id: int):
    store = current_store()
    run_action(lambda: services.sign_warranty(request_id, store_id=store.id, actor=current_user),
               _("Signed off: the counter can issue it."))
    return redirect(url_for(".sign_offs"))


@warranty_bp.post("/requests/<int:request_id>/refuse")
def refuse(request_id: int):
    """Not a warranty part: the reason goes to the advisor and the counter; a refusal keeps it typed."""
    store = current_store()
    reason = request.form.get("reason", "")
    try:
        commit_unit(lambda: warranty_marks.refuse_warranty(request_id, store_id=store.id, actor=current_user,
                                                           reason=reason))
    except DomainError as refused:
        db.session.rollback()
        return _sign_offs_page({request_id: refused.message}, {request_id: reason},
                               409 if isinstance(refused, Conflict) else 422)
    flash(_("Refused as a warranty part: the advisor and the counter are told."), "success")
    return redirect(url_for(".sign_offs"))


@warranty_bp.post("/requests/<int:request_id>/undo")
def undo_mark(request_id: int):
    """The counter takes back a wrong 索赔件 tap: from the counter's queue (htmx, the queue again) or
    from the old parts list, while the old part is still held."""
    store = current_store()

    def undo():
        return warranty_marks.undo_warranty_mark(request_id, store_id=store.id, actor=current_user,
                                                 note=request.form.get("note"))

    if is_htmx_request():
        return _counter_answer(request_id, undo, _("Warranty mark taken back."))
    run_action(undo, _("Warranty mark taken back."))
    return redirect(url_for(".old_parts", show=request.form.get("show", "warranty")))


@warranty_bp.get("/old-parts")
def old_parts():
    store = current_store()
    which = request.args.get("show", "warranty")
    rows = services.old_parts(store.id, warranty=True if which == "warranty" else None,
                              open_only=request.args.get("closed") != "1")
    return render_template("parts/old_parts.html", rows=rows, which=which, closed=request.args.get("closed") == "1",
                           statuses=[s for s in OldPartStatus if s != OldPartStatus.HELD],
                           may_undo=current_user.has_role(Role.PARTS, Role.DIRECTOR),
                           on_site={str(s) for s in RO_ON_SITE},  # a bill that can still change
                           history=warranty_marks.history(o.parts_request_id for o in rows if o.parts_request_id))


@warranty_bp.post("/old-parts/<int:old_part_id>")
def move_old_part(old_part_id: int):
    store = current_store()
    form = OldPartForm()
    run_action(lambda: services.close_old_part(old_part_id, form.to.data, store_id=store.id, actor=current_user,
                                               claim_number=form.claim_number.data, note=form.note.data),
               _("Recorded."))
    return redirect(url_for(".old_parts", show=form.show.data))
