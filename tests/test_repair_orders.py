"""The advisor's repair order: lines and totals, menu items, editing by two people, double taps."""
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intranet.core.billing import totals
from intranet.core.models import CannedJob, CannedJobLine, PayType, RepairOrder, Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.errors import DomainError
from intranet.reception import services


# `ro`: a car just checked in by the advisor sun (tests/conftest.py)


def test_totals_with_vat_and_split_payers(ro, store, db):
    args = {"store_id": store.id, "actor_id": ro.advisor_id}
    services.add_line(ro.id, kind="labour", description="常规保养工时", quantity="1.2", **args)  # store rate
    services.add_line(ro.id, kind="part", description="机油 5W-30 5L", quantity="1", unit_price="458", **args)
    services.add_line(ro.id, kind="part", description="机油滤清器", quantity="1", unit_price="68.00",
                      pay_type="warranty", **args)
    result = totals(ro.lines, store.tax_rate)
    assert result.labour == Decimal("180.00") and result.parts == Decimal("526.00")
    assert result.net == Decimal("706.00")
    assert result.by_payer[PayType.CUSTOMER].tax == Decimal("82.94")  # 13% of 638.00
    assert result.by_payer[PayType.WARRANTY].gross == Decimal("76.84")
    assert result.gross == Decimal("797.78") == sum(s.gross for s in result.by_payer.values())


@pytest.mark.parametrize("kwargs, field", [
    ({"description": "", "quantity": "1", "unit_price": "10"}, "description"),
    ({"description": "x", "quantity": "0", "unit_price": "10"}, "quantity"),
    ({"description": "x", "quantity": "abc", "unit_price": "10"}, "quantity"),
    ({"description": "x", "quantity": "1", "unit_price": "-5"}, "unit_price"),
    ({"description": "x", "quantity": "1", "unit_price": None}, "unit_price"),
])
def test_bad_lines_are_refused_on_their_field(ro, store, kwargs, field):
    with pytest.raises(DomainError) as refused:
        services.add_line(ro.id, store_id=store.id, actor_id=ro.advisor_id, kind="part", **kwargs)
    assert refused.value.field == field


def test_menu_item_adds_its_lines_at_the_store_rate(ro, store, db):
    job = CannedJob(store_id=store.id, code="FS", name="首保", lines=[
        CannedJobLine(position=1, kind="labour", description="首保工时", quantity=Decimal("1.0")),
        CannedJobLine(position=2, kind="part", description="机油", quantity=Decimal("1"), unit_price=Decimal("398"))])
    db.session.add(job)
    db.session.commit()
    services.apply_canned_job(ro.id, job.id, store_id=store.id, actor_id=ro.advisor_id)
    assert [(line.description, line.unit_price) for line in ro.lines] == [
        ("首保工时", store.labour_rate), ("机油", Decimal("398.00"))]


def test_lines_are_frozen_once_delivered(ro, store):
    for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY, ROStatus.DELIVERED):
        transition_repair_order(ro.id, status, actor_id=ro.advisor_id)
    with pytest.raises(DomainError):
        services.add_line(ro.id, store_id=store.id, actor_id=ro.advisor_id, kind="part", description="x",
                          quantity="1", unit_price="1")


def test_insurance_needs_insurer_and_warranty_needs_claim(ro, store):
    base = {"store_id": store.id, "actor_id": ro.advisor_id, "expected_version": ro.version}
    with pytest.raises(DomainError) as refused:
        services.update_repair_order(ro.id, pay_type="insurance", insurer="", **base)
    assert refused.value.field == "insurer"
    with pytest.raises(DomainError) as refused:
        services.update_repair_order(ro.id, pay_type="warranty", warranty_claim_ref=" ", **base)
    assert refused.value.field == "warranty_claim_ref"
    saved = services.update_repair_order(ro.id, pay_type="insurance", insurer="平安保险", claim_number="PA2026-1",
                                         assessed_amount=Decimal("5200"), insurer_payment="pending", **base)
    assert saved.insurer == "平安保险" and saved.events[-1].changes


def test_second_save_from_a_stale_form_is_refused_with_what_changed(ro, store, make_user, db):
    li = make_user(Role.ADVISOR, username="li", display_name="李明")
    seen = ro.version
    services.update_repair_order(ro.id, store_id=store.id, actor_id=li.id, expected_version=seen,
                                 key_tag="017", complaint="刹车异响")
    db.session.commit()
    with pytest.raises(services.StaleEdit) as stale:
        services.update_repair_order(ro.id, store_id=store.id, actor_id=ro.advisor_id, expected_version=seen,
                                     key_tag="018")
    changes = [change for event in stale.value.events for change in event.changes]
    assert [c[1:] for c in changes] == [["—", "刹车异响"], ["—", "017"]]
    assert stale.value.events[0].actor_id == li.id


