"""The Monday meeting on service quality, 6S, process compliance and repair quality (周例会): the
week's pack — rounds and their areas' scores against the week before, corrective actions, repair
quality (first-time fix, comebacks, promises kept), form quality, customer care and the complaints
with who is responsible, the output value and the parts waiting.

Like the director's day (director/day.py, whose shared pieces it reads), each section calls the
area that owns the figure, in a constant number of queries. The management KPIs among them (round
score, overdue actions, one-time fix, on time, comebacks, parts fill rate, output value, the care
figures) are the reports area's own, through `web.figures`: the same definition, name, formatting
and target judgement as the dashboard and the digests."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.csi import care_figures
from intranet.care.models import Complaint
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.director import form_quality, rounds
from intranet.director.day import OutputValue, PendingSummary, day_bounds, output_value, pending_summary, slot_missed
from intranet.director.models import ActionStatus, CorrectiveAction, RoundStatus
from intranet.director.settings import settings_for
from intranet.extensions import db
from intranet.parts.figures import figures as parts_figures
from intranet.reception.services import comeback_rate
from intranet.web import figures as kpi_figures
from intranet.workshop.figures import daily_figures
from intranet.workshop.models import Inspection


# the management KPIs the pack shows (intranet/reports/kpis), by section
WEEK_FIGURES = ("round_score", "overdue_actions", "one_time_fix", "on_time", "comeback_rate", "parts_fill_rate",
                "output_value", "output_mechanical", "output_body", "output_paint", "csi", "reach_rate",
                "complaint_rate")


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def default_week(today: date) -> date:
    """The Monday of the week just ended (the meeting is on Monday about the week before)."""
    return week_of(today)[0] - timedelta(weeks=1)


@dataclass
class AreaRow:
    name: str
    score: float | None
    previous: float | None
    findings: int

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score - self.previous, 1)


@dataclass
class ActionFigures:
    opened: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue: int = 0  # still open and past due at the end of the week (or now, if sooner)

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None


@dataclass
class QualityFigures:
    delivered: int = 0
    inspected: int = 0  # delivered cars with a final inspection on record
    first_time: int = 0  # …whose first final inspection passed
    on_time: int = 0
    promised: int = 0  # delivered cars with a promised time
    opened: int = 0  # repair orders opened in the week
    comeback_count: int = 0  # …that redo an earlier visit's work
    comebacks: list[RepairOrder] = field(default_factory=list)
    reworks: list[tuple[Inspection, RepairOrder]] = field(default_factory=list)  # failed final inspections

    @property
    def first_time_rate(self) -> float | None:
        return self.first_time / self.delivered if self.delivered else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.promised if self.promised else None

    @property
    def comeback_rate(self) -> float | None:
        return self.comeback_count / self.opened if self.opened else None


@dataclass
class WeekPack:
    store: Store
    monday: date
    sunday: date
    now: datetime
    week_starts: list[date]  # the previous week's Monday, this week's Monday
    areas: list[AreaRow]
    findings: int
    schedule: list  # rounds.SlotToday of every day of the week
    actions: ActionFigures
    quality: QualityFigures
    forms: form_quality.Figures
    pending: PendingSummary
    complaints: list = field(default_factory=list)  # care.models.Complaint received in the week
    figures: dict = field(default_factory=dict)  # key → web.figures.ShownFigure, the KPIs of the week

    # Read on first use: the page shows these through `figures` (the KPIs); the weekly digest reads
    # them whole. Worked out for the page too, they cost it a fifth of its time.
    @cached_property
    def parts(self):  # parts.figures.PartsFigures
        return parts_figures(self.store, self.monday, self.sunday)

    @cached_property
    def output(self) -> OutputValue:
        return output_value(self.store, self.monday, self.sunday)

    @cached_property
    def care(self):  # care.csi.CareFigures of the week
        return care_figures(self.store.id, self.monday, self.sunday)

    @property
    def previous_monday(self) -> date:
        return self.monday - timedelta(weeks=1)

    @property
    def rounds_expected(self) -> list:
        """Round slots whose window has begun (a week still running counts only those)."""
        return [e for e in self.schedule if e.window_start <= self.now]

    @property
    def rounds_done(self) -> list:
        return [e for e in self.schedule if e.round is not None and e.round.status == RoundStatus.DONE]

    @property
    def rounds_missed(self) -> list:
        return [e for e in self.schedule if slot_missed(e)]

    @property
    def scores(self) -> list[Decimal]:
        return [e.round.score for e in self.rounds_done if e.round.score is not None]

    @property
    def average_score(self) -> Decimal | None:
        scores = self.scores
        return (sum(scores, Decimal("0")) / len(scores)).quantize(Decimal("0.1")) if scores else None


def _action_figures(store_id: int, start: datetime, end: datetime, now: datetime) -> ActionFigures:
    closed_in = and_(CorrectiveAction.closed_at >= start, CorrectiveAction.closed_at < end)
    cutoff = min(now, end)
    row = db.session.execute(select(
        func.coalesce(func.sum(case((and_(CorrectiveAction.created_at >= start, CorrectiveAction.created_at < end), 1),
                                    else_=0)), 0),
        func.coalesce(func.sum(case((closed_in, 1), else_=0)), 0),
        func.coalesce(func.sum(case((and_(closed_in, CorrectiveAction.closed_at <= CorrectiveAction.due_at), 1),
                                    else_=0)), 0),
        func.coalesce(func.sum(case((and_(CorrectiveAction.status == ActionStatus.OPEN,
                                          CorrectiveAction.due_at < cutoff), 1), else_=0)), 0),
    ).where(CorrectiveAction.store_id == store_id, CorrectiveAction.status != ActionStatus.CANCELLED)).one()
    return ActionFigures(*(int(v) for v in row))


def _quality(store: Store, monday: date, sunday: date) -> QualityFigures:
    start, end = day_bounds(store, monday, sunday)
    figures = QualityFigures()
    attempts: dict[int, list[tuple[int, bool]]] = {}
    for ro_id, attempt, passed in db.session.execute(
            select(RepairOrder.id, Inspection.attempt, Inspection.passed)
            .outerjoin(Inspection, Inspection.repair_order_id == RepairOrder.id)
            .where(RepairOrder.store_id == store.id, RepairOrder.delivered_at >= start, RepairOrder.delivered_at < end,
                   RepairOrder.status != ROStatus.CANCELLED)):
        tried = attempts.setdefault(ro_id, [])
        if attempt is not None:
            tried.append((attempt, passed))
    figures.delivered = len(attempts)
    figures.inspected = sum(1 for tried in attempts.values() if tried)
    figures.first_time = sum(1 for tried in attempts.values() if tried and min(tried)[1])
    week = daily_figures(store, monday, sunday)[-1]
    figures.on_time, figures.promised = week.on_time, week.promised
    figures.comeback_count, figures.opened, _rate = comeback_rate(store.id, start, end)
    figures.comebacks = list(db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor),
                                    joinedload(RepairOrder.comeback_of))
        .where(RepairOrder.store_id == store.id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end,
               RepairOrder.status != ROStatus.CANCELLED, RepairOrder.comeback_of_id.is_not(None))
        .order_by(RepairOrder.opened_at)))
    figures.reworks = [tuple(row) for row in db.session.execute(
        select(Inspection, RepairOrder).join(RepairOrder, RepairOrder.id == Inspection.repair_order_id)
        .options(joinedload(Inspection.inspector), joinedload(RepairOrder.vehicle))
        .where(Inspection.store_id == store.id, Inspection.passed.is_(False), Inspection.at >= start,
               Inspection.at < end).order_by(Inspection.at))]
    return figures


def week_pack(store: Store, any_day: date, now: datetime) -> WeekPack:
    """The Monday meeting's pack for the week (Monday–Sunday) holding `any_day`."""
    monday, sunday = week_of(any_day)
    start, end = day_bounds(store, monday, sunday)
    week_starts, trends = rounds.area_trend(store.id, sunday, weeks=2)
    found: dict[int, int] = defaultdict(int)
    names: dict[int, str] = {}
    for _answer, item in rounds.findings_between(store.id, start, end):
        found[item.area_id] += 1
        names.setdefault(item.area_id, item.area_name)
    areas = [AreaRow(name=t.name, score=t.weeks.get(week_starts[-1]), previous=t.weeks.get(week_starts[0]),
                     findings=found.pop(t.area_id, 0)) for t in trends]
    areas += [AreaRow(name=names[area_id], score=None, previous=None, findings=n) for area_id, n in found.items()]
    schedule = rounds.days_schedule(store, monday, sunday, now)
    settings = settings_for(store.id)
    checks = form_quality.check_ros(store.id, start, end, shown=False)
    forms = form_quality.Figures(checked=len(checks), complete=sum(c.complete for c in checks),
                                 with_errors=sum(c.has_errors for c in checks),
                                 fill_target=Decimal(settings.form_fill_target),
                                 error_limit=Decimal(settings.form_error_limit))
    return WeekPack(
        store=store, monday=monday, sunday=sunday, now=now, week_starts=week_starts, areas=areas,
        findings=sum(a.findings for a in areas), schedule=schedule,
        actions=_action_figures(store.id, start, end, now), quality=_quality(store, monday, sunday), forms=forms,
        pending=pending_summary(store.id, clock.store_today(store.timezone)),
        complaints=_week_complaints(store.id, start, end),
        figures=kpi_figures.figures(store, monday, sunday, WEEK_FIGURES))


def _week_complaints(store_id: int, start: datetime, end: datetime) -> list:
    """The complaints received in the week, with who is responsible (the pack's "dissatisfied
    customers and who is responsible")."""
    return list(db.session.scalars(
        select(Complaint).options(joinedload(Complaint.customer), joinedload(Complaint.responsible),
                                  joinedload(Complaint.advisor))
        .where(Complaint.store_id == store_id, Complaint.received_at >= start, Complaint.received_at < end)
        .order_by(Complaint.received_at)))
