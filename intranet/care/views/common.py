"""What care's screens share: today and now in the store's time, the status a refusal answers
with, the page asked for, and where to go back to."""
from __future__ import annotations

from datetime import date, datetime

from flask import abort, request
from flask_login import current_user

from intranet import clock
from intranet.core.models import Role
from intranet.errors import Conflict, DomainError, NotFound
from intranet.web import current_store

# who works the outreach screens (reminders, messages, lapsed customers, events)
CARE_ROLES = (Role.CARE, Role.DIRECTOR, Role.MANAGER)


def today() -> date:
    return clock.store_today(current_store().timezone)


def local_now() -> datetime:
    """Now on the store's clock, without a time zone (what a datetime-local input shows)."""
    return clock.to_store_time(clock.utcnow(), current_store().timezone).replace(tzinfo=None)


def refusal_status(refused: DomainError) -> int:
    """409 for a change made meanwhile, 404 for what is not there, 422 for the rest."""
    return 409 if isinstance(refused, Conflict) else 404 if isinstance(refused, NotFound) else 422


def page_arg() -> int:
    value = request.args.get("page", "1")
    return max(int(value), 1) if value.isdigit() else 1


def is_agent() -> bool:
    return current_user.has_role(Role.CARE)


def back(default: str) -> str:
    """The page to go back to (`next`, only a path on this site), or `default`."""
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def or_404(lookup):
    try:
        return lookup()
    except NotFound:
        abort(404)