def test_two_advisors_editing_in_the_browser_flow(client, login_as, ro, db):
    login_as(Role.ADVISOR)
    page = client.get(f"/reception/ro/{ro.id}").get_data(as_text=True)
    assert ro.number in page and 'name="version"' in page
    version = str(ro.version)
    form = {"version": version, "complaint": "空调不凉", "key_tag": "021", "pay_type": "customer",
            "insurer_payment": "none"}
    first = client.post(f"/reception/ro/{ro.id}", data=form)
    assert first.status_code == 302
    second = client.post(f"/reception/ro/{ro.id}", data={**form, "complaint": "空调有异味", "key_tag": "022"})
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "空调有异味" in body  # what the second advisor typed is still there
    assert "空调不凉" in body and "021" in body  # and they see what the first one saved
    db.session.expire_all()
    assert db.session.get(RepairOrder, ro.id).complaint == "空调不凉"


def test_double_tapped_check_in_makes_one_repair_order(client, login_as, make_vehicle, db):
    login_as(Role.ADVISOR)
    car = make_vehicle(plate="沪E12345")
    form = {"odometer_km": "", "complaint": "保养", "origin_token": "4b0f5c1e-0000-4000-8000-000000000001"}
    first = client.post(f"/reception/check-in/{car.id}", data=form)
    second = client.post(f"/reception/check-in/{car.id}", data=form)
    assert first.status_code == second.status_code == 302
    assert first.location == second.location
    assert db.session.scalar(select(func.count()).select_from(RepairOrder)) == 1


def test_lines_by_htmx_answer_with_the_lines_fragment(client, login_as, ro):
    login_as(Role.ADVISOR)
    added = client.post(f"/reception/ro/{ro.id}/lines", headers={"HX-Request": "true"},
                        data={"kind": "part", "description": "雨刮片", "quantity": "2", "unit_price": "75",
                              "pay_type": "customer"})
    body = added.get_data(as_text=True)
    assert added.status_code == 200 and 'id="ro-lines"' in body and "<html" not in body
    assert "雨刮片" in body and "169.50" in body  # 150.00 + 13% VAT
    refused = client.post(f"/reception/ro/{ro.id}/lines", headers={"HX-Request": "true"},
                          data={"kind": "part", "description": "雨刮片", "quantity": "0", "unit_price": "75",
                                "pay_type": "customer"})
    assert refused.status_code == 422 and 'value="雨刮片"' in refused.get_data(as_text=True)
    line_id = ro.lines[0].id if ro.lines else None
    from intranet.extensions import db

    db.session.expire_all()
    line_id = db.session.get(RepairOrder, ro.id).lines[0].id
    removed = client.post(f"/reception/ro/{ro.id}/lines/{line_id}/delete", headers={"HX-Request": "true"})
    assert removed.status_code == 200 and "雨刮片" not in removed.get_data(as_text=True).split("<form")[0]
    again = client.post(f"/reception/ro/{ro.id}/lines/{line_id}/delete", headers={"HX-Request": "true"})
    assert "toast" in again.headers["HX-Trigger"]


def test_status_buttons_move_the_repair_order_and_refuse_stale_ones(client, login_as, ro, db):
    login_as(Role.ADVISOR)
    version = ro.version
    ok = client.post(f"/reception/ro/{ro.id}/status", data={"to": "in_workshop", "version": version})
    assert ok.status_code == 302
    stale = client.post(f"/reception/ro/{ro.id}/status", data={"to": "cancelled", "version": version})
    assert stale.status_code == 302
    db.session.expire_all()
    assert db.session.get(RepairOrder, ro.id).status == "in_workshop"


def test_repair_order_page_renders_with_a_constant_number_of_queries(client, login_as, ro, store, db):
    from sqlalchemy import event

    login_as(Role.ADVISOR)

    def count():
        seen = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/reception/ro/{ro.id}").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = count()
    for n in range(12):
        services.add_line(ro.id, store_id=store.id, actor_id=ro.advisor_id, kind="part", description=f"件{n}",
                          quantity="1", unit_price="10")
    db.session.commit()
    assert count() == few


def test_promised_time_is_entered_in_store_time(client, login_as, ro, db):
    login_as(Role.ADVISOR)
    client.post(f"/reception/ro/{ro.id}", data={"version": ro.version, "promised_at": "2026-11-23T17:30",
                                                "pay_type": "customer", "insurer_payment": "none"})
    db.session.expire_all()
    assert db.session.get(RepairOrder, ro.id).promised_at == datetime(2026, 11, 23, 9, 30)  # UTC
