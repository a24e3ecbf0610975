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

from flask import Flask

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
    context.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
