"""Write-offs (报损): requested with photos, signed by three roles (blueprint "write_offs")."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts import writeoffs
from intranet.parts.forms import RefuseWriteOffForm, SignWriteOffForm, WriteOffForm
from intranet.web import current_store, run_action

write_offs_bp = guard(Blueprint("write_offs", __name__, url_prefix="/parts/write-offs"),
                      Role.PARTS, Role.DIRECTOR, Role.WARRANTY)


@write_offs_bp.get("/", endpoint="index")
def write_off_list():
    store = current_store()
    rows = writeoffs.list_write_offs(store.id)
    return render_template("parts/counts/write_offs.html", rows=rows,
                           photos=writeoffs.photos_of([w.id for w in rows]),
                           signable={w.id: writeoffs.may_sign(w, current_user) for w in rows},
                           missing={w.id: writeoffs.missing_signatures(w) for w in rows},
                           labels=writeoffs.SIGNATURE_LABELS, signatures=writeoffs.SIGNATURES,
                           is_signatory=writeoffs.is_signatory(current_user))


@write_offs_bp.route("/new", methods=["GET", "POST"])
def new():
    store = current_store()
    error, typed = None, {}
    if request.method == "POST":
        form = WriteOffForm()
        typed = {"part_number": form.part_number.data, "quantity": form.quantity.data, "reason": form.reason.data}
        try:
            form.check()
            writeoffs.request_write_off(store_id=store.id, actor_id=current_user.id,
                                        part_number=form.part_number.data, quantity=form.quantity.data,
                                        reason=form.reason.data, photos=form.photos.data,
                                        photo_folder=current_app.config["PHOTO_FOLDER"])
        except DomainError as refused:
            db.session.rollback()
            error = refused
        else:
            db.session.commit()
            flash(_("Write-off requested: it waits for the three signatures."), "success")
            return redirect(url_for("write_offs.index"))
    elif request.args.get("part_number"):
        typed["part_number"] = request.args["part_number"]
    html = render_template("parts/counts/write_off_form.html", typed=typed,
                           error=error.message if error else None, field=error.field if error else None)
    return make_response(html, 422 if error else 200)


@write_offs_bp.post("/<int:write_off_id>/sign")
def sign(write_off_id: int):
    store = current_store()
    form = SignWriteOffForm()
    run_action(lambda: writeoffs.approve_write_off(write_off_id, store_id=store.id, actor_id=current_user.id,
                                                   role=form.role.data), _("Signed."))
    return redirect(url_for("write_offs.index") + f"#write-off-{write_off_id}")


@write_offs_bp.post("/<int:write_off_id>/refuse")
def refuse(write_off_id: int):
    store = current_store()
    form = RefuseWriteOffForm()
    run_action(lambda: writeoffs.refuse_write_off(write_off_id, store_id=store.id, actor_id=current_user.id,
                                                  reason=form.refusal.data), _("Write-off refused."))
    return redirect(url_for("write_offs.index") + f"#write-off-{write_off_id}")
