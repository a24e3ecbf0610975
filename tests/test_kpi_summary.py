"""The daily KPI summary gives the same figures as the rows (every KPI, every breakdown, series, on
every period kind, today included), forgets a past day as soon as a change touches it, and the job
builds what is missing. One demo store seeded at a frozen clock (seeding is what takes the time)."""
from __future__ import annotations

import traceback
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet import clock
from intranet.care.models import CallStatus, FollowUpCall
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.reports import kpis
from intranet.reports.kpis import read, summary
from intranet.reports.kpis.breakdowns import breakdown_from_rows, member_series_from_rows
from intranet.reports.kpis.values import series_from_rows
from intranet.reports.models import KpiDay, KpiDayTerm, KpiMonth
from intranet.reports.periods import Period, day_of, month_of, week_of

TZ = "Asia/Shanghai"
DAYS = 21
SEEDED = clock.store_local_to_utc(datetime(2027, 1, 20, 15, 40), TZ)


@pytest.fixture
def demo(runner, db):
    with clock.frozen(SEEDED):
        result = runner.invoke(args=["seed-demo", "--days", str(DAYS)])
        assert result.exit_code == 0, "".join(traceback.format_exception(result.exception)) + result.output
        store = db.session.scalar(select(Store))
        db.session.execute(KpiDayTerm.__table__.delete())
        db.session.execute(KpiDay.__table__.delete())
        db.session.commit()
        yield store


def _today():
    return clock.store_today(TZ)


def _periods() -> list[Period]:
    today = _today()
    return [day_of(today), day_of(today - timedelta(days=1)), day_of(today - timedelta(days=9)), week_of(today),
            week_of(today - timedelta(days=7)), month_of(today), month_of(today).previous(),
            Period(today - timedelta(days=DAYS), today - timedelta(days=1)),
            Period(today - timedelta(days=DAYS + 5), today + timedelta(days=3))]


def _same(a: kpis.Value, b: kpis.Value, where: str) -> None:
    assert (a.value, a.target, a.on_target) == (b.value, b.target, b.on_target), where
    for x, y in ((a.numerator, b.numerator), (a.denominator, b.denominator)):
        assert (x or 0) == (y or 0), (where, x, y)


def _check_everything(store: Store) -> int:
    """Every figure, breakdown and series of every period, from the summary and from the rows;
    returns how many figures were compared."""
    compared = 0
    for period in _periods():
        with kpis.shared_reads():
            assert read.period_terms(store, period.start, period.end) is not None, period  # the summary is read
            summed, rows = kpis.compute(store, period), kpis.compute_from_rows(store, period)
            for key in kpis.KPIS:
                _same(summed[key], rows[key], f"{key} {period}")
                compared += 1
                for by in kpis.KPIS[key].breakdowns:
                    from_summary = kpis.breakdown(store, period, key, by)
                    from_rows = breakdown_from_rows(store, period, key, by)
                    assert [(label, member) for label, member, _v in from_summary] == \
                           [(label, member) for label, member, _v in from_rows], (key, by, period)
                    for (label, _m, a), (_l, _m2, b) in zip(from_summary, from_rows):
                        _same(a, b, f"{key} by {by} {label} {period}")
                        compared += 1
        with kpis.shared_reads():
            summed_table = kpis.technicians_table(store, period)
            rows_table = kpis.drill(store, period, "tech_efficiency")
            assert summed_table.rows == rows_table.rows, period
            compared += len(rows_table.rows)
    today = _today()
    days = [day_of(today - timedelta(days=n)) for n in range(14, -1, -1)]
    weeks = [week_of(today - timedelta(days=7 * n)) for n in range(3, -1, -1)]
    for points in (days, weeks):
        with kpis.shared_reads():
            for key in ("cars_in", "output_value", "one_time_fix", "on_time", "csi", "tech_efficiency"):
                for a, b in zip(kpis.series(store, key, points), series_from_rows(store, key, points)):
                    _same(a, b, f"series {key}")
                    compared += 1
            advisor = next(m for _l, m, _v in kpis.breakdown(store, points[-1], "cars_in", "advisor") if m)
            for key in ("cars_in", "on_time", "ticket_repair"):
                for a, b in zip(kpis.member_series(store, key, points, "advisor", advisor),
                                member_series_from_rows(store, key, points, "advisor", advisor)):
                    _same(a, b, f"member series {key}")
                    compared += 1
    return compared


