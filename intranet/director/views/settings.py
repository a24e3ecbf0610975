"""The director's numbers (the director, the administrator): corrective actions' due times and
escalation, when keys still out are reported, insurer contact targets, the form-quality thresholds,
the closing round's spot checks — with the last changes, who made them and when."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intranet.auth.access import guard
from intranet.core.models import Role
from intranet.director.forms import DirectorSettingsForm
from intranet.director.settings import (
    GROUPS, SETTINGS, SettingsRefused, recent_changes, save_director_settings, settings_for, shown_values,
)
from intranet.extensions import db
from intranet.web import current_store

bp = guard(Blueprint("director_settings", __name__, url_prefix="/director/settings"), Role.DIRECTOR, Role.ADMIN)


@bp.route("/", methods=["GET", "POST"], endpoint="page")
def settings_page():
    store = current_store()
    errors, error = {}, None
    if request.method == "POST":
        form = DirectorSettingsForm()
        values = form.values()
        try:  # the CSRF token is checked before the view (CSRFProtect)
            save_director_settings(store.id, values)
        except SettingsRefused as refused:
            db.session.rollback()
            errors, error = refused.errors, refused.message
        else:
            db.session.commit()
            flash(_("The director's settings are saved."), "success")
            return redirect(url_for(".page"))
    else:
        values = shown_values(settings_for(store.id))
        db.session.commit()  # the row is made on first use
    return render_template("director/settings.html", settings=SETTINGS, groups=GROUPS, values=values, errors=errors,
                           error=error, changes=recent_changes(store.id)), 422 if error else 200
