"""Who does care's work: the store's care agents, who share out the calls and reminders, and the
care supervisor (the one in the settings, else the director), who answers questions and handles
complaints. Calls, questions, complaints, reminders and the win-back list all ask here."""
from __future__ import annotations

from sqlalchemy import select

from intranet.care.models import CareSettings
from intranet.care.settings import settings_for
from intranet.core.models import Role, User, UserRole
from intranet.core.services import holders_of
from intranet.extensions import db


def agents(store_id: int) -> list[User]:
    """The store's active care agents, in a stable order."""
    return list(db.session.scalars(select(User).join(UserRole).where(
        User.store_id == store_id, User.active.is_(True), UserRole.role == Role.CARE.value).order_by(User.id)))


def supervisors(store_id: int, settings: CareSettings) -> list[int]:
    """The care supervisor of the settings, or (none set) the store's directors."""
    return [settings.supervisor_id] if settings.supervisor_id else holders_of(store_id, Role.DIRECTOR)


def supervisor_of(store_id: int) -> int | None:
    ids = supervisors(store_id, settings_for(store_id))
    return ids[0] if ids else None
