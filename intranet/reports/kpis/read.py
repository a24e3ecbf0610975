"""The KPIs as pages and digests read them: from the daily summary where every past day of the
span is summarised (its terms summed by the database, today's read from the rows), else from the
rows (`values.compute_from_rows`, `breakdowns.breakdown_from_rows`). Both give the same Value:
`tests/test_kpi_summary.py` checks it on every KPI, breakdown and period kind."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.core.models import PayType, Store, User
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reports.kpis import summary
from intranet.reports.kpis.breakdowns import breakdown_from_rows, member_series_from_rows
from intranet.reports.kpis.definitions import _RO_KPIS, KPIS, Value, kpi
from intranet.reports.kpis.drilldown import drill, jobs_table
from intranet.reports.kpis.terms import (
    JOBS, LIVE_ONLY, PRESENT, TOTAL, Term, Terms, member_target, span_terms, value_of,
)
from intranet.reports.kpis.values import (
    _days_so_far, _keys, _shared, compute_from_rows, crew, series_from_rows, shared, store_targets,
    turnover_value,
)
from intranet.reports.periods import Period
from intranet.workshop.models import Team


def _today(store: Store) -> date:
    return clock.store_today(store.timezone)


def _built(store: Store, start: date, end: date) -> set[date] | None:
    cache = _shared.get()
    if cache is not None:  # a span inside one already read needs no query
        for key, days in list(cache.items()):
            if key[0] == "built" and key[1] == store.id and key[2] <= start and end <= key[3]:
                return None if days is None else {d for d in days if start <= d <= end}
    return shared(("built", store.id, start, end), lambda: summary.built_days(
        store, start, end, first=lambda: shared(("first", store.id), lambda: summary.first_day(store))))


def read_ahead(store: Store, start: date, end: date) -> None:
    """Within `shared_reads`: find out once which days of [start, end] are summarised, for every
    figure of a page asked inside it (the period, the one before, the trend lines)."""
    if _shared.get() is not None:
        _built(store, start, end)


def _today_terms(store: Store, keys=None) -> Terms:
    """Today's terms from the rows: of every KPI, or only of `keys` (a page of one figure)."""
    today = _today(store)
    cache = _shared.get()
    if cache is not None and ("today", store.id, today, None) in cache:
        return cache[("today", store.id, today, None)]
    wanted = None if keys is None else frozenset(keys)
    return shared(("today", store.id, today, wanted), lambda: span_terms(store, today, today, wanted))


def period_terms(store: Store, start: date, end: date, keys=None) -> Terms | None:
    """The terms of [start, end] from the summary (+ today's from the rows: of every KPI, or of
    `keys`), or None when a past day of it is not summarised yet."""
    if _built(store, start, end) is None:
        return None
    today = _today(store)
    summed = (shared(("summed", store.id, start, end), lambda: summary.summed_terms(store, start, end))
              if start < today else Terms())
    if not start <= today <= end:
        return summed
    cache = _shared.get()
    if cache is not None and ("terms", store.id, start, end, None) in cache:  # every figure's: has these too
        return cache[("terms", store.id, start, end, None)]
    wanted = None if keys is None else frozenset(keys)
    return shared(("terms", store.id, start, end, wanted),
                   lambda: Terms().merge(summed).merge(_today_terms(store, wanted)))


# ------------------------------------------------------------------ compute, series

def compute(store: Store, period: Period, keys=None) -> dict[str, Value]:
    """All (or the given) KPIs of `period`, in display order (see `values.compute_from_rows`)."""
    wanted = _keys(keys)
    terms = period_terms(store, period.start, period.end, None if keys is None else wanted)
    if terms is None:
        return compute_from_rows(store, period, wanted)
    tg = store_targets(store)
    days = _days_so_far(store, period)
    live = [k for k in wanted if k in LIVE_ONLY and k != "parts_turnover"]
    found = compute_from_rows(store, period, live) if live else {}
    if "parts_turnover" in wanted:
        issued = terms.get(("parts_turnover", TOTAL, ""))
        found["parts_turnover"] = turnover_value(store, period, issued.num if issued else None, tg["parts_turnover"])
    for key in wanted:
        if key not in found:
            found[key] = value_of(KPIS[key], terms.get((key, TOTAL, "")), days, tg[key])
    return {key: found[key] for key in wanted}


def prefetch(store: Store, keys, start: date, end: date, by: str = TOTAL, member: str = "") -> None:
    """Within `shared_reads`: read the daily terms of `keys` over [start, end] in one query, for
    the series asked next (a dashboard's four trend lines and their previous periods)."""
    if _shared.get() is None or _built(store, start, end) is None:
        return
    shared(("daily", store.id, start, end, by, member),
            lambda: (frozenset(keys), summary.daily_terms(store, start, end, keys, by, member)))


def _daily(store: Store, key: str, start: date, end: date, by: str, member: str) -> dict:
    cache = _shared.get()
    if cache is not None:
        for found_key, found in cache.items():
            if (found_key[0] == "daily" and found_key[1] == store.id and found_key[2] <= start
                    and end <= found_key[3] and found_key[4:6] == (by, member) and key in found[0]):
                return found[1]
    return shared(("daily", store.id, start, end, by, member, key),
                   lambda: (frozenset([key]), summary.daily_terms(store, start, end, [key], by, member)))[1]


