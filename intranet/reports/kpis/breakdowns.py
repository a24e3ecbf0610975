"""A KPI per advisor, technician, team or pay type."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet.care.models import CsiScore
from intranet.core.models import PayType, Store, User
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception.appointments import show_rate
from intranet.reception.models import Appointment
from intranet.reports.kpis.definitions import COUNT, MONEY_UNIT, TENTH, _LINE_KPIS, _RO_KPIS, Value, kpi
from intranet.reports.kpis.store_targets import target_for
from intranet.reports.kpis.values import (
    _Ro, _bounds, _days_so_far, _efficiency, _exact, _in, _rate, _ratio, _ro_rows, _ro_value, _technicians,
)
from intranet.reports.periods import Period
from intranet.workshop.models import Team

# ------------------------------------------------------------------ breakdown

def _names(ids: Iterable[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def breakdown_from_rows(store: Store, period: Period, key: str, by: str) -> list[tuple[str, int | None, Value]]:
    """The KPI per advisor / technician / team / pay type: (label, member id or None, value).
    Members are those with data in the period; a member id is the user's id (advisor, technician),
    None for teams and pay types (the label then is the team's or payer's name)."""
    k = kpi(key)
    if by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    tg = target_for(store.id, key)
    since, until = _bounds(store, period)
    days = _days_so_far(store, period)
    if key in _RO_KPIS:
        rows = _ro_rows(store, since, until, lines=key in _LINE_KPIS)
        if by == "advisor":
            groups: dict[int | None, list[_Ro]] = defaultdict(list)
            for ro in rows:
                groups[ro.advisor_id].append(ro)
            names = _names(groups)
            found = [(names.get(a, str(_l("No advisor"))), a, _ro_value(k, rs, period.start, period.end, days, tg))
                     for a, rs in groups.items()]
            return sorted(found, key=lambda t: (t[1] is None, t[0]))
        if by == "pay_type":
            return [(str(p.label), None, _ro_value(k, rows, period.start, period.end, days, tg, pay_type=p.value))
                    for p in PayType]
        if by == "team":
            return [(str(t.label), None,
                     Value(k, v := sum((r.by_team.get(t.value, Decimal("0.00")) for r in rows
                                        if _in(r, period.start, period.end, "delivered")), Decimal("0.00")),
                           v, None, tg)) for t in Team]
    if key == "tech_efficiency":
        teams = _technicians(store, period)
        if by == "team":
            return [(str(team.label), None, _efficiency(k, f.total.sold_hours, f.total.clocked_hours, tg))
                    for team, f in teams.items()]
        people = [p for f in teams.values() for p in f.people if p.jobs_done or p.clocked_hours]
        return sorted([(p.name, p.user_id, _efficiency(k, p.sold_hours, p.clocked_hours, tg)) for p in people],
                      key=lambda t: t[0])
    if key == "show_rate":
        advisors = db.session.scalars(select(Appointment.advisor_id).distinct().where(
            Appointment.store_id == store.id, Appointment.starts_at >= since, Appointment.starts_at < until)).all()
        names = _names(advisors)
        found = []
        for advisor_id in advisors:
            arrived, no_show, _shown = show_rate(store.id, since, until, advisor_id=advisor_id)
            if arrived + no_show:
                found.append((names.get(advisor_id, "?"), advisor_id,
                              _rate(k, arrived, arrived + no_show, tg)))
        return sorted(found, key=lambda t: t[0])
    if key == "csi":
        rows = db.session.execute(
            select(CsiScore.advisor_id, func.sum(CsiScore.score), func.count())
            .where(CsiScore.store_id == store.id, CsiScore.surveyed_on >= period.start,
                   CsiScore.surveyed_on <= period.end).group_by(CsiScore.advisor_id)).all()
        names = _names(a for a, _s, _c in rows)
        found = [(names.get(a, str(_l("No advisor"))), a,
                  Value(k, _ratio(Decimal(str(s)), c), Decimal(str(s)).quantize(TENTH), int(c), tg,
                        _exact(Decimal(str(s)), c)))
                 for a, s, c in rows]
        return sorted(found, key=lambda t: (t[1] is None, t[0]))
    raise DomainError(_l("This figure cannot be broken down that way."), field="by")


# ------------------------------------------------------------------ one member

def member_series_from_rows(store: Store, key: str, periods: list[Period], by: str, member) -> list[Value]:
    """The KPI of one member of a breakdown (an advisor's or technician's user id) over each period:
    the member's drill-down shows this tile and trend, never the store's. A repair-order KPI per
    advisor reads the whole span once and keeps that advisor's repair orders; the others take the
    member's row of each period's breakdown (no row: no data)."""
    k = kpi(key)
    if by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    if not periods:
        return []
    # a store's target of a count or an amount (20 cars a day) is not one advisor's: a member's tile
    # of those shows no target; a rate's target (on time 90 %) holds for each of them
    tg = None if k.unit in (COUNT, MONEY_UNIT) else target_for(store.id, key)
    if key in _RO_KPIS and by == "advisor":
        since, until = _bounds(store, Period(min(p.start for p in periods), max(p.end for p in periods)))
        rows = [r for r in _ro_rows(store, since, until, lines=key in _LINE_KPIS) if str(r.advisor_id) == str(member)]
        return [_ro_value(k, rows, p.start, p.end, _days_so_far(store, p), tg) for p in periods]
    found = []
    for period in periods:
        value = next((v for _label, m, v in breakdown_from_rows(store, period, key, by)
                      if m is not None and str(m) == str(member)), None)
        found.append(Value(k, value.value, value.numerator, value.denominator, tg, value.exact)
                     if value is not None else Value(k, None, None, None, tg))
    return found
