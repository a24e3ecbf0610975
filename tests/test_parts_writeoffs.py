"""Write-offs (报损): three signatures from three different people holding the service manager's,
the warranty supervisor's and the parts manager's roles, none of them the requester; the third
posts the WRITE_OFF movement. Parts that can still be claimed or returned are refused. Refusals
are matched on their class, field and part number (the new strings have no Chinese yet)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Photo, Role
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.parts import ledger, writeoffs
from intranet.parts.models import (
    ClaimStatus, Discrepancy, MovementKind, Part, PurchaseOrder, Receipt, StockMovement, Supplier, WriteOff,
    WriteOffApproval, WriteOffStatus,
)

NOW = datetime(2026, 11, 23, 2, 0)  # 10:00 in Shanghai


# `people` (tests/conftest.py) makes these
pytestmark = pytest.mark.people(keeper=(Role.PARTS, "keeper"), parts=(Role.PARTS, "shen"), director="zhao",
                                warranty=(Role.WARRANTY, "han"), both=((Role.DIRECTOR, Role.WARRANTY), "both"),
                                advisor="sun", planner=(Role.PARTS, "gu"))


@pytest.fixture(autouse=True)
def _parts_manager(db, people):
    """shen is the parts manager (the flag); keeper and planner are parts accounts like any other."""
    people["parts"].parts_manager = True
    db.session.commit()


@pytest.fixture
def part(db, store):
    supplier = Supplier(store_id=store.id, name="上汽大众配件", return_days=0)
    db.session.add(supplier)
    db.session.flush()
    found = Part(store_id=store.id, number="5G0807221", name="前保险杠", cost=Decimal("420"), supplier_id=supplier.id,
                 bin_code="B-02-1-03")
    db.session.add(found)
    db.session.flush()
    with clock.frozen(NOW - timedelta(days=90)):
        ledger.post(found.id, Decimal("5"), MovementKind.RECEIPT, store_id=store.id, actor_id=None)
    db.session.commit()
    return found


def request(store, people, part, quantity="2", **kwargs):
    with clock.frozen(NOW):
        return writeoffs.request_write_off(store_id=store.id, actor_id=people["keeper"].id, part_number=part.number,
                                           quantity=quantity, reason="运输中压裂，无法修复", **kwargs)


def sign(store, people, write_off, who, role):
    with clock.frozen(NOW):
        return writeoffs.approve_write_off(write_off.id, store_id=store.id, actor_id=people[who].id, role=role)


def moves(db):
    return db.session.scalars(select(StockMovement.quantity).where(StockMovement.kind == MovementKind.WRITE_OFF)).all()


def test_the_third_signature_posts_the_write_off(db, store, people, part):
    write_off = request(store, people, part)
    db.session.commit()
    assert writeoffs.missing_signatures(write_off) == [Role.DIRECTOR, Role.WARRANTY, Role.PARTS]
    sign(store, people, write_off, "director", "director")
    sign(store, people, write_off, "warranty", "warranty")
    db.session.commit()
    assert write_off.status == WriteOffStatus.REQUESTED and moves(db) == []
    assert writeoffs.missing_signatures(write_off) == [Role.PARTS]
    sign(store, people, write_off, "parts", "parts")
    db.session.commit()
    assert write_off.status == WriteOffStatus.POSTED and write_off.closed_at == NOW
    assert moves(db) == [Decimal("-2")]
    assert db.session.get(Part, part.id).on_hand == 3
    assert ledger.ledger_drift(store.id) == []
    movement = db.session.scalar(select(StockMovement).where(StockMovement.kind == MovementKind.WRITE_OFF))
    assert movement.write_off_id == write_off.id and movement.balance == 3
    with pytest.raises(IllegalTransition):
        sign(store, people, write_off, "both", "warranty")


def test_signatures_from_the_wrong_people_are_refused(db, store, people, part):
    write_off = request(store, people, part)
    db.session.commit()
    cases = [("keeper", "parts", writeoffs.SignatureRefused),  # the requester
             ("planner", "parts", writeoffs.SignatureRefused),  # a parts account, not the parts manager
             ("advisor", "director", writeoffs.SignatureRefused),  # no such role
             ("warranty", "director", writeoffs.SignatureRefused),  # not their role
             ("parts", "advisor", writeoffs.SignatureRefused)]  # not a signature at all
    for who, role, error in cases:
        with pytest.raises(error):
            sign(store, people, write_off, who, role)
        db.session.rollback()
    sign(store, people, write_off, "both", "director")
    db.session.commit()
    with pytest.raises(writeoffs.SignatureRefused):  # one person, two roles: still one signature
        sign(store, people, write_off, "both", "warranty")
    db.session.rollback()
    with pytest.raises(Conflict):  # the service manager's signature is already there
        sign(store, people, write_off, "director", "director")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WriteOffApproval)) == 1
    assert moves(db) == []


def test_a_part_that_can_be_claimed_or_returned_is_refused(db, store, people, part):
    order = PurchaseOrder(store_id=store.id, number="PO-1")
    db.session.add(order)
    db.session.flush()
    receipt = Receipt(store_id=store.id, order_id=order.id, delivery_note="DN-1")
    db.session.add(receipt)
    db.session.flush()
    claim = Discrepancy(store_id=store.id, receipt_id=receipt.id, part_id=part.id, kind="damaged",
                        quantity=Decimal("1"), status=ClaimStatus.CLAIMED, created_at=NOW - timedelta(days=3))
    db.session.add(claim)
    db.session.commit()
    with pytest.raises(writeoffs.StillClaimable) as refused:
        request(store, people, part)
    assert part.number in str(refused.value) and refused.value.field == "part_number"
    db.session.rollback()
    claim.status = ClaimStatus.REJECTED  # the supplier refused: it is ours to write off
    supplier = db.session.get(Supplier, part.supplier_id)
    supplier.return_days = 30
    with clock.frozen(NOW - timedelta(days=10)):
        ledger.post(part.id, Decimal("1"), MovementKind.RECEIPT, store_id=store.id, actor_id=None)
    db.session.commit()
    with pytest.raises(writeoffs.StillReturnable) as refused:
        request(store, people, part)
    assert part.number in str(refused.value) and supplier.name in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 0
    with clock.frozen(NOW + timedelta(days=25)):  # the return window has closed
        writeoffs.request_write_off(store_id=store.id, actor_id=people["keeper"].id, part_number=part.number,
                                    quantity="1", reason="过期")
    db.session.commit()


def test_bad_requests_are_refused_and_nothing_is_kept(db, store, people, part):
    for quantity, reason, number, field in (("7", "破损", part.number, "quantity"),  # 6 on hand
                                            ("0", "破损", part.number, "quantity"),
                                            ("1", " ", part.number, "reason"),
                                            ("1", "破损", "NOPE", "part_number")):
        with pytest.raises(DomainError) as refused, clock.frozen(NOW):
            writeoffs.request_write_off(store_id=store.id, actor_id=people["keeper"].id, part_number=number,
                                        quantity=quantity, reason=reason)
        assert refused.value.field == field
        db.session.rollback()
    request(store, people, part, quantity="4")
    db.session.commit()
    with pytest.raises(DomainError) as refused:  # 4 of the 5 already wait to be written off
        request(store, people, part, quantity="2")
    assert refused.value.field == "quantity" and part.number in str(refused.value)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WriteOff)) == 1


def test_stock_reserved_for_cars_is_not_written_off(db, store, people, part):
    write_off = request(store, people, part, quantity="3")
    ledger.reserve(part.id, Decimal("3"), store_id=store.id, actor_id=None)
    db.session.commit()
    sign(store, people, write_off, "director", "director")
    sign(store, people, write_off, "warranty", "warranty")
    db.session.commit()
    with pytest.raises(ledger.OutOfStock) as refused:
        sign(store, people, write_off, "parts", "parts")
    assert part.number in str(refused.value)
    db.session.rollback()
    assert db.session.get(WriteOff, write_off.id).status == WriteOffStatus.REQUESTED
    assert moves(db) == [] and db.session.get(Part, part.id).on_hand == 5


def test_a_signatory_refuses_with_a_reason(db, store, people, part):
    write_off = request(store, people, part)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        writeoffs.refuse_write_off(write_off.id, store_id=store.id, actor_id=people["warranty"].id, reason="")
    assert refused.value.field == "refusal"
    db.session.rollback()
    with pytest.raises(writeoffs.SignatureRefused):
        writeoffs.refuse_write_off(write_off.id, store_id=store.id, actor_id=people["advisor"].id, reason="不行")
    db.session.rollback()
    writeoffs.refuse_write_off(write_off.id, store_id=store.id, actor_id=people["warranty"].id,
                               reason="可向厂家索赔")
    db.session.commit()
    assert (write_off.status, write_off.refusal) == (WriteOffStatus.REFUSED, "可向厂家索赔")
    with pytest.raises(IllegalTransition):
        sign(store, people, write_off, "director", "director")


# ------------------------------------------------------------------ views

def _jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "gray").save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def test_request_from_the_tablet_with_a_photo_and_a_refusal_keeps_the_form(client, login_as, db, store, part, app,
                                                                          tmp_path):
    app.config["PHOTO_FOLDER"] = str(tmp_path)
    login_as(Role.PARTS, username="tablet")
    refused = client.post("/parts/write-offs/new", data={"part_number": part.number, "quantity": "9",
                                                         "reason": "压裂"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'value="9"' in body and "压裂" in body and part.number in body
    response = client.post("/parts/write-offs/new", content_type="multipart/form-data",
                           data={"part_number": part.number.lower(), "quantity": "1", "reason": "压裂",
                                 "photos": (_jpeg(), "damage.jpg")})
    assert response.status_code == 302
    write_off = db.session.scalars(select(WriteOff)).one()
    assert db.session.scalar(select(Photo.write_off_id)) == write_off.id


def test_the_list_shows_waiting_ones_first_with_buttons_for_the_viewers_roles(client, login_as, db, store, people,
                                                                             part):
    older = request(store, people, part, quantity="1")
    db.session.commit()
    sign(store, people, older, "director", "director")
    sign(store, people, older, "warranty", "warranty")
    sign(store, people, older, "parts", "parts")
    waiting = request(store, people, part, quantity="1")
    db.session.commit()
    sign(store, people, waiting, "director", "director")
    db.session.commit()
    me = login_as(Role.WARRANTY, Role.PARTS, username="tablet")
    me.parts_manager = True
    db.session.commit()
    page = client.get("/parts/write-offs/").get_data(as_text=True)
    assert page.index(f"write-off-{waiting.id}") < page.index(f"write-off-{older.id}")
    assert f'data-testid="sign-{waiting.id}-warranty"' in page and f'data-testid="sign-{waiting.id}-parts"' in page
    assert f'data-testid="sign-{waiting.id}-director"' not in page
    assert f'data-testid="sign-{older.id}-' not in page
    client.post(f"/parts/write-offs/{waiting.id}/sign", data={"role": "warranty"})
    db.session.expire_all()
    assert {a.user_id for a in db.session.get(WriteOff, waiting.id).approvals} == {people["director"].id, me.id}
    page = client.get("/parts/write-offs/").get_data(as_text=True)
    assert f'data-testid="sign-{waiting.id}-parts"' not in page  # one signature per person


def test_only_the_parts_manager_gives_the_parts_managers_signature(client, login_as, db, store, people, part):
    """Any parts account (planner, buyer, storekeeper) was taken as the parts manager: the signature
    needs the parts-manager flag, and the list offers its button only to the parts manager."""
    write_off = request(store, people, part, quantity="1")
    db.session.commit()
    assert writeoffs.may_sign(write_off, people["planner"]) == []
    assert writeoffs.may_sign(write_off, people["parts"]) == [Role.PARTS]
    with pytest.raises(writeoffs.SignatureRefused):
        sign(store, people, write_off, "planner", "parts")
    db.session.rollback()
    with pytest.raises(writeoffs.SignatureRefused):  # nor may a plain parts account refuse it
        writeoffs.refuse_write_off(write_off.id, store_id=store.id, actor_id=people["planner"].id, reason="不同意")
    db.session.rollback()
    login_as(Role.PARTS, username="buyer")
    page = client.get("/parts/write-offs/").get_data(as_text=True)
    assert f'data-testid="sign-{write_off.id}-parts"' not in page
    refused = client.post(f"/parts/write-offs/{write_off.id}/sign", data={"role": "parts"})
    assert refused.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(WriteOffApproval)) == 0
    sign(store, people, write_off, "parts", "parts")
    db.session.commit()
    assert [a.user_id for a in db.session.get(WriteOff, write_off.id).approvals] == [people["parts"].id]
