"""Every move of a purchase order, a count and a write-off is recorded: who, when, from, to, why;
a refused move records nothing."""
from datetime import timedelta

import pytest

from intranet import clock
from intranet.core.models import Role
from intranet.errors import DomainError
from intranet.parts import history, purchasing, services, writeoffs
from intranet.parts.models import Supplier
from tests import factories


@pytest.fixture
def store_with_part(store, db):
    people = factories.people(store, planner=Role.PARTS, manager=Role.PARTS, director=Role.DIRECTOR)
    people["manager"].parts_manager = True
    supplier = Supplier(store_id=store.id, name="上海安吉汽车零部件", return_days=0)
    db.session.add(supplier)
    db.session.flush()
    part = services.save_part(store_id=store.id, number="1K0698151", name="后刹车片", cost="200", price="380",
                              supplier_id=supplier.id, abc_class="C")
    services.add_opening_stock(part.id, "3", store_id=store.id, actor_id=None)
    db.session.commit()
    return people, supplier, part


def test_an_order_keeps_its_moves_and_a_refused_move_adds_none(store, store_with_part, db):
    people, supplier, part = store_with_part
    order = purchasing.create_order(store_id=store.id, actor_id=people["planner"].id, supplier_id=supplier.id)
    purchasing.add_line(order.id, store_id=store.id, part_number=part.number, quantity="4")
    db.session.commit()
    purchasing.approve(order.id, store_id=store.id, actor=people["manager"])
    db.session.commit()
    with pytest.raises(DomainError):  # an approved order is not approved twice
        purchasing.approve(order.id, store_id=store.id, actor=people["director"])
    db.session.rollback()
    purchasing.mark_ordered(order.id, store_id=store.id, actor_id=people["manager"].id,
                            expected_on=clock.store_today(store.timezone) + timedelta(days=2))
    db.session.commit()
    moves = [(e.from_status, e.to_status, e.actor_id) for e in history.events_of("order", order.id)]
    assert moves == [(None, "draft", people["planner"].id), ("draft", "approved", people["manager"].id),
                     ("approved", "ordered", people["manager"].id)]


def test_a_refused_write_off_keeps_the_reason_in_its_history(store, store_with_part, make_user, db):
    people, _supplier, part = store_with_part
    requester = make_user(Role.PARTS)
    write_off = writeoffs.request_write_off(store_id=store.id, actor_id=requester.id, part_number=part.number,
                                            quantity="1", reason="包装破损，刹车片受潮")
    db.session.commit()
    writeoffs.refuse_write_off(write_off.id, store_id=store.id, actor_id=people["director"].id,
                               reason="受潮的可以退回供应商处理")
    db.session.commit()
    moves = [(e.from_status, e.to_status, e.note) for e in history.events_of("write_off", write_off.id)]
    assert moves == [(None, "requested", "包装破损，刹车片受潮"), ("requested", "refused", "受潮的可以退回供应商处理")]