def test_the_summary_gives_every_figure_the_rows_give(db, demo):
    with clock.frozen(SEEDED):
        today = _today()
        assert kpis.compute(demo, day_of(today - timedelta(days=1)))["cars_out"].numerator > 0
        built = summary.build_days(demo, [today - timedelta(days=n) for n in range(1, DAYS + 40)])
        db.session.commit()
        assert built == DAYS + 39
        assert summary.build_months(demo) == 1  # December 2026 (January is not over)
        db.session.commit()
        assert summary.build_days(demo, [today, today + timedelta(days=1)]) == 0  # today is never summarised
        assert _check_everything(demo) > 1000
        # and a figure really comes from the summary: a term changed behind the rows' back shows
        day = today - timedelta(days=2)
        db.session.execute(KpiDayTerm.__table__.update().where(
            KpiDayTerm.day == day, KpiDayTerm.kpi_key == "cars_out", KpiDayTerm.by == "")
            .values(num=KpiDayTerm.num + 10 * summary.SCALE))
        db.session.commit()
        assert (kpis.compute(demo, day_of(day))["cars_out"].numerator
                == kpis.compute_from_rows(demo, day_of(day))["cars_out"].numerator + 10)


def test_a_change_to_a_past_day_forgets_that_day_and_the_job_builds_it_again(db, demo):
    from intranet.reports.jobs import kpi_summary_job

    with clock.frozen(SEEDED):
        today = _today()
        store_id = demo.id
        assert kpi_summary_job() >= DAYS  # from the first repair order to yesterday
        assert kpi_summary_job() == 0  # nothing left to build
        demo = db.session.get(Store, store_id)  # the job's unit of work ended the session
        first = summary.first_day(demo)
        assert summary.missing_days(demo, first, today - timedelta(days=1)) == []

        # a repair order delivered three days ago is reopened: that day (and the day it came in) forget
        ro = db.session.scalar(select(RepairOrder).where(
            RepairOrder.status == ROStatus.DELIVERED, RepairOrder.delivered_at.is_not(None))
            .order_by(RepairOrder.delivered_at.desc()).offset(20).limit(1))
        delivered_day = clock.to_store_time(ro.delivered_at, TZ).date()
        opened_day = clock.to_store_time(ro.opened_at, TZ).date()
        assert delivered_day < today
        ro.delivered_at = ro.delivered_at + timedelta(minutes=5)
        db.session.commit()
        assert set(summary.missing_days(demo, first, today - timedelta(days=1))) == {delivered_day, opened_day}
        period = Period(first, today)
        assert read.period_terms(demo, period.start, period.end) is None  # read from the rows meanwhile
        # a follow-up call closed today for a call due on a past day forgets that day
        call = db.session.scalar(select(FollowUpCall).where(FollowUpCall.status == CallStatus.DONE,
                                                            FollowUpCall.due_from < today - timedelta(days=5))
                                 .limit(1))
        call.status = CallStatus.EXPIRED
        db.session.commit()
        due = call.due_from
        assert due in summary.missing_days(demo, first, today - timedelta(days=1))
        assert kpi_summary_job() == len({delivered_day, opened_day, due})
        # a change today touches no past day: nothing is forgotten
        demo = db.session.get(Store, store_id)
        count = db.session.scalar(select(func.count()).select_from(KpiDay))
        today_ro = db.session.scalar(select(RepairOrder).where(RepairOrder.status != ROStatus.DELIVERED)
                                     .order_by(RepairOrder.opened_at.desc()).limit(1))
        today_ro.promised_at = today_ro.promised_at + timedelta(hours=1) if today_ro.promised_at else None
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(KpiDay)) == count
        assert _check_everything(demo) > 1000

        # a new time zone forgets the whole store
        summary.build_months(demo)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(KpiMonth)) == 1
        demo.timezone = "Asia/Urumqi"
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(KpiDay)) == 0
        assert db.session.scalar(select(func.count()).select_from(KpiMonth)) == 0
