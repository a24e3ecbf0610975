"""Settlement and delivery: the final bill from the lines, payments per payer, the checklist, and
the one document (print page and PDF) with the RO number's QR code."""
from decimal import Decimal

import pytest

from sqlalchemy import func, select

from intranet.core.models import RepairOrder, Role, ROStatus, User
from intranet.core.services import transition_repair_order
from intranet.errors import Conflict, DomainError
from intranet.reception import services, settlement
from tests import factories


@pytest.fixture
def ready(store):
    return factories.checked_in(store, factories.person(store, "sun"), plate="沪A12345", to=ROStatus.READY, lines=[
        factories.labour("更换前刹车片", "1"),  # 150
        factories.part("前刹车片", "1", "500"),
        factories.part("右前大灯", "1", "1000", pay_type="insurance")])


CHECKLIST = {"work_explained": True, "old_parts": "shown", "car_clean": True, "keys_returned": True}


def test_bill_by_payer_and_split_payments(ready, store):
    bill = settlement.settlement(ready)
    assert bill.customer_due == Decimal("734.50")  # 650 + 13%
    assert bill.due(settlement.PayType.INSURANCE) == Decimal("1130.00")
    args = {"store_id": store.id, "actor_id": ready.advisor_id}
    with pytest.raises(DomainError) as over:
        settlement.record_payment(ready.id, payer="customer", method="wechat", amount="800", **args)
    assert over.value.field == "amount"
    with pytest.raises(DomainError) as wrong_means:
        settlement.record_payment(ready.id, payer="insurance", method="cash", amount="100", **args)
    assert wrong_means.value.field == "method"
    settlement.record_payment(ready.id, payer="customer", method="wechat", amount="700", **args)
    settlement.record_payment(ready.id, payer="customer", method="cash", amount="34.50", **args)
    assert settlement.settlement(ready).customer_due == Decimal("0.00")


def test_delivery_is_refused_until_paid_answered_and_checked(ready, store, make_user, db):
    args = {"store_id": store.id, "actor_id": ready.advisor_id}
    with pytest.raises(DomainError) as unpaid:
        settlement.deliver(ready.id, **args, **CHECKLIST)
    assert unpaid.value.field == "payment"
    settlement.record_payment(ready.id, payer="customer", method="alipay", amount="734.50", **args)
    with pytest.raises(DomainError) as incomplete:
        settlement.deliver(ready.id, **args, **{**CHECKLIST, "keys_returned": False})
    assert incomplete.value.field == "checklist"
    with pytest.raises(DomainError):
        settlement.deliver(ready.id, **args, **{**CHECKLIST, "old_parts": ""})
    delivery = settlement.deliver(ready.id, **args, **CHECKLIST)
    db.session.commit()
    assert ready.status == ROStatus.DELIVERED and ready.delivered_at == delivery.delivered_at
    assert ready.insurer_payment == "pending"  # the insurer's share is now to be collected
    with pytest.raises(Conflict):
        settlement.deliver(ready.id, **args, **CHECKLIST)


def test_unanswered_finding_blocks_delivery(ready, store, db):
    transition_repair_order(ready.id, ROStatus.IN_WORKSHOP, actor_id=ready.advisor_id)
    services.report_finding(ready.id, store_id=store.id, actor_id=ready.advisor_id, description="雨刮老化")
    db.session.commit()
    # the car goes back to ready with the finding still unanswered
    transition_repair_order(ready.id, ROStatus.IN_WORKSHOP, actor_id=ready.advisor_id)
    transition_repair_order(ready.id, ROStatus.QUALITY_CHECK, actor_id=ready.advisor_id)
    transition_repair_order(ready.id, ROStatus.READY, actor_id=ready.advisor_id)
    settlement.record_payment(ready.id, payer="customer", method="cash", amount="734.50", store_id=store.id,
                              actor_id=ready.advisor_id)
    with pytest.raises(DomainError, match="1"):
        settlement.deliver(ready.id, store_id=store.id, actor_id=ready.advisor_id, **CHECKLIST)


