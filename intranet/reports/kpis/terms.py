"""A KPI as the sum of its terms: every figure the dashboard shows is numerator ÷ denominator (or a
sum), and both add up over days. `span_terms` reads the terms of a span of store days from the
rows, with the same definitions `values.compute` uses; `value_of` turns summed terms back into the
figure. So a period's figure is the same whether its days' terms come from the rows or from the
daily summary (`summary.py`, kept by a job and by the mutations).

A term is keyed (kpi key, breakdown, member): breakdown "" is the store's total; otherwise
"advisor", "technician", "team" or "pay_type", and the member is a user id, a team or a payer
(as text; "" for no advisor). Two figures are not sums and are always read from the rows: the open
and overdue actions (a count at the end of the period) and the parts turnover (stock values at its
two ends)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from intranet.care import csi
from intranet.care.models import CsiScore
from intranet.core.models import PayType, Store
from intranet.extensions import db
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.reports.kpis.definitions import (
    CENT, COUNT, KPIS, MONEY_UNIT, TENTH, _LINE_KPIS, _RO_KPIS, _TEAM_KPIS, Kpi, Value,
)
from intranet.reports.kpis.values import (
    _bounds, _efficiency, _exact, _in, _rate, _ratio, _read_ro_rows, _ro_value, _round_score, _technicians, parts_counts,
)
from intranet.reports.periods import RANGE, Period
from intranet.workshop.models import Team

TOTAL = ""
PRESENT = "_present"  # not a KPI: the advisors with a repair order in the span
JOBS = "_jobs"  # not a KPI: the jobs each technician finished (the efficiency table shows them)
LIVE_ONLY = frozenset({"open_actions", "overdue_actions", "parts_turnover"})  # no series nor breakdown from terms
ZERO = Decimal(0)


@dataclass
class Term:
    num: Decimal = ZERO
    den: Decimal | None = None

    def add(self, num, den) -> None:
        if num:
            self.num += num if num.__class__ is Decimal else Decimal(num)
        if den is not None:
            self.den = (self.den or ZERO) + (den if den.__class__ is Decimal else Decimal(den))


class Terms(dict):
    """(key, by, member) → Term; adding two spans' terms gives the terms of both."""

    def put(self, key: str, by: str, member, num, den=None) -> None:
        self.setdefault((key, by, member if member.__class__ is str else _member(member)), Term()).add(num, den)

    def merge(self, other: Terms) -> Terms:
        for name, term in other.items():
            mine = self.get(name)
            if mine is None:
                self[name] = Term(term.num, term.den)
            else:
                mine.add(term.num, term.den)
        return self

    def members(self, key: str, by: str) -> list[str]:
        return [m for (k, b, m) in self if k == key and b == by]


def _member(member) -> str:
    if member is None:
        return ""
    return str(getattr(member, "value", member))


def _hours(value) -> Decimal:
    return Decimal(repr(float(value or 0)))


# ------------------------------------------------------------------ terms from the rows

def _ro_terms(terms: Terms, rows, first: date, last: date) -> None:
    by_advisor = defaultdict(list)
    for ro in rows:
        by_advisor[ro.advisor_id].append(ro)
    for advisor in by_advisor:  # who had a car in the span: listed per advisor even with nothing to count
        terms.put(PRESENT, "advisor", advisor, 1)
    for key in _RO_KPIS:
        k = KPIS[key]
        groups = [(TOTAL, None, rows)]
        if "advisor" in k.breakdowns:
            groups += [("advisor", advisor, rs) for advisor, rs in by_advisor.items()]
        for by, member, rs in groups:
            v = _ro_value(k, rs, first, last, 1, None)
            terms.put(key, by, member, v.numerator, None if key in ("cars_in", "cars_out") else v.denominator)
        if "pay_type" in k.breakdowns:
            for payer in PayType:
                v = _ro_value(k, rows, first, last, 1, None, pay_type=payer.value)
                terms.put(key, "pay_type", payer.value, v.numerator)
        if "team" in k.breakdowns and key in _LINE_KPIS:
            delivered = [r for r in rows if _in(r, first, last, "delivered")]
            for team in Team:
                terms.put(key, "team", team.value,
                          sum((r.by_team.get(team.value, Decimal("0.00")) for r in delivered), Decimal("0.00")))


