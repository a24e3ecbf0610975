"""The checklists behind the rounds, their areas and the day's schedule of rounds."""
from __future__ import annotations

import math

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.director import rounds
from intranet.director.forms import AreaForm, ChecklistForm, SlotForm, checklist_form
from intranet.director.models import ItemKind
from intranet.director.views.shared import staff_of, whole
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.web import current_store, run_action

checklists_bp = guard(Blueprint("checklists", __name__, url_prefix="/director/checklists"), Role.DIRECTOR,
                      Role.ADMIN)

EMPTY_ROW = {"area": "", "text": "", "kind": "pass_fail", "weight": 1, "photo": False, "min": "", "max": "", "unit": ""}


@checklists_bp.get("/")
def index():
    store = current_store()
    versions = {t.id: rounds.current_version(t.id) for t in rounds.templates(store.id)}
    return render_template("director/checklists.html", templates=rounds.templates(store.id), versions=versions,
                           areas=rounds.areas(store.id, active_only=False), slots=rounds.slots(store.id, active_only=False),
                           staff=staff_of(store.id))


def _typed_rows(form: ChecklistForm) -> list[tuple[int, dict]]:
    """The rows with text, as typed, with their row number (an empty row is a row removed, or never used)."""
    rows = ((n, form.row(n)) for n in range(form.row_count))
    return [(n, row) for n, row in rows if (row["text"] or "").strip()]


def _position(typed, n: int) -> float:
    """Where a row goes: the number typed in its position box (2.5 puts it between 2 and 3), else where
    it stands; text or an endless number in the box leaves the row where it stands."""
    try:
        position = float(typed)
    except (TypeError, ValueError):
        return float(n)
    return position if math.isfinite(position) else float(n)


def _drafts(form: ChecklistForm) -> list[rounds.ItemDraft]:
    drafts = [(_position(row["position"], n), rounds.ItemDraft(
        area_id=row["area"], text=row["text"].strip(), kind=row["kind"] or ItemKind.PASS_FAIL,
        weight=row["weight"] or 1, photo_on_fail=row["photo"], min_value=row["min"], max_value=row["max"],
        unit=row["unit"])) for n, row in _typed_rows(form)]
    return [d for _p, d in sorted(drafts, key=lambda pair: pair[0])]


@checklists_bp.route("/new", methods=["GET", "POST"], endpoint="new")
@checklists_bp.route("/<int:template_id>", methods=["GET", "POST"])
def edit(template_id: int | None = None):
    store = current_store()
    template = None
    if template_id is not None:
        template = next((t for t in rounds.templates(store.id) if t.id == template_id), None)
        if template is None:
            abort(404)
    version = rounds.current_version(template.id) if template else None
    form = checklist_form()
    error, status = None, 200
    if request.method == "POST":
        try:
            saved = rounds.save_template(store.id, template_id=template_id, name=form.name.data or "",
                                         items=_drafts(form), actor_id=current_user.id, note=form.note.data)
        except DomainError as refused:
            db.session.rollback()
            error, status = refused.message, 422
        else:
            saved_template_id, number = saved.template_id, saved.number
            db.session.commit()
            flash(_("Saved as version %(n)d. Rounds already walked keep the version they used.", n=number), "success")
            return redirect(url_for("checklists.edit", template_id=saved_template_id))
    rows = [{**row, "text": row["text"] or ""} for _n, row in _typed_rows(form)] if request.method == "POST" else [
        {"area": i.area_id, "text": i.text, "kind": i.kind, "weight": i.weight, "photo": i.photo_on_fail,
         "min": i.min_value, "max": i.max_value, "unit": i.unit} for i in (version.items if version else [])]
    rows += [EMPTY_ROW] * 3
    html = render_template("director/checklist_form.html", template=template, version=version, rows=rows,
                           areas=rounds.areas(store.id), kinds=list(ItemKind), error=error,
                           name=form.name.data if request.method == "POST" else (template.name if template else ""))
    return make_response(html, status)


@checklists_bp.post("/areas")
def save_area():
    store = current_store()
    form = AreaForm()
    run_action(lambda: rounds.save_area(store.id, area_id=whole(form.area_id.data), name=form.name.data or "",
                                        owner_id=form.owner_id.data or None, active=form.active.data == "1"),
               _("Area saved."))
    return redirect(url_for("checklists.index") + "#areas")


@checklists_bp.post("/slots")
def save_slot():
    store = current_store()
    form = SlotForm()
    run_action(lambda: rounds.save_slot(store.id, slot_id=whole(form.slot_id.data), name=form.name.data or "",
                                        starts_at=form.starts_at.data, ends_at=form.ends_at.data,
                                        template_id=form.template_id.data, closing=form.closing.data,
                                        active=form.active.data == "1"),
               _("Schedule saved."))
    return redirect(url_for("checklists.index") + "#schedule")
