from datetime import datetime

import pytest
from sqlalchemy import event

from intranet import clock
from intranet.core import services
from intranet.core.models import Role, ROStatus
from intranet.errors import Conflict, DomainError, IllegalTransition


def test_duplicate_mobile_is_refused_with_the_owner(make_customer, store, db):
    make_customer(name="王芳", mobile="13900001111")
    with pytest.raises(Conflict) as refused:
        services.create_customer(store_id=store.id, name="李四", mobile="139 0000 1111")
    assert refused.value.field == "mobile" and "王芳" in str(refused.value.message)


def test_duplicate_plate_and_vin_are_refused(make_vehicle, store):
    from intranet.core.identifiers import vin_check_digit

    raw = "LFV2A21K0A3045678"
    vin = raw[:8] + vin_check_digit(raw) + raw[9:]
    make_vehicle(plate="沪A12345", vin=vin)
    with pytest.raises(Conflict) as plate_clash:
        services.create_vehicle(store_id=store.id, customer_id=None, plate="沪a12345", model="速腾")
    assert plate_clash.value.field == "plate"
    with pytest.raises(Conflict) as vin_clash:
        services.create_vehicle(store_id=store.id, customer_id=None, plate="沪B12345", model="速腾", vin=vin)
    assert vin_clash.value.field == "vin"


def test_malformed_vin_is_refused(store):
    with pytest.raises(DomainError) as refused:
        services.create_vehicle(store_id=store.id, customer_id=None, plate="沪B12345", model="速腾",
                                vin="LFV2A21K0A3045679")
    assert refused.value.field == "vin"


@pytest.fixture
def fleet(make_customer, make_vehicle):
    zhang = make_customer(name="张伟", mobile="13812345678")
    zeng = make_customer(name="曾小贤", mobile="13698765432")
    from intranet.core.identifiers import vin_check_digit

    raw = "LFV3A23C8K3123456"
    vin = raw[:8] + vin_check_digit(raw) + raw[9:]
    return {
        "zhang": make_vehicle(plate="沪A12345", customer=zhang, vin=vin),
        "zhang_ev": make_vehicle(plate="沪AD67890", customer=zhang, model="ID.4 CROZZ"),
        "zeng": make_vehicle(plate="苏E88888", customer=zeng),
        "vin": vin,
    }


@pytest.mark.parametrize("query, expected", [
    ("沪A123", {"zhang"}), ("a123", {"zhang"}), ("345", {"zhang"}), ("7890", {"zhang_ev"}),
    ("1381234", {"zhang", "zhang_ev"}), ("5678", {"zhang", "zhang_ev"}), ("ZW", {"zhang", "zhang_ev"}),
    ("zxx", {"zeng"}), ("张", {"zhang", "zhang_ev"}), ("曾小", {"zeng"}), ("E888", {"zeng"}), ("沪", {"zhang", "zhang_ev"}),
    ("nothing", set()),
])
def test_search_as_you_type(fleet, store, query, expected):
    found = {v.plate for v in services.search_vehicles(store.id, query)}
    assert found == {fleet[k].plate for k in expected}


def test_search_by_vin_tail(fleet, store):
    assert [v.plate for v in services.search_vehicles(store.id, fleet["vin"][-6:])] == ["沪A12345"]


def test_search_uses_a_constant_number_of_queries(fleet, store, db, make_vehicle, make_customer):
    store_id = store.id
    for n in range(30):
        make_vehicle(plate=f"沪B{n:05d}", customer=make_customer(name="张三", mobile=f"1370000{n:04d}"))
    db.session.expunge_all()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        results = services.search_vehicles(store_id, "张")
        for v in results:
            assert v.customer.name
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(results) == 20
    assert len(statements) == 1, statements


def test_repair_order_numbers_are_per_store_and_day(make_vehicle, make_user, store):
    advisor = make_user(Role.ADVISOR)
    with clock.frozen(datetime(2026, 11, 22, 1, 0)):  # 09:00 in Shanghai
        first = services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
        second = services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    with clock.frozen(datetime(2026, 11, 22, 16, 30)):  # 00:30 the next day in Shanghai
        third = services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    assert (first.number, second.number, third.number) == (
        "TS01-20261122-001", "TS01-20261122-002", "TS01-20261123-001")


def test_a_car_cannot_be_checked_in_twice(make_vehicle, make_user, store):
    advisor = make_user(Role.ADVISOR)
    car = make_vehicle()
    services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id)
    with pytest.raises(Conflict):
        services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id)


def test_odometer_lower_than_last_time_needs_a_reason(make_vehicle, make_user, store, db):
    advisor = make_user(Role.ADVISOR)
    car = make_vehicle(odometer_km=42000)
    with pytest.raises(DomainError) as refused:
        services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id, odometer_km=41000)
    assert refused.value.field == "odometer_km"
    db.session.rollback()
    ro = services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id, odometer_km=41000,
                                    odometer_reason="仪表更换")
    assert ro.vehicle.last_odometer_km == 41000
    assert ro.events[0].note == "仪表更换"


