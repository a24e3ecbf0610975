"""The forms people use: customers and cars, staff accounts, store settings — and their refusals."""
from decimal import Decimal

from sqlalchemy import select

from intranet.core.identifiers import vin_check_digit
from intranet.core.models import Customer, Role, Store, User, Vehicle

RAW_VIN = "LFV2A21K0A3045678"
VIN = RAW_VIN[:8] + vin_check_digit(RAW_VIN) + RAW_VIN[9:]
NEW_CUSTOMER = {"name": "刘洋", "mobile": "13800138000", "preferred_contact_time": "evening", "plate": "沪b 12345",
                "model": "探岳 330TSI", "vin": VIN.lower(), "odometer_km": "12000"}


def test_new_customer_with_car(client, login_as, db):
    login_as(Role.ADVISOR)
    response = client.post("/records/customers/new", data=NEW_CUSTOMER)
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer).where(Customer.mobile == "13800138000"))
    assert customer.name_initials == "LY" and customer.preferred_contact_time == "evening"
    car = customer.vehicles[0]
    assert (car.plate, car.vin, car.last_odometer_km) == ("沪B12345", VIN, 12000)
    assert "刘洋" in client.get(response.location).get_data(as_text=True)


def test_duplicate_plate_is_refused_and_nothing_typed_is_lost(client, login_as, make_vehicle, db):
    login_as(Role.ADVISOR)
    make_vehicle(plate="沪B12345")
    response = client.post("/records/customers/new", data=NEW_CUSTOMER)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "沪B12345" in body and 'value="刘洋"' in body and 'value="13800138000"' in body
    assert db.session.scalar(select(Customer).where(Customer.mobile == "13800138000")) is None  # all or nothing


def test_malformed_vin_and_mobile_are_explained_next_to_the_field(client, login_as):
    login_as(Role.ADVISOR)
    body = client.post("/records/customers/new", data={**NEW_CUSTOMER, "vin": "LFV2A21K0A304567"}).get_data(
        as_text=True)
    assert "has-error" in body and "16" in body
    body = client.post("/records/customers/new", data={**NEW_CUSTOMER, "mobile": "12345"}).get_data(as_text=True)
    assert "12345" in body and "has-error" in body


def test_edit_customer_and_vehicle(client, login_as, make_vehicle, db):
    login_as(Role.CARE)
    car = make_vehicle(plate="沪C12345")
    customer_id = car.customer_id
    response = client.post(f"/records/customers/{customer_id}/edit",
                           data={"name": "张伟强", "mobile": "13911112222", "preferred_contact_time": "morning"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer_id).name_initials == "ZWQ"
    response = client.post(f"/records/vehicles/{car.id}/edit", data={"plate": "沪C54321", "model": "速腾"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Vehicle, car.id).plate_rev == "12345C沪"


def test_check_in_from_search_opens_a_repair_order(client, login_as, make_vehicle, db):
    login_as(Role.ADVISOR)
    car = make_vehicle(plate="沪D12345", odometer_km=30000)
    results = client.get("/search?q=D123", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"/reception/check-in/{car.id}" in results and "<html" not in results
    lower = client.post(f"/reception/check-in/{car.id}", data={"odometer_km": "29000", "complaint": "异响"})
    assert lower.status_code == 422 and 'value="29000"' in lower.get_data(as_text=True)
    ok = client.post(f"/reception/check-in/{car.id}", data={"odometer_km": "31000", "complaint": "异响"})
    assert ok.status_code == 302
    assert "沪D12345" in client.get("/").get_data(as_text=True)


def test_admin_creates_disables_and_edits_roles(client, login_as, db):
    admin = login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={"username": "Zhou.Ting", "display_name": "周婷",
                                                     "password": "longenough", "roles": ["advisor", "care"],
                                                     "active": "y"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhou.ting"))
    assert user.roles == [Role.ADVISOR, Role.CARE]
    taken = client.post("/admin/users/new", data={"username": "zhou.ting", "display_name": "x",
                                                  "password": "longenough", "roles": ["care"]})
    assert taken.status_code == 422
    no_role = client.post("/admin/users/new", data={"username": "nobody", "display_name": "x",
                                                    "password": "longenough"})
    assert no_role.status_code == 422
    response = client.post(f"/admin/users/{user.id}", data={"display_name": "周婷", "roles": ["care"]})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.active is False and user.roles == [Role.CARE]
    myself = client.post(f"/admin/users/{admin.id}", data={"display_name": "me", "roles": ["admin"]})
    assert myself.status_code == 422  # cannot disable oneself


def test_a_refusal_that_repeats_what_was_typed_shows_it_as_text(client, login_as, db):
    """A translated refusal repeats the typed value ("… is not a mobile number"): it is text, escaped
    like any other — a typed <script> ran in the page (Flask-Babel marks lazy strings as safe HTML)."""
    login_as(Role.ADMIN)
    typed = "<script>document.title='x'</script>"
    response = client.post("/admin/users/new", data={"username": "xss.test", "display_name": "x",
                                                     "password": "longenough", "roles": ["care"], "mobile": typed})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert typed not in body
    assert "&lt;script&gt;" in body


def test_store_settings(client, login_as, db, store):
    login_as(Role.ADMIN)
    form = {"name": "测试4S店", "code": "ts02", "timezone": "Asia/Shanghai", "opens_at": "08:30",
            "closes_at": "18:00", "key_collection_at": "18:45", "tax_rate_percent": "13", "labour_rate": "160",
            "default_locale": "zh_Hans_CN", "slot_minutes": "30", "advisor_slot_capacity": "2",
            "workshop_hours_per_day": "56"}
    assert client.post("/admin/settings", data=form).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Store, store.id)
    assert (saved.code, str(saved.key_collection_at), saved.tax_rate) == ("TS02", "18:45:00", Decimal("0.1300"))
    wrong = client.post("/admin/settings", data={**form, "opens_at": "19:00"})
    assert wrong.status_code == 422


def test_when_filter_says_tomorrow(app):
    from datetime import datetime

    from intranet import clock

    with app.test_request_context(), clock.frozen(datetime(2026, 11, 22, 2, 0)):  # 10:00 Shanghai
        when = app.jinja_env.filters["when"]
        assert when(datetime(2026, 11, 22, 6, 0)) == "14:00"
        assert "10:00" in when(datetime(2026, 11, 23, 2, 0)) and when(datetime(2026, 11, 23, 2, 0)) != "10:00"
        assert when(datetime(2026, 11, 30, 2, 0)) == "11-30 10:00"
