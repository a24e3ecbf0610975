"""Who may open what. Each blueprint declares its roles once with `guard(bp, ...)`; a single
check before every request enforces it. A view that is neither guarded nor marked `public`
is refused (and fails the access-matrix test), so a forgotten check cannot ship."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from intranet.core.models import Role
from intranet.web.htmx import is_htmx_request

EVERY_ROLE = frozenset(Role)
_blueprint_roles: dict[str, frozenset[Role]] = {}


def guard(bp: Blueprint, *roles: Role) -> Blueprint:
    """Only signed-in users holding one of `roles` (none given: any role) may use `bp`."""
    _blueprint_roles[bp.name] = frozenset(roles) or EVERY_ROLE
    return bp


def public(view):
    """Mark a view as open to everybody (login page, health check)."""
    view.is_public = True
    return view


def is_public(endpoint: str) -> bool:
    if endpoint == "static":
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def roles_for(endpoint: str) -> frozenset[Role] | None:
    """The roles that may open `endpoint`; None when it has no declared rule."""
    blueprint = endpoint.rpartition(".")[0]
    return _blueprint_roles.get(blueprint)


def can_open(user, endpoint: str) -> bool:
    if is_public(endpoint):
        return True
    roles = roles_for(endpoint)
    return bool(roles and user.is_authenticated and user.has_role(*roles))


def login_redirect():
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx_request():
        # htmx would otherwise swap the login page into a table cell.
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def enforce_access():
    endpoint = request.endpoint
    if endpoint is None or is_public(endpoint):
        return None
    roles = roles_for(endpoint)
    if roles is None:
        current_app.logger.error("View %s has no access rule; refused", endpoint)
        abort(403)
    if not current_user.is_authenticated:
        return login_redirect()
    if not current_user.has_role(*roles):
        abort(403)
    return None
