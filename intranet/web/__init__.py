"""Request plumbing shared by every page, below the sign-in (`auth`) and the areas:

- `context`: the language, the signed-in person, their active role and store;
- `htmx`: the one meaning of "an htmx request", toasts and client events;
- `forms`: one service call as one unit of work, refusals next to their fields;
- `errors`: the error pages and toasts;
- `filters`: template filters, and `add_label_filters` by which each area adds its enums' labels;
- `panels`: the registry of "my day" panels the areas offer.

The names areas use are re-exported here (`from intranet.web import current_store, run_form, toast`).
"""
from __future__ import annotations

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from intranet.core import audit
from intranet.web import context, errors, filters
from intranet.web.context import active_role, current_store, select_locale
from intranet.web.filters import add_label_filters, minutes_text
from intranet.web.forms import (
    FormOutcome, attach_error, form_int, one_time_token, period_from_args, run_action, run_form,
)
from intranet.web.htmx import add_trigger, is_htmx_request, toast

__all__ = ["FormOutcome", "active_role", "add_label_filters", "add_trigger", "attach_error", "current_store",
           "form_int", "init_app", "is_htmx_request", "minutes_text", "one_time_token", "period_from_args",
           "run_action", "run_form", "select_locale", "toast"]


def init_app(app: Flask) -> None:
    trusted = int(app.config.get("TRUSTED_PROXIES") or 0)
    if trusted:
        # Behind nginx (or another proxy we run) the client's address, scheme and host arrive in
        # X-Forwarded-*: trust exactly that many hops, so sign-in throttling and the audit log see
        # each tablet's own address, not the proxy's — and a client cannot forge one.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted, x_port=trusted)
    audit.watch_settings()

    @app.before_request
    def tell_the_audit_log_who_acts():
        if request.endpoint in (None, "static"):  # no user to load for a file
            return
        g.audit_origin = audit.acting_as(audit.Origin(
            actor_id=current_user.id if current_user.is_authenticated else None,
            address=request.remote_addr or None, saving=request.method == "POST"))

    @app.teardown_request
    def forget_who_acted(_error=None):
        token = g.pop("audit_origin", None)
        if token is not None:
            audit.reset(token)
    context.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
