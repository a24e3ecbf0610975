"""The advisor's "my day": late and at-risk cars, and panels that stay live cheaply."""
from datetime import datetime, timedelta

from intranet import clock
from intranet.core.models import Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.workshop.promise import AT_RISK, LATE, promise_risk
from intranet.reception import services


def test_late_and_at_risk(store, make_user, make_vehicle, db):
    advisor = make_user(Role.ADVISOR)
    now = datetime(2026, 11, 23, 3, 0)  # 11:00 in Shanghai
    with clock.frozen(now - timedelta(hours=2)):
        late = services.check_in(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
        tight = services.check_in(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
        easy = services.check_in(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
        ready = services.check_in(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    late.promised_at = now - timedelta(minutes=10)
    tight.promised_at = now + timedelta(hours=2)
    services.add_line(tight.id, store_id=store.id, actor_id=advisor.id, kind="labour", description="大保养",
                      quantity="2")  # 2 h + finishing does not fit in 2 h
    easy.promised_at = now + timedelta(hours=5)
    ready.promised_at = now - timedelta(hours=1)
    for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY):
        transition_repair_order(ready.id, status, actor_id=advisor.id)
    db.session.commit()
    assert promise_risk([late, tight, easy, ready], now) == {late.id: LATE, tight.id: AT_RISK}


def test_my_day_panel_is_live_and_cheap(client, login_as, store, make_vehicle, db):
    advisor = login_as(Role.ADVISOR)
    page = client.get("/").get_data(as_text=True)
    assert 'hx-get="/home/panels/my_cars"' in page
    first = client.get("/home/panels/my_cars", headers={"HX-Request": "true"})
    etag = first.headers["ETag"]
    assert client.get("/home/panels/my_cars", headers={"If-None-Match": etag}).status_code == 304
    services.check_in(store_id=store.id, vehicle_id=make_vehicle(plate="沪A77777").id, actor_id=advisor.id)
    db.session.commit()
    changed = client.get("/home/panels/my_cars", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "沪A77777" in changed.get_data(as_text=True)
    assert client.get("/home/panels/staff").status_code == 404  # not a panel of this role
