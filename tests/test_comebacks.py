from datetime import datetime, timedelta

import pytest

from intranet import clock
from intranet.core.models import Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.errors import DomainError
from intranet.reception import services


def _deliver(ro, actor_id):
    for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY, ROStatus.DELIVERED):
        transition_repair_order(ro.id, status, actor_id=actor_id)


def test_comeback_links_a_recent_visit_of_the_same_car_and_counts(store, make_user, make_vehicle, db, client,
                                                                   login_as):
    advisor = make_user(Role.ADVISOR)
    car, other = make_vehicle(), make_vehicle()
    start = datetime(2026, 11, 1, 2, 0)
    with clock.frozen(start):
        first = services.check_in(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id)
        _deliver(first, advisor.id)
        elsewhere = services.check_in(store_id=store.id, vehicle_id=other.id, actor_id=advisor.id)
        _deliver(elsewhere, advisor.id)
    with clock.frozen(start + timedelta(days=10)):
        again = services.check_in(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id)
    assert services.comeback_candidates(again) == [first]
    with pytest.raises(DomainError):
        services.mark_comeback(again.id, elsewhere.id, store_id=store.id, actor_id=advisor.id)
    services.mark_comeback(again.id, first.id, store_id=store.id, actor_id=advisor.id)
    db.session.commit()
    assert again.comeback_of_id == first.id and again.events[-1].changes[0][2] == first.number
    assert services.comeback_rate(store.id, start - timedelta(days=1), start + timedelta(days=30)) == (1, 3, 1 / 3)
    with clock.frozen(start + timedelta(days=45)):  # outside the 30-day window
        late = services.check_in(store_id=store.id, vehicle_id=other.id, actor_id=advisor.id)
    assert services.comeback_candidates(late) == []

    login_as(Role.ADVISOR)
    page = client.get(f"/reception/ro/{again.id}").get_data(as_text=True)
    assert first.number in page