def span_terms(store: Store, first: date, last: date, keys=None) -> Terms:
    """The terms of every summed KPI (or of `keys`) and its breakdowns over the store days
    [first, last], read from the rows: 2 queries for the repair orders and their lines, 5 for the
    technicians' hours, 1 for appointments, 3 for customer care, 1 for the parts, 1 for the rounds."""
    want = set(KPIS) if keys is None else set(keys)
    period = Period(first, last, RANGE)
    since, until = _bounds(store, period)
    terms = Terms()
    if want & _RO_KPIS:
        _ro_terms(terms, _read_ro_rows(store, since, until, lines=True), first, last)
    if "tech_efficiency" in want:
        _technician_terms(terms, store, period)
    if "show_rate" in want:
        _appointment_terms(terms, store, since, until)
    if "reach_rate" in want:
        reach = csi.reach_rate(store.id, first, last)
        terms.put("reach_rate", TOTAL, None, reach.numerator, reach.denominator)
    if "complaint_rate" in want:
        complaints = csi.complaint_rate(store, first, last)
        terms.put("complaint_rate", TOTAL, None, complaints.numerator, complaints.denominator)
    if "csi" in want:
        for advisor_id, total, n in db.session.execute(
                select(CsiScore.advisor_id, func.sum(CsiScore.score), func.count())
                .where(CsiScore.store_id == store.id, CsiScore.surveyed_on >= first, CsiScore.surveyed_on <= last)
                .group_by(CsiScore.advisor_id)):
            terms.put("csi", TOTAL, None, Decimal(str(total)), n)
            terms.put("csi", "advisor", advisor_id, Decimal(str(total)), n)
    if want & {"parts_fill_rate", "parts_turnover"}:
        _parts_terms(terms, store, since, until)
    if "round_score" in want:
        score = _round_score(store, period, KPIS["round_score"], None)
        terms.put("round_score", TOTAL, None, score.numerator, score.denominator)
    return terms


def _technician_terms(terms: Terms, store: Store, period: Period) -> None:
    for team, figures in _technicians(store, period).items():
        terms.put("tech_efficiency", "team", team.value, _hours(figures.total.sold_hours),
                  _hours(figures.total.clocked_hours))
        terms.put("tech_efficiency", TOTAL, None, _hours(figures.total.sold_hours),
                  _hours(figures.total.clocked_hours))
        for person in figures.people:
            if person.jobs_done or person.clocked_hours:
                terms.put("tech_efficiency", "technician", person.user_id, _hours(person.sold_hours),
                          _hours(person.clocked_hours))
                terms.put(JOBS, "technician", person.user_id, person.jobs_done)


def _appointment_terms(terms: Terms, store: Store, since, until) -> None:
    """The show rate as reception.appointments.show_rate counts it, per advisor and in all."""
    terms.put("show_rate", TOTAL, None, 0, 0)
    for advisor_id, status, n in db.session.execute(
            select(Appointment.advisor_id, Appointment.status, func.count())
            .where(Appointment.store_id == store.id, Appointment.starts_at >= since, Appointment.starts_at < until,
                   Appointment.status.in_([AppointmentStatus.ARRIVED.value, AppointmentStatus.NO_SHOW.value]))
            .group_by(Appointment.advisor_id, Appointment.status)):
        arrived = n if status == AppointmentStatus.ARRIVED.value else 0
        terms.put("show_rate", TOTAL, None, arrived, n)
        if advisor_id is not None:
            terms.put("show_rate", "advisor", advisor_id, arrived, n)


def _parts_terms(terms: Terms, store: Store, since, until) -> None:
    requests, served, issue_cost = parts_counts(store, since, until)
    terms.put("parts_fill_rate", TOTAL, None, served, requests)
    terms.put("parts_turnover", TOTAL, None, issue_cost)


# ------------------------------------------------------------------ the figure from its terms

def _int(value) -> int:
    return int(value or 0)


def value_of(k: Kpi, term: Term | None, days: int, target) -> Value:
    """The figure `k` from its summed terms (`days`: the days of the period so far, for the per-day
    counts) — the same Value `values.compute` gives from the rows."""
    num = term.num if term is not None else ZERO
    den = term.den if term is not None else None
    key = k.key
    if key in ("cars_in", "cars_out"):
        n = _int(num)
        return Value(k, _ratio(n, days), n, days, target, _exact(n, days))
    if key in ("output_value", "output_labour", "output_parts", *_TEAM_KPIS):
        total = Decimal(num).quantize(CENT)
        return Value(k, total, total, None, target)
    if key in ("ticket_repair", "ticket_insurance"):
        total, cars = Decimal(num).quantize(CENT), _int(den)
        return Value(k, _ratio(total, cars, CENT), total, cars, target, _exact(total, cars))
    if key == "tech_efficiency":
        return _efficiency(k, float(num), float(den or 0), target)
    if key == "csi":
        total, count = Decimal(num).quantize(TENTH), _int(den)
        return Value(k, csi._average(num, count), total, count, target, _exact(total, count))
    if key == "round_score":
        total, count = Decimal(num).quantize(TENTH), _int(den)
        return Value(k, _ratio(total, count), total, count, target, _exact(total, count))
    return _rate(k, _int(num), _int(den), target)


def member_target(k: Kpi, target):
    """A store's target of a count or an amount (20 cars a day) is not one member's; a rate's is."""
    return None if k.unit in (COUNT, MONEY_UNIT) else target
