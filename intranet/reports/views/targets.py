"""The store's KPI targets: each KPI's own target, or the default (blueprint "kpi_targets")."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.extensions import db
from intranet.reports import kpis
from intranet.reports.forms import targets_form
from intranet.web import current_store

targets_bp = guard(Blueprint("kpi_targets", __name__, url_prefix="/reports/targets"), Role.DIRECTOR, Role.ADMIN)


@dataclass
class TargetRow:
    kpi: kpis.Kpi
    own: Decimal | None
    typed: str
    error: object = None


def _target_groups(rows: dict[str, TargetRow]) -> list[tuple[object, list[TargetRow]]]:
    groups, seen = [], set()
    for title, keys in kpis.GROUPS:
        found = [rows[k] for k in keys if k in rows and k not in seen]
        seen.update(keys)
        if found:
            groups.append((title, found))
    rest = [row for key, row in rows.items() if key not in seen]
    if rest:
        groups.append((_l("Other"), rest))
    return groups


@targets_bp.route("/", methods=["GET", "POST"], endpoint="page")
def targets_page():
    store = current_store()
    own = kpis.targets(store.id)
    defaults = {key: kpi.default_target for key, kpi in kpis.KPIS.items()}
    rows = {}
    for key, kpi in kpis.KPIS.items():
        value = own.get(key)
        is_own = value is not None and value != defaults[key]
        rows[key] = TargetRow(kpi, value if is_own else None, _plain(value) if is_own else "")
    if request.method == "GET":
        return render_template("reports/dashboard/targets.html", groups=_target_groups(rows))
    form = targets_form()
    failed = not form.validate()
    chosen = {}
    for key, row in rows.items():
        field = form.target(key)
        row.typed, chosen[key] = field.text, field.data
        row.error = field.errors[0] if field.errors else None
    if failed:
        return render_template("reports/dashboard/targets.html", groups=_target_groups(rows),
                               error=_("Some targets were not saved: see the fields marked below.")), 422
    changed = 0
    for key, value in chosen.items():
        current = rows[key].own
        if value != current:
            kpis.set_target(store.id, key, value)
            changed += 1
    db.session.commit()
    flash(_("Targets saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".page"))


def _plain(value) -> str:
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
