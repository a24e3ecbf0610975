"""Who may open what. Each blueprint declares its roles once with `guard(bp, ...)`; a single
check before every request enforces it. A view that is neither guarded nor marked `public`
is refused (and fails the access-matrix test), so a forgotten check cannot ship.

A page that more people may read than may change what its blueprint keeps (the repair order for
management and the accident desk) says so on the view with `readers(...)`, optionally with a rule
about the object it shows. Templates ask `can_open(endpoint)` or `can_open(endpoint, thing)` before
offering a link, so a page never offers one its reader is refused."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from intranet.core.models import InsurerPayment, PayType, RepairOrder, Role
from intranet.extensions import db
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


def readers(*roles: Role, may_read: Callable[[object, object], bool] | None = None):
    """Let `roles` also open this view of a guarded blueprint (a page they read, not the forms
    behind it). `may_read(user, thing)`, when given, says which things they may read; the view
    checks it with `require(...)` once it has loaded the thing, and links ask `can_open(endpoint, thing)`."""
    def mark(view):
        view.reader_roles = frozenset(roles)
        view.may_read = may_read
        return view

    return mark


def _view(endpoint: str):
    try:
        return current_app.view_functions.get(endpoint)
    except RuntimeError:  # outside an application (the rules are read before one exists)
        return None


def blueprint_roles(endpoint: str) -> frozenset[Role] | None:
    """The roles of the blueprint `endpoint` belongs to: those who use it fully."""
    return _blueprint_roles.get(endpoint.rpartition(".")[0])


def roles_for(endpoint: str) -> frozenset[Role] | None:
    """The roles that may open `endpoint` (its blueprint's and its readers'); None when it has no
    declared rule."""
    roles = blueprint_roles(endpoint)
    if roles is None:
        return None
    return roles | getattr(_view(endpoint), "reader_roles", frozenset())


def can_open(user, endpoint: str, thing=None) -> bool:
    """Whether `user` may open `endpoint` — showing `thing`, when given (a reader's rule about it)."""
    if is_public(endpoint):
        return True
    roles = roles_for(endpoint)
    if not (roles and user.is_authenticated and user.has_role(*roles)):
        return False
    if thing is None or user.has_role(*blueprint_roles(endpoint)):
        return True
    may_read = getattr(_view(endpoint), "may_read", None)
    return may_read is None or bool(may_read(user, thing))


def can_change(user, endpoint: str) -> bool:
    """Whether `user` uses `endpoint`'s blueprint fully (not only reads a page of it)."""
    roles = blueprint_roles(endpoint)
    return bool(roles and user.is_authenticated and user.has_role(*roles))


def require(user, endpoint: str, thing) -> None:
    """Refuse (403) a reader whose rule does not cover `thing`."""
    if not can_open(user, endpoint, thing):
        abort(403)


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


# ---------------------------------------------------------------- a customer's mobile and address
# Need to know: those who talk to customers see how to reach them (advisors, customer care, the
# director and management, the administrator who keeps the files); the accident desk for the
# customers whose insurance cars it handles. The workshop, the parts store and the warranty clerk
# see the car, the job and the customer's name, with the mobile masked and no address.
CONTACT_ROLES = frozenset({Role.ADVISOR, Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADMIN})


def insurance_case(ro: RepairOrder) -> bool:
    """A repair order the accident desk handles: an insurer pays, or a claim is on it."""
    return bool(ro.pay_type == PayType.INSURANCE or ro.insurer or ro.claim_number
                or ro.insurer_payment != InsurerPayment.NONE)


def insurance_case_clause():
    """`insurance_case` as SQL, for lists."""
    return or_(RepairOrder.pay_type == PayType.INSURANCE, RepairOrder.insurer.is_not(None),
               RepairOrder.claim_number.is_not(None), RepairOrder.insurer_payment != InsurerPayment.NONE)


def sees_all_contacts(user) -> bool:
    return bool(user.is_authenticated and user.has_role(*CONTACT_ROLES))


def contacts_shown(user, customer_ids) -> set[int]:
    """Of `customer_ids`, those whose mobile and address `user` may read (one query at most)."""
    ids = {i for i in customer_ids if i}
    if not ids or not user.is_authenticated:
        return set()
    if user.has_role(*CONTACT_ROLES):
        return ids
    if user.has_role(Role.ACCIDENT):
        return set(db.session.scalars(select(RepairOrder.customer_id).distinct().where(
            RepairOrder.customer_id.in_(ids), RepairOrder.store_id == user.store_id, insurance_case_clause())))
    return set()


def mask_mobile(mobile: str | None) -> str:
    """138****5678: enough to tell two customers apart on the floor, not enough to call."""
    if not mobile:
        return ""
    digits = str(mobile)
    if len(digits) <= 4:
        return "*" * len(digits)
    keep = 3 if len(digits) >= 11 else 0
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]
