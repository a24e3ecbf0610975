"""The key tags and their printed QR labels."""
from __future__ import annotations

import functools

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.keys import services
from intranet.keys.forms import TagRangeForm
from intranet.web import current_store, run_action, run_form

tags_bp = guard(Blueprint("key_tags", __name__, url_prefix="/keys/tags"), Role.DIRECTOR, Role.ADVISOR, Role.ADMIN)


def _tags_page(form: TagRangeForm, *, error=None, status: int = 200):
    return render_template("keys/tags.html", tags=services.all_tags(current_store().id), form=form,
                           error=error), status


@tags_bp.get("/")
def tags():
    return _tags_page(TagRangeForm())


@tags_bp.post("/")
def add_tags():
    store = current_store()
    form = TagRangeForm()
    outcome = run_form(form, lambda: services.add_tags(store.id, form.first.data, form.last.data))
    if outcome.done:
        flash(_("%(n)d key tags added.", n=len(outcome.result)) if outcome.result
              else _("Those tags are already there."), "success")
        return redirect(url_for(".tags"))
    return _tags_page(form, error=outcome.error, status=outcome.status)


@tags_bp.post("/<int:tag_id>/<any(retire, restore):action>")
def set_active(tag_id: int, action: str):
    store = current_store()
    run_action(lambda: services.set_tag_active(store.id, tag_id, action == "restore"),
               _("Tag retired.") if action == "retire" else _("Tag back in use."))
    return redirect(url_for(".tags"))


QR_MASK = 2  # a fixed mask pattern: segno otherwise tries all eight (three quarters of a label's cost)


@functools.lru_cache(maxsize=4096)
def _qr_svg(text: str) -> str:
    """A tag's QR code (its page's address never changes, so each is drawn once per process)."""
    return segno.make(text, error="m", mask=QR_MASK).svg_inline(scale=3, border=1)


@tags_bp.get("/labels")
def labels():
    """A sheet of labels to print: each tag's number and the QR code of its page's address."""
    store = current_store()
    first, last = services.normalize_code(request.args.get("first")), services.normalize_code(request.args.get("last"))
    chosen = [t for t in services.all_tags(store.id) if t.active
              and (not first or (len(t.code), t.code) >= (len(first), first))
              and (not last or (len(t.code), t.code) <= (len(last), last))]
    labels = [(t.code, _qr_svg(url_for("keys.tag", code=t.code, _external=True))) for t in chosen]
    return render_template("keys/labels.html", labels=labels, first=first, last=last, store=store)
