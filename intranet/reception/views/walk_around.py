"""The walk-around check: damage by panel, fuel, valuables, the customer's signature."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.core.billing import totals
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception import services
from intranet.reception.models import DAMAGE_KINDS, PANELS
from intranet.reception.views.common import _load, bp
from intranet.web import current_store
from intranet.web.forms import form_int, png_from_data_url


# ------------------------------------------------------------------ walk-around


def _marks_from(form) -> list[dict]:
    """Damage rows posted as mark-<n>-panel / -kind / -note and file mark-<n>-photo."""
    marks = []
    for key in sorted(k for k in form if k.startswith("mark-") and k.endswith("-panel")):
        n = key[len("mark-"):-len("-panel")]
        if not form.get(key):
            continue
        upload = request.files.get(f"mark-{n}-photo")
        marks.append({"panel": form.get(key), "kind": form.get(f"mark-{n}-kind"), "note": form.get(f"mark-{n}-note"),
                      "photo": upload if upload and upload.filename else None})
    return marks


@bp.route("/ro/<int:ro_id>/walk-around", methods=["GET", "POST"])
def walk_around(ro_id: int):
    ro = _load(ro_id)
    check = services.walk_around_of(ro.id)
    error = None
    if request.method == "POST":
        try:
            png = png_from_data_url(request.form.get("signature"), "signature")
            services.record_walk_around(
                ro.id, store_id=ro.store_id, actor_id=current_user.id,
                fuel_eighths=form_int("fuel_eighths"), valuables=request.form.get("valuables"),
                interior_note=request.form.get("interior_note"), marks=_marks_from(request.form),
                signature_png=png, signed_name=request.form.get("signed_name"),
                photo_folder=current_app.config["PHOTO_FOLDER"])
        except DomainError as refused:
            db.session.rollback()
            error = refused.message
        else:
            db.session.commit()
            flash(_("Walk-around saved."), "success")
            return redirect(url_for("reception.repair_order", ro_id=ro.id))
    return render_template("reception/walk_around.html", ro=ro, check=check, panels=PANELS, kinds=DAMAGE_KINDS,
                           error=error, ro_total=totals(ro.lines, current_store().tax_rate).gross), (
        422 if error else 200)
