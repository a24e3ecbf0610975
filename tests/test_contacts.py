"""A customer's mobile and address are for those who need them (issue 17, item 16): the advisors,
customer care, the director, management and the administrator; the accident desk for customers
whose insurance cars it handles. The workshop, the parts store and the warranty clerk see the car,
the job and the customer's name, with the mobile masked (138****5678) and no address — on the
customer's page, the car's page and in the search results, and they cannot find a car by its
owner's mobile."""
from __future__ import annotations

import pytest

from intranet.auth.access import mask_mobile
from intranet.core.models import PayType, Role
from tests import factories
from tests.conftest import new_client

MOBILE, ADDRESS = "13812345678", "浦东新区张杨路 88 号"
SEE = [Role.ADVISOR, Role.CARE, Role.DIRECTOR, Role.MANAGER, Role.ADMIN]
MASKED = [Role.TECHNICIAN, Role.PARTS, Role.CONTROLLER, Role.INSPECTOR, Role.WARRANTY, Role.ACCIDENT]


def _as(app, user):
    client = new_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def car(store, db):
    owner = factories.customer(store, name="王大明", mobile=MOBILE, address=ADDRESS, wechat="wdm88")
    vehicle = factories.vehicle(store, plate="沪A88888", owner=owner)
    db.session.commit()
    return vehicle


def test_the_mask_keeps_the_ends():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("") == "" and mask_mobile(None) == ""
    assert mask_mobile("62345678") == "****5678"  # a short landline keeps only its tail


@pytest.mark.parametrize("role", SEE + MASKED)
def test_customer_and_car_pages_show_contact_only_to_those_who_need_it(app, make_user, car, role):
    client = _as(app, make_user(role))
    pages = [client.get(f"/customers/{car.customer_id}"), client.get(f"/vehicles/{car.id}"),
             client.get("/search?q=沪A88888"), client.get("/search?q=沪A88888", headers={"HX-Request": "true"})]
    assert [p.status_code for p in pages] == [200] * 4
    texts = [p.get_data(as_text=True) for p in pages]
    assert all("王大明" in text for text in texts)  # the name and the car are for everybody
    if role in SEE:
        assert all(MOBILE in text for text in texts)
        assert ADDRESS in texts[0] and "wdm88" in texts[0]
    else:
        assert not any(MOBILE in text for text in texts), role
        assert all("138****5678" in text for text in texts)
        assert ADDRESS not in texts[0] and "wdm88" not in texts[0]


@pytest.mark.parametrize(("role", "found"), [(Role.ADVISOR, True), (Role.CARE, True), (Role.TECHNICIAN, False),
                                             (Role.PARTS, False), (Role.ACCIDENT, False)])
def test_only_those_who_see_mobiles_find_a_car_by_one(app, make_user, car, role, found):
    page = _as(app, make_user(role)).get("/search?q=5678").get_data(as_text=True)
    assert ("沪A88888" in page) is found


@pytest.mark.people(advisor=Role.ADVISOR)
def test_the_accident_desk_sees_the_contact_of_its_insurance_customers(app, make_user, store, people, car, db):
    accident = make_user(Role.ACCIDENT)
    client = _as(app, accident)
    assert MOBILE not in client.get(f"/customers/{car.customer_id}").get_data(as_text=True)
    ro = factories.checked_in(store, people["advisor"], car)
    ro.pay_type, ro.insurer, ro.claim_number = PayType.INSURANCE, "平安保险", "PA-1"
    db.session.commit()
    for url in (f"/customers/{car.customer_id}", f"/vehicles/{car.id}", "/search?q=沪A88888",
                f"/reception/ro/{ro.id}"):
        page = client.get(url).get_data(as_text=True)
        assert MOBILE in page, url
    assert ADDRESS in client.get(f"/customers/{car.customer_id}").get_data(as_text=True)
