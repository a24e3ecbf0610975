"""Each role's "my day": which panels it shows where. The data behind a panel comes from the area
that registered it (`intranet.web.panels`), in a fixed number of queries whatever the size of the
store; the few panels that belong to no one area are here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet.auth.access import insurance_case_clause
from intranet.core.models import RO_ON_SITE, InsurerPayment, RepairOrder, Role, Store, User
from intranet.core.services import count_opened_on, on_site_counts, users_online
from intranet.extensions import db
from intranet.web.panels import PanelContext, load_panels, register_panel
from intranet.workshop.promise import promise_risk

(SUMMARY, CHECK_IN, ON_SITE, MY_CARS, FIND, TEAM, HEALTH, STAFF, ANSWERS, BOOKED, MY_JOBS, WORKSHOP, PARTS,
 MY_ACTIONS, ROUNDS, CALLS, QUESTIONS, COMPLAINTS, MY_REMINDERS, FIGURES, CLAIMS) = (
    "summary", "check_in", "on_site", "my_cars", "find", "team", "health", "staff", "answers", "booked", "my_jobs",
    "workshop", "parts", "my_actions", "rounds", "calls", "questions", "complaints",
    "my_reminders", "figures", "claims")


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
    Role.ACCIDENT: Layout(top=(FIND,), main=(CLAIMS, ON_SITE), side=(MY_ACTIONS, SUMMARY)),
    Role.CARE: Layout(main=(CALLS, MY_REMINDERS), side=(COMPLAINTS, QUESTIONS, MY_ACTIONS, FIND)),
    Role.MANAGER: Layout(top=(FIGURES, SUMMARY), main=(ON_SITE,), side=(COMPLAINTS, MY_ACTIONS, TEAM)),
    Role.ADMIN: Layout(main=(HEALTH,), side=(MY_ACTIONS, STAFF, SUMMARY)),
}


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


# ---------------------------------------------------------------- the panels that belong to no one area
def summary(ctx: PanelContext) -> dict:
    return {"cars_in_today": count_opened_on(ctx.store, ctx.today), "on_site_counts": on_site_counts(ctx.store.id)}


def on_site(ctx: PanelContext) -> dict:
    cars = _on_site(ctx.store.id)
    return {"on_site": cars, "risk": promise_risk(cars, ctx.now)}


def my_cars(ctx: PanelContext) -> dict:
    cars = _on_site(ctx.store.id, advisor_id=ctx.user.id)
    return {"my_cars": cars, "my_cars_risk": promise_risk(cars, ctx.now)}


def claims(ctx: PanelContext) -> dict:
    """The accident desk's cars: insurance repair orders still here, and those handed back whose
    insurer has not paid in full yet (the desk chases the payment)."""
    unpaid = [str(InsurerPayment.PENDING), str(InsurerPayment.PARTLY_PAID)]
    return {"claims": list(db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle))
        .where(RepairOrder.store_id == ctx.store.id, insurance_case_clause(),
               or_(RepairOrder.status.in_([str(s) for s in RO_ON_SITE]), RepairOrder.insurer_payment.in_(unpaid)))
        .order_by(RepairOrder.opened_at.desc()).limit(40)))}


def team(ctx: PanelContext) -> dict:
    return {"online": users_online(ctx.store.id)}


def staff(ctx: PanelContext) -> dict:
    return {"staff_counts": dict(db.session.execute(
        select(User.active, func.count()).where(User.store_id == ctx.store.id).group_by(User.active)).all())}


def register_panels() -> None:
    for name, load, live in ((SUMMARY, summary, False), (ON_SITE, on_site, True), (MY_CARS, my_cars, True),
                             (TEAM, team, False), (STAFF, staff, False), (CLAIMS, claims, False)):
        register_panel(name, load, live=live)


def home_data(store: Store, user: User, role: Role, config, only: str | None = None) -> dict:
    """The data of every panel of `role`'s home, or of the panel `only` (a live refresh)."""
    layout = HOMES[role]
    names = [only] if only and only in layout.panels else [] if only else [*layout.top, *layout.main, *layout.side]
    data = load_panels(names, PanelContext(store=store, user=user, role=role, config=config))
    if "my_cars_risk" in data:  # the advisor's own cars join the store's on-site list's marks
        data["risk"] = {**data.get("risk", {}), **data.pop("my_cars_risk")}
    data["layout"] = layout
    return data