def _series_from_summary(store: Store, k, periods: list[Period], by: str, member: str) -> list[Value] | None:
    start, end = min(p.start for p in periods), max(p.end for p in periods)
    if _built(store, start, end) is None:
        return None
    target = store_targets(store)[k.key]
    if by != TOTAL:
        target = member_target(k, target)
    daily = _daily(store, k.key, start, end, by, member)
    today = _today(store)
    found = []
    for p in periods:
        num, den, any_den = 0, 0, False  # in millionths, as kept
        for n in range(p.days):
            kept = daily.get((p.start + timedelta(days=n), k.key))
            if kept is not None:
                num += kept[0]
                if kept[1] is not None:
                    den, any_den = den + kept[1], True
        term = Term(Decimal(num) / summary.SCALE, Decimal(den) / summary.SCALE if any_den else None)
        if p.start <= today <= p.end:
            live = _today_terms(store, [k.key]).get((k.key, by, member))
            if live is not None:
                term.add(live.num, live.den)
        found.append(value_of(k, term, _days_so_far(store, p), target))
    return found


def series(store: Store, key: str, periods: list[Period]) -> list[Value]:
    """One Value per period (in the order given)."""
    k = kpi(key)
    if not periods:
        return []
    if key not in LIVE_ONLY:
        found = _series_from_summary(store, k, periods, TOTAL, "")
        if found is not None:
            return found
    return series_from_rows(store, key, periods)


# ------------------------------------------------------------------ breakdowns

def _store_names(store: Store) -> dict[int, str]:
    return dict(db.session.execute(select(User.id, User.display_name).where(User.store_id == store.id)).all())


def _technician_names(store: Store) -> dict[str, str]:
    return shared(("technicians", store.id), lambda: {str(t.user_id): t.user.display_name for t in crew(store)})


def breakdown(store: Store, period: Period, key: str, by: str) -> list[tuple[str, int | None, Value]]:
    """The KPI per advisor / technician / team / pay type: (label, member id or None, value) — see
    `breakdowns.breakdown_from_rows`, which this gives the same answer as."""
    k = kpi(key)
    if by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    terms = period_terms(store, period.start, period.end, [key]) if key not in LIVE_ONLY else None
    if terms is None:
        return breakdown_from_rows(store, period, key, by)
    tg = store_targets(store)[key]
    days = _days_so_far(store, period)
    if by == "pay_type":
        return [(str(p.label), None, value_of(k, terms.get((key, by, p.value)), days, tg)) for p in PayType]
    if by == "team":
        return [(str(t.label), None, value_of(k, terms.get((key, by, t.value)), days, tg)) for t in Team]
    members = terms.members(PRESENT if key in _RO_KPIS else key, by)
    if by == "technician":
        names = _technician_names(store)
        found = [(names.get(m, "?"), int(m), value_of(k, terms.get((key, by, m)), days, tg)) for m in members]
        return sorted(found, key=lambda t: t[0])
    names = shared(("names", store.id), lambda: _store_names(store))
    found = [(names.get(int(m), "?") if m else str(_l("No advisor")), int(m) if m else None,
              value_of(k, terms.get((key, by, m)), days, tg)) for m in members]
    if key == "show_rate":
        found = [f for f in found if f[2].denominator]
        return sorted(found, key=lambda t: t[0])
    return sorted(found, key=lambda t: (t[1] is None, t[0]))


def technicians_table(store: Store, period: Period):
    """The dashboard's table of the technicians' efficiency (the drill-down's rows): from the summary
    when it has the period, else `drill`."""
    terms = period_terms(store, period.start, period.end, ["tech_efficiency"])
    k = KPIS["tech_efficiency"]
    if terms is None:
        return drill(store, period, "tech_efficiency")
    places = shared(("crew_places", store.id), lambda: {
        str(t.user_id): (n, t.user.display_name, t.team_enum) for n, t in enumerate(crew(store))})
    people = []
    for m in terms.members("tech_efficiency", "technician"):
        place, name, team = places.get(m, (len(places), "?", Team.MECHANICAL))
        term, jobs = terms[("tech_efficiency", "technician", m)], terms.get((JOBS, "technician", m))
        people.append((list(Team).index(team), place, (name, team, int(jobs.num) if jobs else 0, float(term.num),
                                                       float(term.den or 0))))
    # as the drill-down lists them: team by team, each in the crew's order
    return jobs_table(k, [p for _t, _n, p in sorted(people, key=lambda p: p[:2])], k.formula)


def member_series(store: Store, key: str, periods: list[Period], by: str, member) -> list[Value]:
    """The KPI of one member of a breakdown over each period (see
    `breakdowns.member_series_from_rows`)."""
    k = kpi(key)
    if by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    if not periods:
        return []
    if by in ("advisor", "technician") and key not in LIVE_ONLY:
        found = _series_from_summary(store, k, periods, by, str(member))
        if found is not None:
            return found
    return member_series_from_rows(store, key, periods, by, member)


def member_value(store: Store, period: Period, key: str, by: str, member) -> Value:
    return member_series(store, key, [period], by, member)[0]


__all__ = ["breakdown", "compute", "member_series", "member_value", "period_terms", "prefetch", "read_ahead",
           "series", "technicians_table"]
