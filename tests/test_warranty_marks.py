"""The warranty mark (索赔件) both ways (issue 16, item 14): the warranty clerk refuses a request with a
reason and the advisor and the counter are told; the counter takes back a wrong mark — before the
issue, or after it while the old part is still held (the bill line and the old part follow) — and
every change is in the request's history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from intranet.core.models import Notice, RepairOrderLine, Role
from intranet.core.services import commit_unit
from intranet.errors import Conflict, DomainError
from intranet.parts import services
from intranet.parts.models import OldPart, PartsEvent
from intranet.parts.services import warranty as marks
from intranet.workshop.models import PartsRequest
from tests.conftest import new_client
from tests.test_parts_counter import _issue, shop  # noqa: F401 (the fixture)


def _as(app, user):
    client = new_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    client.fetch_csrf("/")
    return client


def _marked(shop, db):
    ro, job = shop["car"](plate="沪A55555")
    request = shop["ask"](job, "5Q0698151", description="前刹车片")
    services.ask_warranty(request.id, store_id=shop["store"].id)
    db.session.commit()
    return ro, request


def _history(request_id):
    return list(PartsEvent.query.filter_by(subject="parts_request", subject_id=request_id).order_by(PartsEvent.id))


def test_the_warranty_clerk_refuses_with_a_reason_and_advisor_and_counter_are_told(app, shop, db):
    people = shop["people"]
    ro, request = _marked(shop, db)
    clerk = _as(app, people["warranty"])
    page = clerk.get("/parts/warranty/").get_data(as_text=True)
    assert f'data-testid="refuse-{request.id}"' in page

    # no reason: refused, nothing changes, the page says why
    empty = clerk.post(f"/parts/warranty/requests/{request.id}/refuse", data={"reason": "  "})
    assert empty.status_code == 422 and "服务顾问和配件前台会看到" in empty.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PartsRequest, request.id).pay_type == "warranty"

    answer = clerk.post(f"/parts/warranty/requests/{request.id}/refuse", data={"reason": "刹车片属易损件，不在保修范围"})
    assert answer.status_code == 302
    db.session.expire_all()
    refused = db.session.get(PartsRequest, request.id)
    assert refused.pay_type == "customer" and refused.warranty_signed_by_id is None
    assert request.id not in {r.id for r in services.warranty_waiting(shop["store"].id)}
    [event] = _history(request.id)
    assert (event.from_status, event.to_status, event.actor_id, event.note) == (
        "warranty", "customer", people["warranty"].id, "刹车片属易损件，不在保修范围")
    told = {n.user_id: n for n in db.session.scalars(select(Notice).where(Notice.kind == marks.REFUSED_NOTICE))}
    assert set(told) == {people["advisor"].id, people["counter"].id, people["counter2"].id}
    assert told[people["advisor"].id].link == f"/reception/ro/{ro.id}" and told[people["counter"].id].link == "/parts/"
    advisor_page = _as(app, people["advisor"]).get("/notices").get_data(as_text=True)
    assert "刹车片属易损件" in advisor_page and "沪A55555" in advisor_page
    # a double tap is the same refusal; the counter now issues it at the customer's charge
    again = clerk.post(f"/parts/warranty/requests/{request.id}/refuse", data={"reason": "刹车片属易损件，不在保修范围"})
    assert again.status_code == 302 and len(_history(request.id)) == 1
    _issue(shop, refused)
    db.session.commit()
    line = db.session.scalar(select(RepairOrderLine).where(RepairOrderLine.repair_order_id == ro.id,
                                                           RepairOrderLine.part_id.is_not(None)))
    assert line.pay_type == "customer"


def test_only_the_warranty_clerk_refuses_and_not_a_signed_request(shop, db):
    people = shop["people"]
    _, request = _marked(shop, db)
    with pytest.raises(DomainError):
        marks.refuse_warranty(request.id, store_id=shop["store"].id, actor=people["counter"], reason="不是")
    services.sign_warranty(request.id, store_id=shop["store"].id, actor=people["warranty"])
    db.session.commit()
    with pytest.raises(Conflict):
        marks.refuse_warranty(request.id, store_id=shop["store"].id, actor=people["warranty"], reason="不是")


def test_the_counter_takes_back_a_wrong_mark_before_the_issue(app, shop, db):
    people = shop["people"]
    _, request = _marked(shop, db)
    counter = _as(app, people["counter"])
    board = counter.get("/parts/").get_data(as_text=True)
    assert f'data-testid="undo-warranty-{request.id}"' in board
    answer = counter.post(f"/parts/warranty/requests/{request.id}/undo", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.get(PartsRequest, request.id).pay_type == "customer"
    assert [(e.from_status, e.to_status, e.actor_id) for e in _history(request.id)] == [
        ("warranty", "customer", people["counter"].id)]
    # the warranty clerk has nothing left to sign; a second tap is refused with a message, not a 500
    assert request.id not in {r.id for r in services.warranty_waiting(shop["store"].id)}
    second = counter.post(f"/parts/warranty/requests/{request.id}/undo", headers={"HX-Request": "true"})
    assert second.status_code == 409
    with pytest.raises(DomainError):  # the clerk refuses, the counter takes back: each their own
        marks.undo_warranty_mark(request.id, store_id=shop["store"].id, actor=people["warranty"])


def test_after_the_issue_the_mark_comes_off_while_the_old_part_is_held(app, shop, db):
    people, store = shop["people"], shop["store"]
    ro, request = _marked(shop, db)
    ro.warranty_claim_ref = "WC-1"
    services.sign_warranty(request.id, store_id=store.id, actor=people["warranty"])
    _issue(shop, request, old_part="received")
    db.session.commit()
    old = db.session.scalar(select(OldPart).where(OldPart.parts_request_id == request.id))
    assert old.warranty and old.claim_number == "WC-1"

    counter = _as(app, people["counter"])
    page = counter.get("/parts/warranty/old-parts").get_data(as_text=True)
    assert f'data-testid="undo-{old.id}"' in page
    assert counter.post(f"/parts/warranty/requests/{request.id}/undo", data={"show": "warranty"}).status_code == 302
    db.session.expire_all()
    lines = db.session.scalars(select(RepairOrderLine).where(RepairOrderLine.repair_order_id == ro.id,
                                                             RepairOrderLine.part_id.is_not(None))).all()
    assert [(ln.pay_type, ln.quantity) for ln in lines] == [("customer", 1)]
    old = db.session.get(OldPart, old.id)
    assert not old.warranty and old.claim_number is None and old.status == "held"
    page = counter.get("/parts/warranty/old-parts?show=all").get_data(as_text=True)
    assert "周库管" in page  # the history under the old part: who took the mark back


def test_once_the_old_part_went_back_the_mark_stays(shop, db):
    people, store = shop["people"], shop["store"]
    ro, request = _marked(shop, db)
    ro.warranty_claim_ref = "WC-2"
    services.sign_warranty(request.id, store_id=store.id, actor=people["warranty"])
    _issue(shop, request, old_part="warranty_holds")
    db.session.commit()
    old = db.session.scalar(select(OldPart).where(OldPart.parts_request_id == request.id))
    services.close_old_part(old.id, "returned_to_maker", store_id=store.id, actor=people["warranty"])
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        commit_unit(lambda: marks.undo_warranty_mark(request.id, store_id=store.id, actor=people["counter"]))
    assert "索赔件标记不能撤销" in str(refused.value.message)
