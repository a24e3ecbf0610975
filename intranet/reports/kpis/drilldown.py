"""The rows behind a KPI's number, each linking to its own page."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.models import CallStatus, Complaint, CsiScore, FollowUpCall
from intranet.core.models import RepairOrder, Store, User, Vehicle
from intranet.director.models import CorrectiveAction, InspectionRound, RoundStatus
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.reports.kpis.definitions import CENT, KPIS, _TEAM_KPIS, Kpi, kpi
from intranet.reports.kpis.values import _actions_filter, _bounds, _in, _percent, _ro_rows, _technicians
from intranet.reports.periods import Period
from intranet.reports.tables import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Table
from intranet.workshop.models import PartsRequest, PartsRequestStatus

# ------------------------------------------------------------------ drill-down

_RO_LINK = {"link": "reception.repair_order", "link_arg": "ro_id"}


def jobs_table(k: Kpi, people, note) -> Table:
    """The technicians' efficiency table: (name, team, jobs done, hours sold, hours clocked) each."""
    rows = [{"technician": name, "team": str(team.label), "jobs": jobs,
             "sold": Decimal(str(sold)).quantize(CENT), "clocked": Decimal(str(clocked)).quantize(CENT),
             "efficiency": _percent(sold, clocked) if clocked else None}
            for name, team, jobs, sold, clocked in people]
    return Table(k.name, [Column("technician", _l("Technician")), Column("team", _l("Team")),
                          Column("jobs", _l("Jobs done"), INT), Column("sold", _l("Hours sold"), DECIMAL),
                          Column("clocked", _l("Hours clocked"), DECIMAL),
                          Column("efficiency", _l("Efficiency"), PERCENT)], rows, note)


