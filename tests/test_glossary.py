"""Words as a 4S store says them (docs/glossary.md): one English word that means two things has a
message context; a repair order's history reads labels, not stored values."""
from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale, pgettext

from intranet.reception import services


def test_the_repair_order_history_names_payers_and_claim_states_in_the_readers_words(ro, store):
    base = {"store_id": store.id, "actor_id": ro.advisor_id, "expected_version": ro.version}
    saved = services.update_repair_order(ro.id, pay_type="insurance", insurer="平安保险", claim_number="PA2026-1",
                                         assessed_amount=Decimal("5200"), insurer_payment="pending", **base)
    changes = {label: (old, new) for label, old, new in saved.events[-1].changes}
    assert changes["默认付款方"] == ("客户", "保险")
    assert changes["保险回款"] == ("未索赔", "待保险公司付款")
    flat = " ".join(f"{old} {new}" for old, new in changes.values())
    for raw in ("customer", "insurance", "none", "pending"):
        assert raw not in flat.split()


@pytest.mark.parametrize(("context", "word", "chinese"), [
    ("warranty", "Claim number", "索赔单号"),
    ("deadline", "Due", "截止时间"),
    ("round", "Start", "开始巡检"),
    ("round", "Done", "已完成"),
    ("action", "Done", "完成整改"),
    ("thing", "Name", "名称"),
    ("approval", "Approved", "已审批"),
    ("calls", "Back to the queue", "返回回访列表"),
])
def test_a_word_with_two_meanings_reads_as_the_glossary_says(app, context, word, chinese):
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert pgettext(context, word) == chinese


def test_the_customer_import_template_speaks_chinese_only():
    import re

    from intranet.care.imports import TEMPLATE_NOTES

    assert all(not re.search(r"[A-Za-z]{4,}", note) for note in TEMPLATE_NOTES), TEMPLATE_NOTES
