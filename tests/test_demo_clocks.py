"""`flask seed-demo` (and so `flask up`) works at any clock: every three hours round a day, just
after and just before midnight in Shanghai, on the last day of a month — each into an empty
database (the `db` fixture empties the tables after each test). A short history keeps most runs
quick; the full two months are seeded once, at the worst clock."""
from __future__ import annotations

import traceback
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Customer, RepairOrder, Role, ROStatus, Store, User, Vehicle
from intranet.reception.models import Appointment

TZ = "Asia/Shanghai"
# 31 January 2027 is a Sunday and the last day of its month; 1 March 2027 follows a short month.
LAST_DAY = datetime(2027, 1, 31)
CLOCKS = [
    pytest.param(LAST_DAY.replace(hour=0, minute=5), 2, id="31jan-00:05"),
    *[pytest.param(LAST_DAY.replace(hour=hour), 2, id=f"31jan-{hour:02d}:00") for hour in range(3, 24, 3)],
    pytest.param(datetime(2027, 3, 1, 0, 5), 2, id="1mar-00:05"),
    pytest.param(datetime(2026, 12, 7, 18, 13), 2, id="7dec-18:13"),  # when the README's `flask up` failed
    pytest.param(LAST_DAY.replace(hour=23, minute=55), 60, id="31jan-23:55-full"),
]


def local(value: datetime) -> datetime:
    return clock.to_store_time(value, TZ).replace(tzinfo=None)


@pytest.mark.parametrize(("at", "days"), CLOCKS)
def test_the_demo_seeds_at_any_clock(runner, db, at, days):
    now = clock.store_local_to_utc(at, TZ)
    with clock.frozen(now):
        result = runner.invoke(args=["seed-demo", "--days", str(days)])
    assert result.exit_code == 0, "".join(traceback.format_exception(result.exception)) + result.output
    assert "demo1234" in result.output and "repair orders opened today by this run: 13" in result.output

    store = db.session.scalar(select(Store))
    assert store.timezone == TZ
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 300
    assert db.session.scalar(select(func.count()).select_from(Vehicle)) >= 300
    assert {r for u in db.session.scalars(select(User)) for r in u.roles} == set(Role)

    # The history: visits on each of the days before today, every one handed back before now
    orders = list(db.session.scalars(select(RepairOrder)))
    assert all(ro.opened_at <= now for ro in orders)
    today = at.date()
    history = [ro for ro in orders if ro.opened_at < clock.store_day_bounds_utc(today, TZ)[0] - timedelta(hours=4)]
    assert {local(ro.opened_at).date() for ro in history} == {today - timedelta(days=n) for n in range(1, days + 1)}
    assert all(ro.status == ROStatus.DELIVERED and ro.delivered_at <= now for ro in history)

    # Today's thirteen cars: on site at every stage (just after midnight they arrived late last evening)
    recent = [ro for ro in orders if ro not in history]
    assert len(recent) == 13 and all(ro.opened_at > now - timedelta(hours=24) for ro in recent)
    assert len({ro.status for ro in recent}) >= 4

    # Bookings round today: some already past (arrived or no-show), some still to come; none booked
    # after now
    appointments = list(db.session.scalars(select(Appointment)))
    assert all(a.booked_at <= now for a in appointments)
    assert any(a.starts_at < now for a in appointments) and any(a.starts_at > now for a in appointments)