def drill(store: Store, period: Period, key: str, *, by: str | None = None, member: str | None = None) -> Table:
    """The rows behind the number, each linking to its own page. `by`/`member` narrow to one
    member of a breakdown (an advisor's or technician's user id, a team or pay type value)."""
    k = kpi(key)
    if by is not None and by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    note = k.formula
    since, until = _bounds(store, period)
    if k.drill == "repair_orders":
        return _drill_ros(store, period, k, since, until, by, member)
    if k.drill == "jobs":
        teams = _technicians(store, period)
        people = []
        for team, f in teams.items():
            if by == "team" and member not in (None, str(team.value)):
                continue
            for p in f.people:
                if by == "technician" and member is not None and str(p.user_id) != str(member):
                    continue
                if p.jobs_done or p.clocked_hours:
                    people.append((p.name, team, p.jobs_done, p.sold_hours, p.clocked_hours))
        return jobs_table(k, people, note)
    if k.drill == "appointments":
        stmt = (select(Appointment).options(joinedload(Appointment.customer), joinedload(Appointment.vehicle),
                                            joinedload(Appointment.advisor))
                .where(Appointment.store_id == store.id, Appointment.starts_at >= since,
                       Appointment.starts_at < until,
                       Appointment.status.in_([AppointmentStatus.ARRIVED.value, AppointmentStatus.NO_SHOW.value]))
                .order_by(Appointment.starts_at, Appointment.id))
        if by == "advisor" and member is not None:
            stmt = stmt.where(Appointment.advisor_id == int(member))
        rows = [{"starts_at": clock.to_store_time(a.starts_at, store.timezone).replace(tzinfo=None),
                 "customer": a.customer.name, "plate": a.vehicle.plate, "advisor": a.advisor.display_name,
                 "status": str(a.status_enum.label), "ro_id": a.repair_order_id}
                for a in db.session.scalars(stmt)]
        return Table(k.name, [Column("starts_at", _l("Appointment"), DATETIME), Column("customer", _l("Customer")),
                              Column("plate", _l("Plate")), Column("advisor", _l("Advisor")),
                              Column("status", _l("Status"))], rows, note)
    if k.drill == "calls":
        calls = db.session.scalars(
            select(FollowUpCall).options(joinedload(FollowUpCall.customer), joinedload(FollowUpCall.vehicle),
                                         joinedload(FollowUpCall.agent), joinedload(FollowUpCall.repair_order))
            .where(FollowUpCall.store_id == store.id, FollowUpCall.due_from >= period.start,
                   FollowUpCall.due_from <= period.end,
                   FollowUpCall.status.in_((CallStatus.DONE, CallStatus.EXPIRED)))
            .order_by(FollowUpCall.due_from, FollowUpCall.id))
        rows = [{"call_id": c.id, "due_from": c.due_from, "customer": c.customer.name,
                 "plate": c.vehicle.plate if c.vehicle else "", "number": c.repair_order.number,
                 "agent": c.agent.display_name if c.agent else "", "status": str(c.status_enum.label),
                 "reached_at": clock.to_store_time(c.reached_at, store.timezone).replace(tzinfo=None)
                 if c.reached_at else None} for c in calls]
        return Table(k.name, [Column("due_from", _l("Due from"), DATE, link="calls.call", link_arg="call_id"),
                              Column("customer", _l("Customer")), Column("plate", _l("Plate")),
                              Column("number", _l("Repair order")), Column("agent", _l("Care agent")),
                              Column("status", _l("Status")), Column("reached_at", _l("Reached"), DATETIME)],
                     rows, note)
    if k.drill == "complaints":
        found = db.session.scalars(
            select(Complaint).options(joinedload(Complaint.customer), joinedload(Complaint.advisor))
            .where(Complaint.store_id == store.id, Complaint.received_at >= since, Complaint.received_at < until)
            .order_by(Complaint.received_at, Complaint.id))
        rows = [{"complaint_id": c.id, "number": c.number,
                 "received_at": clock.to_store_time(c.received_at, store.timezone).replace(tzinfo=None),
                 "customer": c.customer.name, "advisor": c.advisor.display_name if c.advisor else "",
                 "status": str(c.status_enum.label) if hasattr(c, "status_enum") else c.status}
                for c in found]
        return Table(k.name, [Column("number", _l("Complaint"), TEXT, link="complaints.page",
                                     link_arg="complaint_id"),
                              Column("received_at", _l("Received"), DATETIME), Column("customer", _l("Customer")),
                              Column("advisor", _l("Advisor")), Column("status", _l("Status"))], rows, note)
    if k.drill == "surveys":
        stmt = (select(CsiScore).options(joinedload(CsiScore.advisor))
                .where(CsiScore.store_id == store.id, CsiScore.surveyed_on >= period.start,
                       CsiScore.surveyed_on <= period.end).order_by(CsiScore.surveyed_on, CsiScore.id))
        if by == "advisor" and member is not None:
            stmt = stmt.where(CsiScore.advisor_id == int(member))
        rows = [{"ro_id": s.repair_order_id, "number": s.ro_number, "surveyed_on": s.surveyed_on,
                 "advisor": s.advisor.display_name if s.advisor else "", "score": s.score, "comment": s.comment or ""}
                for s in db.session.scalars(stmt)]
        return Table(k.name, [Column("number", _l("Repair order"), TEXT, **_RO_LINK),
                              Column("surveyed_on", _l("Survey date"), DATE), Column("advisor", _l("Advisor")),
                              Column("score", _l("Score"), DECIMAL), Column("comment", _l("Comment"))], rows, note)
    if k.drill == "parts_requests":
        found = db.session.execute(
            select(PartsRequest, RepairOrder.number)
            .join(RepairOrder, RepairOrder.id == PartsRequest.repair_order_id)
            .where(PartsRequest.store_id == store.id, PartsRequest.requested_at >= since,
                   PartsRequest.requested_at < until, PartsRequest.status != PartsRequestStatus.CANCELLED)
            .order_by(PartsRequest.requested_at, PartsRequest.id)).all()
        rows = [{"ro_id": r.repair_order_id, "number": number,
                 "requested_at": clock.to_store_time(r.requested_at, store.timezone).replace(tzinfo=None),
                 "part_number": r.part_number or "", "description": r.description, "quantity": r.quantity,
                 "from_stock": str(_l("Yes")) if r.from_stock else str(_l("No"))} for r, number in found]
        return Table(k.name, [Column("number", _l("Repair order"), TEXT, **_RO_LINK),
                              Column("requested_at", _l("Requested"), DATETIME),
                              Column("part_number", _l("Part number")), Column("description", _l("Part")),
                              Column("quantity", _l("Quantity"), DECIMAL),
                              Column("from_stock", _l("Served from stock at once"))], rows, note)
    if k.drill == "rounds":
        found = db.session.scalars(
            select(InspectionRound).options(joinedload(InspectionRound.slot), joinedload(InspectionRound.started_by))
            .where(InspectionRound.store_id == store.id, InspectionRound.status == RoundStatus.DONE,
                   InspectionRound.day >= period.start, InspectionRound.day <= period.end)
            .order_by(InspectionRound.day, InspectionRound.id))
        rows = [{"round_id": r.id, "day": r.day, "slot": r.slot.name,
                 "by": r.started_by.display_name if r.started_by else "", "score": r.score} for r in found]
        return Table(k.name, [Column("day", _l("Day"), DATE, link="rounds.report", link_arg="round_id"),
                              Column("slot", _l("Round")), Column("by", _l("Walked by")),
                              Column("score", _l("Score"), PERCENT)], rows, note)
    if k.drill == "actions":
        is_open, at = _actions_filter(store, period)
        stmt = (select(CorrectiveAction).options(joinedload(CorrectiveAction.owner))
                .where(is_open).order_by(CorrectiveAction.due_at, CorrectiveAction.id))
        if key == "overdue_actions":
            stmt = stmt.where(CorrectiveAction.due_at < at)
        rows = [{"action_id": a.id, "title": a.title, "owner": a.owner.display_name,
                 "due_at": clock.to_store_time(a.due_at, store.timezone).replace(tzinfo=None),
                 "status": str(a.status_enum.label)} for a in db.session.scalars(stmt)]
        return Table(k.name, [Column("title", _l("Action"), TEXT, link="actions.detail", link_arg="action_id"),
                              Column("owner", _l("Owner")), Column("due_at", lazy_pgettext("deadline", "Due"), DATETIME),
                              Column("status", _l("Status"))], rows, note)
    return Table(k.name, [], [], note)


