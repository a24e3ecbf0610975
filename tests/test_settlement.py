"""Settlement and delivery: the final bill from the lines, payments per payer, the checklist, and
the one document (print page and PDF) with the RO number's QR code."""
from decimal import Decimal

import pytest

from intranet.core.models import Role, ROStatus
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
