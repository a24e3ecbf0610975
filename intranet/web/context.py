"""Who is asking, in which language, for which store, wearing which role."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, has_request_context, session
from markupsafe import Markup
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from intranet.core.models import Role, Store, User
from intranet.core.notices import unread_count
from intranet.extensions import db, login_manager


# On every answer: no other site frames a page (clickjacking), no content is sniffed into another
# type, no address leaves the intranet in a Referer, and forms post only to the intranet. Scripts
# come only from the intranet's own static files: no inline <script>, no on…= handlers, no eval (so
# no hx-on and no [filters] in hx-trigger; static/js/app.js gives data- attributes their behaviour,
# and htmx is told not to inject its indicator styles). Inline styles stay allowed: the bars and
# the digest's e-mail (shown in an iframe) are styled by style attributes.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "frame-src 'self'",
    "worker-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


_USER_WITH_ROLES = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("user_id"))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The person of a session or remember-me cookie ("<id>.<session version>"): none when the account
    is disabled (signed out at once) or its sessions were ended (sign-out, a new password)."""
    user_key, _, version = (user_id or "").partition(".")
    if not (user_key.isdigit() and version.isdigit() and len(user_key) <= 12 and len(version) <= 9):
        return None
    # One statement for the person, their store and their roles (a get() sends a second for the roles),
    # read afresh on every request: a disabled account or an ended session is refused at once.
    user = db.session.scalars(_USER_WITH_ROLES, {"user_id": int(user_key)}).unique().one_or_none()
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def active_role() -> Role | None:
    if not current_user.is_authenticated:
        return None
    roles = current_user.roles
    chosen = session.get("role")
    return Role(chosen) if chosen in roles else (roles[0] if roles else None)


def current_store() -> Store | None:
    if "store" not in g:
        g.store = current_user.store if current_user.is_authenticated else db.session.scalar(
            db.select(Store).order_by(Store.id).limit(1))
    return g.store


def _unread_notices() -> int:
    return unread_count(current_user.id) if current_user.is_authenticated else 0


def hidden_fields(form) -> Markup:
    """A form's hidden fields (its CSRF token among them) without their ids: a page with two forms
    would otherwise carry id="csrf_token" twice. Used instead of form.hidden_tag()."""
    return Markup("").join(field(id=False) for field in form
                           if field.type in ("HiddenField", "CSRFTokenField"))


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DURATION_DAYS"])

    @app.after_request
    def vary_on_htmx(response):
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.context_processor
    def layout_context():
        return {
            "active_role": active_role(),
            "store": current_store() if current_user.is_authenticated else None,
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "unread_notices": _unread_notices,  # called by the page layout only, never by fragments
            "Role": Role,
            "hidden_fields": hidden_fields,
        }
