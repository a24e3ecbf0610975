"""Approving a finding with a new promised time moves the promise of any repair order: of a warranty
or insurance one too (it refused, "a warranty repair order needs the claim reference", because only
the promise was sent and the stored claim reference was not looked at — found by the demo's history)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from intranet import clock
from intranet.core.models import PayType, Role, ROStatus
from intranet.errors import DomainError
from intranet.reception.services import answer_finding, report_finding, update_repair_order
from tests import factories

NOW = datetime(2025, 3, 12, 3, 0)  # 11:00 in Shanghai


@pytest.mark.parametrize("payer", [dict(pay_type=PayType.WARRANTY, warranty_claim_ref="WC250312"),
                                   dict(pay_type=PayType.INSURANCE, insurer="平安保险")])
def test_approving_a_finding_moves_the_promise_of_a_warranty_or_insurance_order(db, store, make_user, payer):
    advisor = make_user(Role.ADVISOR)
    with clock.frozen(NOW):
        ro = factories.repair_order(store, advisor, opened=NOW - timedelta(hours=2), promised=NOW + timedelta(hours=2),
                                    status=ROStatus.IN_WORKSHOP, **payer)
        finding = report_finding(ro.id, store_id=store.id, actor_id=advisor.id, description="刹车片剩余 2 mm",
                                 labour_hours="1", parts_description="前刹车片", parts_amount="680")
        later = NOW + timedelta(hours=4)
        answer_finding(finding.id, store_id=store.id, actor_id=advisor.id, approved=True, channel="phone",
                       promised_at=later)
        db.session.commit()
    assert ro.promised_at == later
    # a form that clears the claim reference is still refused
    with clock.frozen(NOW), pytest.raises(DomainError):
        update_repair_order(ro.id, store_id=store.id, actor_id=advisor.id, expected_version=ro.version,
                            pay_type=str(payer["pay_type"]), warranty_claim_ref="", insurer="")
