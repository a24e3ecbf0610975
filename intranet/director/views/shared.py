"""What the director's screens share: the store's now, the staff to choose from, a datetime-local
box read in store time, and the status a refusal answers with."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from intranet import clock
from intranet.core.models import User
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.web import current_store


def refusal_status(refused: DomainError) -> int:
    return 409 if isinstance(refused, Conflict) else 422


def store_now():
    store = current_store()
    return store, clock.utcnow(), clock.store_today(store.timezone)


def staff_of(store_id: int) -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.store_id == store_id, User.active.is_(True))
                                   .order_by(User.display_name)))


def local_input(value: str | None, field: str) -> datetime | None:
    """A datetime-local input (store time) as naive UTC; empty is None."""
    if not value:
        return None
    try:
        return clock.store_local_to_utc(datetime.strptime(value, "%Y-%m-%dT%H:%M"), current_store().timezone)
    except ValueError:
        raise DomainError(_("Enter a date and time."), field=field) from None


def whole(value: str | None) -> int | None:
    """A whole number typed or chosen (an id); None when empty or not a number."""
    value = (value or "").strip()
    return int(value) if value.isdigit() else None