def test_settle_page_flow_print_and_pdf(client, login_as, ready, db):
    login_as(Role.ADVISOR)
    page = client.get(f"/reception/ro/{ready.id}/settle").get_data(as_text=True)
    assert "734.50" in page and "1,130.00" in page
    direct = client.post(f"/reception/ro/{ready.id}/status", data={"to": "delivered", "version": ready.version})
    assert direct.status_code == 302 and direct.location.endswith("/settle")  # no shortcut around settlement
    refused = client.post(f"/reception/ro/{ready.id}/deliver", data={"work_explained": "y", "old_parts": "shown",
                                                                      "car_clean": "y", "keys_returned": "y"})
    assert refused.status_code == 422
    paid = client.post(f"/reception/ro/{ready.id}/payments", data={"payer": "customer", "method": "wechat",
                                                                    "amount": "734.50", "reference": "WX123"})
    assert paid.status_code == 302
    done = client.post(f"/reception/ro/{ready.id}/deliver", data={"work_explained": "y", "old_parts": "shown",
                                                                   "car_clean": "y", "keys_returned": "y"})
    assert done.status_code == 302
    printed = client.get(f"/reception/ro/{ready.id}/print").get_data(as_text=True)
    assert ready.number in printed and "<svg" in printed and "WX123" not in printed
    pdf = client.get(f"/reception/ro/{ready.id}/document.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF") and len(pdf.data) > 2000


# ------------------------------------------------------------------ double taps and two tablets at once
def _pay(client, ro_id, token, amount):
    return client.post(f"/reception/ro/{ro_id}/payments", data={
        "payer": "customer", "method": "wechat", "amount": amount, "reference": "", "token": token})


def test_a_double_tapped_payment_is_recorded_once(app, ready, store, db):
    """The same payment form arriving twice at the same moment records one payment (it was two, and
    the customer had paid twice the bill)."""
    from tests.conftest import at_once, signed_in

    db.session.commit()
    advisor = db.session.get(User, ready.advisor_id)
    first, second = signed_in(app, advisor), signed_in(app, advisor)
    answers = at_once(lambda: _pay(first, ready.id, "tap-1", "734.50"), lambda: _pay(second, ready.id, "tap-1", "734.50"))
    assert [a.status_code for a in answers] == [302, 302]  # the second tap answers with the first payment
    db.session.expire_all()
    assert len(settlement.payments_of(ready.id)) == 1
    assert settlement.settlement(ready).customer_due == Decimal("0.00")


def test_two_payments_of_the_whole_bill_at_once_take_it_once(app, ready, store, db):
    """Two tablets recording the whole amount at the same moment: one goes through, the other is told
    that nothing is due any more — never paid twice."""
    from tests.conftest import at_once, signed_in

    db.session.commit()
    advisor = db.session.get(User, ready.advisor_id)
    first, second = signed_in(app, advisor), signed_in(app, advisor)
    answers = at_once(lambda: _pay(first, ready.id, "tablet-1", "734.50"),
                      lambda: _pay(second, ready.id, "tablet-2", "734.50"))
    assert sorted(a.status_code for a in answers) == [302, 422]
    refused = next(a for a in answers if a.status_code == 422).get_data(as_text=True)
    assert "734.50" in refused  # what was typed is kept
    db.session.expire_all()
    assert [p.amount for p in settlement.payments_of(ready.id)] == [Decimal("734.50")]


def test_one_repair_order_on_site_per_car_even_at_the_same_moment(app, store, db):
    """Two quick check-ins of one car from the store-today board at the same moment open one repair
    order (it was two on PostgreSQL, and a 500 on SQLite); the other tap is told where the car is."""
    from tests.conftest import at_once, signed_in

    advisor = factories.person(store, "sun")
    car = factories.car_with_plate(store, "沪B77777")
    db.session.commit()
    car_id, advisor_id = car.id, advisor.id
    first, second = signed_in(app, advisor), signed_in(app, advisor)
    answers = at_once(lambda: first.post("/reception/quick-check-in", data={"plate": "沪B77777"}),
                      lambda: second.post("/reception/quick-check-in", data={"plate": "沪B77777"}))
    assert all(getattr(a, "status_code", None) in (200, 422) for a in answers), answers
    assert any(a.status_code == 200 for a in answers)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RepairOrder).where(RepairOrder.vehicle_id == car_id)) == 1
    with pytest.raises(Conflict):  # a later check-in is told where the car is
        services.check_in(store_id=store.id, vehicle_id=car_id, actor_id=advisor_id)


def test_the_on_site_index_excludes_exactly_the_statuses_off_site():
    from intranet.core.models import ON_SITE_PREDICATE, RO_ON_SITE, RO_TRANSITIONS

    off_site = {s for s in RO_TRANSITIONS if s not in RO_ON_SITE}
    assert ON_SITE_PREDICATE == "status NOT IN (%s)" % ", ".join(f"'{s}'" for s in
                                                                 ("booked", "delivered", "closed", "cancelled"))
    assert off_site == {ROStatus.BOOKED, ROStatus.DELIVERED, ROStatus.CLOSED, ROStatus.CANCELLED}
