"""The workshop's technicians: everyone holding the technician role with their profile (team,
skills, shift, lead), as the controller sets it in the workshop settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet.core.models import Role, User, UserRole
from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import Job, JobStatus, Team, Technician


def technicians(store_id: int, *, active_only: bool = True, user_id: int | None = None) -> list[Technician]:
    """Everyone holding the technician role (or just `user_id`), with their workshop profile (a new
    technician without one yet shows as mechanical until the controller sets their team)."""
    stmt = (select(User, Technician).outerjoin(Technician, Technician.user_id == User.id)
            .where(User.store_id == store_id, User.role_rows.any(UserRole.role == Role.TECHNICIAN.value))
            .order_by(User.display_name))
    if active_only:
        stmt = stmt.where(User.active.is_(True))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    found = []
    for user, tech in db.session.execute(stmt):
        if tech is None:
            tech = Technician(user_id=user.id, store_id=store_id, team=Team.MECHANICAL, lead=False)
            tech.user = user
        found.append(tech)
    order = {team: n for n, team in enumerate(Team)}
    return sorted(found, key=lambda t: (order[t.team_enum], not t.lead, t.user.display_name))


def save_technician(user_id: int, *, store_id: int, team: str, skills: str | None, lead: bool,
                    shift_starts, shift_ends) -> Technician:
    user = get_owned(User, user_id, store_id, _l("No such person."))
    if not user.has_role(Role.TECHNICIAN):
        raise DomainError(_l("Give %(name)s the technician role first.", name=user.display_name))
    try:
        team = Team(team)
    except ValueError:
        raise DomainError(_l("Choose a team."), field="team") from None
    if shift_starts and shift_ends and shift_ends <= shift_starts:
        raise DomainError(_l("The shift must end after it starts."), field="shift_ends")
    tech = db.session.get(Technician, user_id) or Technician(user_id=user_id, store_id=store_id)
    db.session.add(tech)
    busy = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.technician_id == user_id, Job.team != team, Job.status.in_([JobStatus.ASSIGNED, JobStatus.RUNNING,
                                                                         JobStatus.PAUSED])))
    if busy:
        raise DomainError(_l("%(name)s still has %(count)s jobs of the old team: reassign them first.",
                             name=user.display_name, count=busy), field="team")
    tech.team, tech.skills, tech.lead = team, (skills or "").strip()[:200] or None, bool(lead)
    if shift_starts:
        tech.shift_starts = shift_starts
    if shift_ends:
        tech.shift_ends = shift_ends
    db.session.flush()
    bump(store_id, "workshop")
    return tech