def test_status_machine_records_every_move_and_refuses_illegal_ones(make_vehicle, make_user, store):
    advisor = make_user(Role.ADVISOR)
    ro = services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    services.transition_repair_order(ro.id, ROStatus.IN_WORKSHOP, actor_id=advisor.id, note="派工")
    with pytest.raises(IllegalTransition):
        services.transition_repair_order(ro.id, ROStatus.DELIVERED, actor_id=advisor.id)
    assert [(e.from_status, e.to_status) for e in ro.events] == [(None, "checked_in"), ("checked_in", "in_workshop")]
    assert ro.events[1].note == "派工" and ro.events[1].actor_id == advisor.id


def test_stale_version_is_refused(make_vehicle, make_user, store):
    advisor = make_user(Role.ADVISOR)
    ro = services.open_repair_order(store_id=store.id, vehicle_id=make_vehicle().id, actor_id=advisor.id)
    seen = ro.version
    services.transition_repair_order(ro.id, ROStatus.IN_WORKSHOP, actor_id=advisor.id, expected_version=seen)
    with pytest.raises(Conflict):
        services.transition_repair_order(ro.id, ROStatus.WAITING_PARTS, actor_id=advisor.id, expected_version=seen)


def test_user_rules(store, make_user):
    with pytest.raises(DomainError):
        services.create_user(store_id=store.id, username="a b", display_name="x", password="password123",
                             roles=[Role.ADVISOR])
    with pytest.raises(DomainError):
        services.create_user(store_id=store.id, username="short", display_name="x", password="123",
                             roles=[Role.ADVISOR])
    with pytest.raises(DomainError):
        services.create_user(store_id=store.id, username="noroles", display_name="x", password="password123",
                             roles=[])
    make_user(Role.ADVISOR, username="taken")
    with pytest.raises(Conflict):
        services.create_user(store_id=store.id, username="TAKEN", display_name="x", password="password123",
                             roles=[Role.CARE])


def test_one_person_many_roles_and_admin_cannot_lock_themselves_out(make_user, db):
    admin = make_user(Role.ADMIN)
    both = make_user(Role.ADVISOR, Role.CARE)
    assert both.roles == [Role.ADVISOR, Role.CARE] and both.has_role(Role.CARE)
    with pytest.raises(DomainError):
        services.update_user(admin.id, actor_id=admin.id, display_name="x", roles=[Role.ADVISOR], active=True)
    with pytest.raises(DomainError):
        services.update_user(admin.id, actor_id=admin.id, display_name="x", roles=[Role.ADMIN], active=False)


# ---------------------------------------------------------------- what every stored value fits (issue 17, item 7)

@pytest.mark.parametrize(("fields", "field"), [
    ({"wechat": "w" * 65}, "wechat"),  # String(64): PostgreSQL refused it with a DataError (a 500)
    ({"wechat": "wx\x00id"}, "wechat"),  # PostgreSQL refuses NUL in text
    ({"note": "下午来\x00取车"}, "note"),
])
def test_a_value_that_does_not_fit_its_column_is_refused_next_to_its_field(store, db, fields, field):
    from intranet.core.bounds import OutOfBounds

    with pytest.raises(OutOfBounds) as refused:
        services.create_customer(store_id=store.id, name="王芳", mobile="13900004444", **fields)
        db.session.flush()
    assert refused.value.field == field
    db.session.rollback()


def test_numbers_that_do_not_fit_are_refused_before_the_database(make_vehicle, db):
    from decimal import Decimal

    from intranet.core.bounds import OutOfBounds, refusal, whole_number
    from intranet.core.models import RepairOrderLine

    car = make_vehicle()
    car.model_year = 10**12  # SQLite: "Python int too large"; PostgreSQL: "integer out of range"
    with pytest.raises(OutOfBounds) as refused:
        db.session.flush()
    assert refused.value.field == "model_year"
    db.session.rollback()
    quantity = RepairOrderLine.__table__.c.quantity.type
    assert refusal(quantity, Decimal("Infinity")) and refusal(quantity, Decimal("NaN"))
    assert refusal(quantity, Decimal("1e9")) and refusal(quantity, Decimal("12.5")) is None
    assert [whole_number(t) for t in ("12", " 7 ", "-3", "9" * 40, "1e309", "abc", "²", "1.5", None)] == [
        12, 7, -3, None, None, None, None, None, None]


def test_two_writers_of_one_row_at_once_run_the_second_again(ro, store, db):
    """commit_unit runs a unit again when the row's version moved under its UPDATE (StaleDataError,
    PostgreSQL's answer to the second of two saves at once): the second run reads the new version."""
    from sqlalchemy.orm.exc import StaleDataError

    runs = []

    def save():
        runs.append(1)
        if len(runs) == 1:
            raise StaleDataError("UPDATE statement on table 'repair_order' expected to update 1 row(s); 0 were matched.")
        return "saved"

    assert services.commit_unit(save) == "saved" and len(runs) == 2
