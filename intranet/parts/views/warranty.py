"""The warranty clerk's sign-offs and the old parts (blueprint "warranty_parts")."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.parts import services
from intranet.parts.forms import OldPartForm
from intranet.parts.models import OldPartStatus
from intranet.web import current_store, run_action

warranty_bp = guard(Blueprint("warranty_parts", __name__, url_prefix="/parts/warranty"),
                    Role.WARRANTY, Role.PARTS, Role.DIRECTOR)


@warranty_bp.get("/")
def sign_offs():
    store = current_store()
    return render_template("parts/warranty.html", requests=services.warranty_waiting(store.id))


@warranty_bp.post("/requests/<int:request_id>/sign")
def sign(request_id: int):
    store = current_store()
    run_action(lambda: services.sign_warranty(request_id, store_id=store.id, actor=current_user),
               _("Signed off: the counter can issue it."))
    return redirect(url_for(".sign_offs"))


@warranty_bp.get("/old-parts")
def old_parts():
    store = current_store()
    which = request.args.get("show", "warranty")
    rows = services.old_parts(store.id, warranty=True if which == "warranty" else None,
                              open_only=request.args.get("closed") != "1")
    return render_template("parts/old_parts.html", rows=rows, which=which, closed=request.args.get("closed") == "1",
                           statuses=[s for s in OldPartStatus if s != OldPartStatus.HELD])


@warranty_bp.post("/old-parts/<int:old_part_id>")
def move_old_part(old_part_id: int):
    store = current_store()
    form = OldPartForm()
    run_action(lambda: services.close_old_part(old_part_id, form.to.data, store_id=store.id, actor=current_user,
                                               claim_number=form.claim_number.data, note=form.note.data),
               _("Recorded."))
    return redirect(url_for(".old_parts", show=form.show.data))
