"""Each role's "my day": which panels it shows, and the data behind them (a fixed number of
queries whatever the size of the store). Later areas add their panels here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import RO_ON_SITE, RepairOrder, Role, Store, User
from intranet.core.services import count_opened_on, on_site_counts, users_online
from intranet.workshop.promise import promise_risk
from intranet.extensions import db

(SUMMARY, CHECK_IN, ON_SITE, MY_CARS, FIND, TEAM, HEALTH, STAFF, ANSWERS, BOOKED, MY_JOBS, WORKSHOP, PARTS,
 MY_ACTIONS, ROUNDS, CALLS, QUESTIONS, COMPLAINTS, MY_REMINDERS, FIGURES) = (
    "summary", "check_in", "on_site", "my_cars", "find", "team", "health", "staff", "answers", "booked", "my_jobs",
    "workshop", "parts", "my_actions", "rounds", "calls", "questions", "complaints",
    "my_reminders", "figures")


@dataclass(frozen=True)
class Layout:
    """Panels across the top, then a wide main column and a narrow side column."""

    top: tuple[str, ...] = ()
    main: tuple[str, ...] = ()
    side: tuple[str, ...] = ()

    @property
    def panels(self) -> set[str]:
        return {*self.top, *self.main, *self.side}


HOMES: dict[Role, Layout] = {
    Role.DIRECTOR: Layout(top=(SUMMARY, ROUNDS), main=(ON_SITE,), side=(COMPLAINTS, QUESTIONS, MY_ACTIONS, PARTS, TEAM,
                                                                                HEALTH)),
    Role.ADVISOR: Layout(top=(CHECK_IN,), main=(ANSWERS, MY_CARS), side=(MY_ACTIONS, BOOKED, SUMMARY)),
    Role.CONTROLLER: Layout(top=(WORKSHOP,), main=(ON_SITE,), side=(MY_ACTIONS, SUMMARY, TEAM)),
    Role.TECHNICIAN: Layout(main=(MY_JOBS,), side=(MY_ACTIONS, SUMMARY)),
    Role.INSPECTOR: Layout(main=(ON_SITE,), side=(MY_ACTIONS, SUMMARY)),
    Role.PARTS: Layout(top=(PARTS,), main=(ON_SITE,), side=(MY_ACTIONS, FIND, SUMMARY)),
    Role.WARRANTY: Layout(top=(PARTS,), main=(ON_SITE,), side=(MY_ACTIONS, FIND, SUMMARY)),
    Role.ACCIDENT: Layout(top=(FIND,), main=(ON_SITE,), side=(MY_ACTIONS, SUMMARY)),
    Role.CARE: Layout(main=(CALLS, MY_REMINDERS), side=(COMPLAINTS, QUESTIONS, MY_ACTIONS, FIND)),
    Role.MANAGER: Layout(top=(FIGURES, SUMMARY), main=(ON_SITE,), side=(COMPLAINTS, MY_ACTIONS, TEAM)),
    Role.ADMIN: Layout(main=(HEALTH,), side=(MY_ACTIONS, STAFF, SUMMARY)),
}


# management's home: this month's headline figures, each opening its drill-down
HOME_FIGURES = ("cars_in", "output_value", "one_time_fix", "on_time", "comeback_rate", "csi")


def _on_site(store_id: int, advisor_id: int | None = None, limit: int = 60) -> list[RepairOrder]:
    stmt = (
        select(RepairOrder)
        .options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.customer), joinedload(RepairOrder.advisor))
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in RO_ON_SITE]))
        .order_by(RepairOrder.promised_at.is_(None), RepairOrder.promised_at, RepairOrder.opened_at)
        .limit(limit)
    )
    if advisor_id is not None:
        stmt = stmt.where(RepairOrder.advisor_id == advisor_id)
    return list(db.session.scalars(stmt))


def home_data(store: Store, user: User, role: Role, config, only: str | None = None) -> dict:
    """The data of every panel of `role`'s home, or of the panel `only` (a live refresh)."""
    layout = HOMES[role]
    panels = {only} & layout.panels if only else layout.panels
    data: dict = {"layout": layout}
    if SUMMARY in panels:
        data["cars_in_today"] = count_opened_on(store, clock.store_today(store.timezone))
        data["on_site_counts"] = on_site_counts(store.id)
    if ON_SITE in panels:
        data["on_site"] = _on_site(store.id)
        data["risk"] = promise_risk(data["on_site"], clock.utcnow())
    if MY_CARS in panels:
        data["my_cars"] = _on_site(store.id, advisor_id=user.id)
        data["risk"] = {**data.get("risk", {}), **promise_risk(data["my_cars"], clock.utcnow())}
    if ANSWERS in panels:
        from intranet.reception.services import waiting_findings

        data["answers"] = waiting_findings(store.id, advisor_id=user.id)
    if BOOKED in panels:
        from datetime import datetime, time, timedelta

        from intranet.reception.appointments import appointments_between

        today = clock.store_today(store.timezone)
        data["booked_today"] = appointments_between(
            store.id, datetime.combine(today, time.min), datetime.combine(today + timedelta(days=1), time.min),
            store.timezone, advisor_id=user.id)
    if MY_JOBS in panels:
        from intranet.workshop.services import my_jobs

        data["my_jobs"] = my_jobs(store.id, user.id)
    if WORKSHOP in panels:
        from intranet.workshop.timecontrol import floor_summary

        data.update(floor_summary(store.id))
    if PARTS in panels:
        from intranet.parts.services import desk_summary

        data.update(desk_summary(store.id, clock.store_today(store.timezone)))
    if MY_ACTIONS in panels:
        from intranet.director.actions import my_actions

        data["my_actions"] = my_actions(store.id, user.id, limit=8)
        data["now"] = clock.utcnow()
    if ROUNDS in panels:
        from intranet.director.actions import counts
        from intranet.director.rounds import day_schedule

        data["round_schedule"] = day_schedule(store, clock.store_today(store.timezone), clock.utcnow())
        data["action_counts"] = counts(store.id, clock.utcnow())
    if CALLS in panels:
        from intranet.care.calls import call_queue

        data["calls_queue"] = call_queue(store.id, clock.utcnow(), agent_id=user.id, limit=60)
        data["now"] = clock.utcnow()
    if QUESTIONS in panels:
        from intranet.care.questions import open_questions

        data["care_questions"] = open_questions(store.id, limit=8)
        data["now"] = clock.utcnow()
    if COMPLAINTS in panels:
        from intranet.care.complaints import open_complaints

        data["complaints"] = open_complaints(store.id, clock.utcnow(), limit=8)
    if MY_REMINDERS in panels:
        from intranet.care.reminders import my_reminders

        data["my_reminders"] = my_reminders(store.id, user.id, clock.store_today(store.timezone), limit=8)
    if FIGURES in panels:
        from intranet.reports import kpis
        from intranet.reports.periods import month_of

        month = kpis.compute(store, month_of(clock.store_today(store.timezone)), keys=HOME_FIGURES)
        data["month_figures"] = [month[key] for key in HOME_FIGURES]
    if TEAM in panels:
        data["online"] = users_online(store.id)
    if HEALTH in panels:
        from intranet.health.services import check

        data["health"] = check(config)
    if STAFF in panels:
        data["staff_counts"] = dict(db.session.execute(
            select(User.active, func.count()).where(User.store_id == store.id).group_by(User.active)).all())
    return data
