from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from intranet.auth.access import guard, public
from intranet.auth.forms import LoginForm
from intranet.auth.services import LoginRefused, authenticate
from intranet.core.audit import AuditKind, record
from intranet.core.models import Role
from intranet.extensions import db

bp = guard(Blueprint("auth", __name__))


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = authenticate(
                form.username.data, form.password.data,
                address=request.remote_addr or "?",
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                window=timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]),
            )
        except LoginRefused as refused:
            db.session.commit()  # keep the failure on record: it is what throttles guessing
            error = refused.message
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session.pop("role", None)
            if user.locale and "locale" not in session:
                session["locale"] = user.locale
            return redirect(_safe_next(request.args.get("next")) or url_for("core.home"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        current_user.end_sessions()  # a copied session or remember-me cookie no longer signs anyone in
        record(AuditKind.SIGN_OUT, store_id=current_user.store_id, subject=current_user.username,
               actor_id=current_user.id)
        db.session.commit()
    logout_user()
    session.pop("role", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
@public
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or request.referrer or url_for("core.home"))


@bp.post("/role/<role>")
def switch_role(role: str):
    if role in current_user.roles:
        session["role"] = Role(role).value
    return redirect(url_for("core.home"))
