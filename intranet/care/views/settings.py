"""The store's customer-care settings (the director, the administrator)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intranet.auth.access import guard
from intranet.care.forms import CareSettingsForm
from intranet.care.settings import (
    DAYS_HINT, GROUPS, SETTINGS, SettingsRefused, recent_changes, save_care_settings, settings_for, shown_values,
    supervisor_choices,
)
from intranet.core.models import Role
from intranet.extensions import db
from intranet.web import current_store

settings_bp = guard(Blueprint("care_settings", __name__, url_prefix="/care/settings"), Role.DIRECTOR, Role.ADMIN)
BLUEPRINTS = [settings_bp]


@settings_bp.route("/", methods=["GET", "POST"], endpoint="page")
def settings_page():
    store = current_store()
    errors, error = {}, None
    if request.method == "POST":
        form = CareSettingsForm()
        values = form.values()
        try:
            form.check()
            save_care_settings(store.id, values)
        except SettingsRefused as refused:
            db.session.rollback()
            errors, error = refused.errors, refused.message
        else:
            db.session.commit()
            flash(_("Customer-care settings saved."), "success")
            return redirect(url_for(".page"))
    else:
        values = shown_values(settings_for(store.id))
        db.session.commit()  # the row is made on first use
    return render_template("care/settings.html", settings=SETTINGS, groups=GROUPS, values=values, errors=errors,
                           error=error, supervisors=supervisor_choices(store.id), days_hint=DAYS_HINT,
                           changes=recent_changes(store.id)), 422 if error else 200