def _drill_ros(store: Store, period: Period, k: Kpi, since, until, by, member) -> Table:
    key = k.key
    rows = _ro_rows(store, since, until, lines=True)
    by_opened = key in ("cars_in", "same_day", "comeback_rate", "appointment_rate")
    picked = [r for r in rows if _in(r, period.start, period.end, "opened" if by_opened else "delivered")]
    if key == "ticket_repair":
        picked = [r for r in picked if not r.insurance]
    elif key == "ticket_insurance":
        picked = [r for r in picked if r.insurance]
    elif key == "on_time":
        picked = [r for r in picked if r.promised_at is not None]
    if by == "advisor" and member is not None:
        picked = [r for r in picked if str(r.advisor_id) == str(member)]
    if by == "pay_type" and member is not None:
        picked = [r for r in picked if member in r.by_payer]
    # number, plate and advisor of each: three columns, not the repair orders with their car and advisor
    orders = {ro_id: (number, plate, advisor or "") for ro_id, number, plate, advisor in db.session.execute(
        select(RepairOrder.id, RepairOrder.number, Vehicle.plate, User.display_name)
        .join(Vehicle, Vehicle.id == RepairOrder.vehicle_id).outerjoin(User, User.id == RepairOrder.advisor_id)
        .where(RepairOrder.id.in_([r.id for r in picked] or [0])))}

    def local(value):
        return clock.to_store_time(value, store.timezone).replace(tzinfo=None) if value else None

    flag_label = {"one_time_fix": _l("First inspection passed"), "on_time": _l("On time"),
                  "same_day": _l("Same day"), "comeback_rate": _l("Comeback"),
                  "appointment_rate": _l("With appointment")}.get(key)
    table_rows = []
    for r in sorted(picked, key=lambda r: (r.delivered_at if not by_opened else r.opened_at) or r.opened_at):
        number, plate, advisor = orders[r.id]
        flag = {"one_time_fix": r.first_passed,
                "on_time": r.promised_at is not None and r.delivered_at is not None
                and r.delivered_at <= r.promised_at,
                "same_day": r.delivered_day == r.opened_day, "comeback_rate": r.comeback,
                "appointment_rate": r.appointment}.get(key)
        row = {"ro_id": r.id, "number": number, "plate": plate, "advisor": advisor, "opened_at": local(r.opened_at),
               "promised_at": local(r.promised_at), "delivered_at": local(r.delivered_at),
               "labour": r.labour, "parts": r.parts, "total": r.output}
        if key in _TEAM_KPIS:
            row["team_labour"] = r.by_team.get(_TEAM_KPIS[key], Decimal("0.00"))
        if flag_label is not None:
            row["flag"] = str(_l("Yes")) if flag else str(_l("No"))
        table_rows.append(row)
    columns = [Column("number", _l("Repair order"), TEXT, **_RO_LINK), Column("plate", _l("Plate")),
               Column("advisor", _l("Advisor")), Column("opened_at", _l("Checked in"), DATETIME),
               Column("promised_at", _l("Promised"), DATETIME), Column("delivered_at", _l("Delivered"), DATETIME),
               Column("labour", _l("Labour"), MONEY), Column("parts", _l("Parts"), MONEY),
               Column("total", _l("Output value"), MONEY)]
    if key in _TEAM_KPIS:
        columns.append(Column("team_labour", KPIS[key].name, MONEY))
    if flag_label is not None:
        columns.append(Column("flag", flag_label))
    return Table(k.name, columns, table_rows, k.formula)
