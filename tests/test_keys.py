"""Car keys: tags attached at check-in, every movement of a key, the refusals (unknown tag, tag on
no car, tag still on another car, stale move, re-sent tap, handing back before the car is ready),
the live key board (constant queries, 304), the tag page a QR code opens, the tags and their
labels, the overnight cars of the closing round, and the key-collection job run through RQ on
real Redis with a frozen clock. Refusals are matched on the plates and numbers they name."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Notice, Role, ROStatus
from intranet.core.notices import text_of
from intranet.core.services import transition_repair_order
from intranet.director.settings import settings_for
from intranet.errors import DomainError, NotFound
from intranet.jobs import queue
from intranet.keys import services
from intranet.keys.models import KeyMovement, KeyPlace, KeyReminder, KeyTag, OvernightCar
from intranet.reception import services as reception
from intranet.reception import settlement
from tests.conftest import queries_for

# Monday 30 November 2026 in Shanghai (UTC+8); the key collection is at 18:30 local = 10:30 UTC
MORNING = datetime(2026, 11, 30, 1, 0)  # 09:00 local


# `people` (tests/conftest.py) makes these
pytestmark = pytest.mark.people(advisor="sun", tech="wang", tech2="zheng", director=(Role.DIRECTOR, "zhao", "赵志强"),
                                controller="wu")


@pytest.fixture
def car(store, people, make_vehicle, db):
    """A car checked in this morning; with `tag` its key gets that tag the way the advisor does it
    (the ring is on the key board first, unless `register` is False)."""

    def make(plate: str, tag: str | None = None, at: datetime | None = None, register: bool = True):
        with clock.frozen(at or clock.utcnow() - timedelta(minutes=30)):
            ro = reception.check_in(store_id=store.id, vehicle_id=make_vehicle(plate=plate).id,
                                    actor_id=people["advisor"].id)
            if tag and register:
                services.add_tags(store.id, tag)
            if tag:
                reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                              expected_version=ro.version, key_tag=tag)
            db.session.commit()
        return ro

    return make


def _ready(ro, people, db):
    for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY):
        transition_repair_order(ro.id, status, actor_id=people["advisor"].id)
    db.session.commit()


def _tag(db, store, code) -> KeyTag:
    db.session.expire_all()
    return services.tag_by_code(store.id, code)


# ------------------------------------------------------------------ check-in, moves, delivery

def test_a_tag_typed_at_check_in_is_made_and_the_key_received_at_reception(store, people, car, db):
    ro = car("沪A10001", tag=" 012 ", register=False)  # a store without a key board yet: the first numbers make it
    tag = _tag(db, store, "012")
    assert (tag.repair_order_id, tag.place, tag.holder_id) == (ro.id, KeyPlace.RECEPTION, people["advisor"].id)
    assert db.session.get(type(ro), ro.id).key_tag == "012"
    [received] = services.movements_of_repair_order(store.id, ro.id)
    assert (received.from_place, received.to_place, received.holder_id, received.by_id) == (
        KeyPlace.BOARD, KeyPlace.RECEPTION, people["advisor"].id, people["advisor"].id)
    # saving the header again with the same tag records nothing new
    reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                  expected_version=db.session.get(type(ro), ro.id).version, key_tag="012",
                                  complaint="保养")
    assert len(services.movements_of_repair_order(store.id, ro.id)) == 1


def test_a_tag_still_on_another_car_here_is_refused_naming_that_car(store, people, car, db):
    first = car("沪A10001", tag="012")
    second = car("沪B20002")
    with pytest.raises(DomainError) as refused:
        reception.update_repair_order(second.id, store_id=store.id, actor_id=people["advisor"].id,
                                      expected_version=second.version, key_tag="012")
    assert refused.value.field == "key_tag" and "沪A10001" in str(refused.value.message)
    db.session.rollback()
    # once the first car's key went home the ring is free for the next car
    _ready(first, people, db)
    services.move_key(store.id, _tag(db, store, "012").id, "customer", actor_id=people["advisor"].id)
    db.session.commit()
    reception.update_repair_order(second.id, store_id=store.id, actor_id=people["advisor"].id,
                                  expected_version=db.session.get(type(second), second.id).version, key_tag="012")
    db.session.commit()
    assert _tag(db, store, "012").repair_order_id == second.id


def test_a_bad_tag_number_and_a_retired_tag_are_refused(store, people, car, db):
    ro = car("沪A10001")
    with pytest.raises(DomainError) as bad:
        reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                      expected_version=ro.version, key_tag="01 2?")
    assert bad.value.field == "key_tag"
    db.session.rollback()
    [retired] = services.add_tags(store.id, "099")
    services.set_tag_active(store.id, retired.id, False)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.attach_tag(store.id, ro.id, "099", actor_id=people["advisor"].id)
    assert refused.value.field == "key_tag" and "099" in str(refused.value.message)


def test_correcting_the_tag_number_frees_the_old_ring(store, people, car, db):
    ro = car("沪A10001", tag="012")
    services.add_tags(store.id, "021")
    reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                  expected_version=db.session.get(type(ro), ro.id).version, key_tag="021")
    db.session.commit()
    assert _tag(db, store, "012").repair_order_id is None and _tag(db, store, "012").place == KeyPlace.BOARD
    assert _tag(db, store, "021").repair_order_id == ro.id


def test_moves_record_who_and_where_and_follow_the_rules(store, people, car, db):
    ro = car("沪A10001", tag="012")
    tag_id = _tag(db, store, "012").id
    actor = people["controller"].id
    with pytest.raises(DomainError) as nobody:
        services.move_key(store.id, tag_id, "technician", actor_id=actor)
    assert nobody.value.field == "holder_id"
    with pytest.raises(DomainError) as not_tech:
        services.move_key(store.id, tag_id, "technician", actor_id=actor, holder_id=people["advisor"].id)
    assert not_tech.value.field == "holder_id" and "孙丽华" in str(not_tech.value.message)
    with pytest.raises(DomainError):
        services.move_key(store.id, tag_id, "glovebox", actor_id=actor)

    base = clock.utcnow()
    for minutes, (to, by, holder) in enumerate((("technician", actor, people["tech"].id), ("wash", people["tech"].id, None),
                                                 ("reception", people["advisor"].id, None),
                                                 ("board", people["advisor"].id, None)), start=1):
        with clock.frozen(base + timedelta(minutes=minutes)):
            services.move_key(store.id, tag_id, to, actor_id=by, holder_id=holder)
    with pytest.raises(DomainError):
        services.move_key(store.id, tag_id, "board", actor_id=people["advisor"].id)  # already there
    with pytest.raises(DomainError) as too_early:
        services.move_key(store.id, tag_id, "customer", actor_id=people["advisor"].id)
    assert "沪A10001" in str(too_early.value.message)
    db.session.commit()
    moves = services.movements_of_repair_order(store.id, ro.id)
    assert [(m.to_place, m.holder_id, m.by_id) for m in moves] == [
        (KeyPlace.RECEPTION, people["advisor"].id, people["advisor"].id),
        (KeyPlace.TECHNICIAN, people["tech"].id, actor),
        (KeyPlace.WASH, None, people["tech"].id),
        (KeyPlace.RECEPTION, people["advisor"].id, people["advisor"].id),  # the holder defaults to the actor
        (KeyPlace.BOARD, None, people["advisor"].id),
    ]
    assert [m.from_place for m in moves[1:]] == [m.to_place for m in moves[:-1]]
    tag = _tag(db, store, "012")
    assert (tag.place, tag.holder_id) == (KeyPlace.BOARD, None)


def test_take_key_puts_it_with_a_technician_or_at_reception(store, people, car, db):
    car("沪A10001", tag="012")
    tag_id = _tag(db, store, "012").id
    services.take_key(store.id, tag_id, actor_id=people["tech"].id)
    assert (_tag(db, store, "012").place, _tag(db, store, "012").holder_id) == (KeyPlace.TECHNICIAN, people["tech"].id)
    services.take_key(store.id, tag_id, actor_id=people["director"].id)
    assert _tag(db, store, "012").place == KeyPlace.RECEPTION


def test_a_tag_on_no_car_goes_nowhere_but_the_board(store, people, db):
    [tag] = services.add_tags(store.id, "050")
    db.session.commit()
    for place in ("technician", "reception", "wash", "customer"):
        with pytest.raises(DomainError) as refused:
            services.move_key(store.id, tag.id, place, actor_id=people["advisor"].id, holder_id=people["tech"].id)
        assert "050" in str(refused.value.message)
    db.session.rollback()
    tag.place = KeyPlace.CUSTOMER  # a ring that came back from a handed-back key
    db.session.commit()
    services.move_key(store.id, tag.id, "board", actor_id=people["advisor"].id)
    assert _tag(db, store, "050").place == KeyPlace.BOARD


def test_a_re_sent_tap_is_recorded_once_and_a_stale_one_is_refused(store, people, car, db):
    car("沪A10001", tag="012")
    tag = _tag(db, store, "012")
    seen = tag.version
    first = services.move_key(store.id, tag.id, "technician", actor_id=people["tech"].id, holder_id=people["tech"].id,
                              token="tap-1", expected_version=seen)
    db.session.commit()
    again = services.move_key(store.id, tag.id, "technician", actor_id=people["tech"].id,
                              holder_id=people["tech"].id, token="tap-1", expected_version=seen)
    assert again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(KeyMovement).where(KeyMovement.tag_id == tag.id)) == 2
    with pytest.raises(services.StaleKey) as stale:  # another tablet still shows the key at reception
        services.move_key(store.id, tag.id, "wash", actor_id=people["advisor"].id, token="tap-2",
                          expected_version=seen)
    assert "王磊" in str(stale.value.message)


def test_delivery_hands_the_key_to_the_customer_and_frees_the_tag(store, people, car, db):
    ro = car("沪A10001", tag="012")
    _ready(ro, people, db)
    settlement.deliver(ro.id, store_id=store.id, actor_id=people["advisor"].id, work_explained=True,
                       old_parts="shown", car_clean=True, keys_returned=True)
    db.session.commit()
    tag = _tag(db, store, "012")
    assert (tag.repair_order_id, tag.place, tag.holder_id) == (None, KeyPlace.CUSTOMER, None)
    last = services.movements_of_repair_order(store.id, ro.id)[-1]
    assert (last.to_place, last.by_id) == (KeyPlace.CUSTOMER, people["advisor"].id)


def test_other_stores_tags_are_not_found(store, people, db):
    from intranet.core.models import Store

    other = Store(code="TS02", name="别家店")
    db.session.add(other)
    db.session.flush()
    [theirs] = services.add_tags(other.id, "001")
    db.session.commit()
    assert services.tag_by_code(store.id, "001") is None
    with pytest.raises(NotFound):
        services.move_key(store.id, theirs.id, "board", actor_id=people["advisor"].id)


# ------------------------------------------------------------------ tags

def test_adding_a_range_keeps_the_zeros_and_refuses_bad_ranges(store, db):
    assert len(services.add_tags(store.id, "001", "060")) == 60
    assert services.add_tags(store.id, "055", "060") == []  # already there
    assert _tag(db, store, "007") is not None and _tag(db, store, "060") is not None
    for first, last, field in (("", "", "first"), ("010", "001", "last"), ("A1", "B9", "last"), ("1", "9999", "last")):
        with pytest.raises(DomainError) as refused:
            services.add_tags(store.id, first, last)
        assert refused.value.field == field


def test_a_tag_on_a_car_here_cannot_be_retired(store, people, car, db):
    car("沪A10001", tag="012")
    with pytest.raises(DomainError) as refused:
        services.set_tag_active(store.id, _tag(db, store, "012").id, False)
    assert "沪A10001" in str(refused.value.message)


# ------------------------------------------------------------------ pages

def test_scanning_a_tag_opens_its_page_and_moves_answer_with_the_panel(client, login_as, store, people, car, db):
    login_as(Role.TECHNICIAN)
    car("沪A10001", tag="012")
    page = client.get("/keys/t/012")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "沪A10001" in body and 'data-testid="move-me"' in body
    tag = _tag(db, store, "012")
    form = {"to": "technician", "holder_id": people["tech2"].id, "token": "t-1", "version": tag.version}
    moved = client.post("/keys/t/012/move", data=form, headers={"HX-Request": "true"})
    assert moved.status_code == 200 and "郑海涛" in moved.get_data(as_text=True)
    assert "toast" in moved.headers["HX-Trigger"]
    assert "board-changed" in moved.headers["HX-Trigger-After-Settle"]
    resent = client.post("/keys/t/012/move", data=form, headers={"HX-Request": "true"})
    assert resent.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(KeyMovement)) == 2
    stale = client.post("/keys/t/012/move", data={"to": "wash", "token": "t-2", "version": tag.version},
                        headers={"HX-Request": "true"})
    assert stale.status_code == 409 and "toast" in stale.headers["HX-Trigger"]
    assert 'data-testid="key-now"' in stale.get_data(as_text=True) and "郑海涛" in stale.get_data(as_text=True)
    early = client.post("/keys/t/012/move", data={"to": "customer", "token": "t-3"}, headers={"HX-Request": "true"})
    assert early.status_code == 422 and "沪A10001" in json.loads(early.headers["HX-Trigger"])["toast"]["message"]
    plain = client.post("/keys/t/012/move", data={"to": "board", "token": "t-4"})  # no JavaScript
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/keys/t/012")
    assert _tag(db, store, "012").place == KeyPlace.BOARD


def test_an_unknown_tag_and_a_tag_on_no_car_say_so(client, login_as, store, db):
    login_as(Role.ADVISOR)
    unknown = client.get("/keys/t/777")
    assert unknown.status_code == 404 and "777" in unknown.get_data(as_text=True)
    assert client.post("/keys/t/777/move", data={"to": "board"}, headers={"HX-Request": "true"}).status_code == 404
    services.add_tags(store.id, "050")
    db.session.commit()
    body = client.get("/keys/t/050").get_data(as_text=True)
    assert 'data-testid="no-car"' in body and "move-me" not in body and "move-wash" not in body


def test_the_search_box_takes_a_number_or_a_scanned_address(client, login_as, car, db):
    login_as(Role.CONTROLLER)
    car("沪A10001", tag="012")
    assert client.get("/keys/find?code=012").headers["Location"].endswith("/keys/t/012")
    scanned = client.get("/keys/find?code=http://intranet.local/keys/t/012")
    assert scanned.headers["Location"].endswith("/keys/t/012")
    missing = client.get("/keys/find?code=9Z9")
    assert missing.status_code == 404 and 'value="9Z9"' in missing.get_data(as_text=True)


def test_the_search_box_finds_a_key_by_the_cars_plate_or_repair_order(client, login_as, car, db):
    """Searching the key board by plate or repair order number found nothing: it finds the tag on
    that car's key while the car is here."""
    login_as(Role.CONTROLLER)
    ro = car("沪A10001", tag="012")
    car("沪A10002", tag="013")
    for typed in ("沪A10001", "沪a10001", ro.number, ro.number.lower()):
        found = client.get("/keys/find", query_string={"code": typed})
        assert found.status_code == 302 and found.headers["Location"].endswith("/keys/t/012"), typed
    nothing = client.get("/keys/find", query_string={"code": "沪Z99999"})
    assert nothing.status_code == 404 and "沪Z99999" in nothing.get_data(as_text=True)




def test_the_key_board_costs_the_same_queries_for_3_and_30_keys(client, login_as, store, people, car, db):
    login_as(Role.DIRECTOR)

    def add(n):
        for i in range(n):
            number = db.session.scalar(select(func.count()).select_from(KeyTag)) + 1
            ro = car(f"沪C{number:05d}", tag=f"{number:03d}")
            if i % 2:
                services.move_key(store.id, _tag(db, store, f"{number:03d}").id, "technician",
                                  actor_id=people["controller"].id, holder_id=people["tech"].id)
            db.session.commit()
        return ro

    add(3)
    few = {url: queries_for(db, client, url, htmx=True) for url in ("/keys/live", "/keys/", "/keys/live?place=technician")}
    add(27)
    many = {url: queries_for(db, client, url, htmx=True) for url in few}
    assert many == few
    body = client.get("/keys/").get_data(as_text=True)
    assert body.count('class="key-tile') == 30


def test_an_unchanged_board_poll_is_a_304(client, login_as, store, people, car, db):
    login_as(Role.INSPECTOR)
    car("沪A10001", tag="012")
    first = client.get("/keys/live", headers={"HX-Request": "true"})
    again = client.get("/keys/live", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    services.move_key(store.id, _tag(db, store, "012").id, "board", actor_id=people["advisor"].id)
    db.session.commit()
    changed = client.get("/keys/live", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


@pytest.mark.parametrize("role, board, tags, overnight", [
    (Role.TECHNICIAN, 200, 403, 403), (Role.INSPECTOR, 200, 403, 403), (Role.CONTROLLER, 200, 403, 200),
    (Role.ADVISOR, 200, 200, 200), (Role.DIRECTOR, 200, 200, 200), (Role.ADMIN, 200, 200, 403),
    (Role.PARTS, 403, 403, 403), (Role.CARE, 403, 403, 403),
])
def test_who_may_open_what(client, login_as, role, board, tags, overnight):
    login_as(role)
    assert client.get("/keys/").status_code == board
    assert client.get("/keys/tags/").status_code == tags
    assert client.get("/keys/overnight/").status_code == overnight


def test_tags_page_adds_a_range_keeps_bad_input_and_prints_labels(client, login_as, store, db):
    login_as(Role.ADVISOR)
    refused = client.post("/keys/tags/", data={"first": "060", "last": "001"})
    assert refused.status_code == 422 and 'value="060"' in refused.get_data(as_text=True)
    assert client.post("/keys/tags/", data={"first": "001", "last": "012"}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(KeyTag)) == 12
    sheet = client.get("/keys/tags/labels?first=003&last=005").get_data(as_text=True)
    assert sheet.count("<svg") == 3 and ">004<" in sheet
    retire = client.post(f"/keys/tags/{_tag(db, store, '004').id}/retire")
    assert retire.status_code == 302 and not _tag(db, store, "004").active


def test_qr_label_encodes_the_absolute_address_of_the_tag_page(client, login_as, store, db):
    import segno

    from intranet.keys.views.tags import QR_MASK

    login_as(Role.ADMIN)
    services.add_tags(store.id, "012")
    db.session.commit()
    sheet = client.get("/keys/tags/labels").get_data(as_text=True)
    expected = segno.make("http://localhost/keys/t/012", error="m", mask=QR_MASK).svg_inline(scale=3, border=1)
    assert expected in sheet


# ------------------------------------------------------------------ overnight cars

def test_the_closing_round_confirms_the_key_and_the_parking_spot(client, login_as, store, people, car, db):
    director = login_as(Role.DIRECTOR)
    ro = car("沪A10001", tag="012")
    bare = car("沪B20002")
    services.move_key(store.id, _tag(db, store, "012").id, "technician", actor_id=people["controller"].id,
                      holder_id=people["tech"].id)
    db.session.commit()
    page = client.get("/keys/overnight/").get_data(as_text=True)
    assert f'id="ovn-{ro.id}"' in page and f'id="ovn-{bare.id}"' in page
    day = clock.store_today(store.timezone).isoformat()
    empty = client.post(f"/keys/overnight/{ro.id}", data={"day": day, "parking_spot": "  "},
                        headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "toast" in empty.headers["HX-Trigger"]
    too_long = client.post(f"/keys/overnight/{ro.id}", data={"day": day, "parking_spot": "P-" + "9" * 20},
                           headers={"HX-Request": "true"})
    assert too_long.status_code == 422 and "P-999" in too_long.get_data(as_text=True)  # what was typed stays
    saved = client.post(f"/keys/overnight/{ro.id}", data={"day": day, "parking_spot": " P-07 "},
                        headers={"HX-Request": "true"})
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200 and body.lstrip().startswith(("{", "<form")) and "<html" not in body
    assert 'value="P-07"' in body and "is-confirmed" in body
    db.session.expire_all()
    record = db.session.scalar(select(OvernightCar).where(OvernightCar.repair_order_id == ro.id))
    assert (record.parking_spot, record.confirmed_by_id) == ("P-07", director.id)
    tag = _tag(db, store, "012")
    assert tag.place == KeyPlace.BOARD
    assert services.movements_of_repair_order(store.id, ro.id)[-1].by_id == director.id
    assert [row.ro.id for row in services.keys_out(store, clock.store_today(store.timezone))] == [bare.id]


def test_the_overnight_fragment_needs_only_rows(app, store, people, car, db):
    from flask import render_template

    car("沪A10001", tag="012")
    with app.test_request_context():
        html = render_template("keys/_overnight.html",
                               rows=services.overnight_cars(store, clock.store_today(store.timezone)))
    assert "沪A10001" in html and 'name="parking_spot"' in html


# ------------------------------------------------------------------ the key-collection job

def _run_job(db, redis_conn, at: datetime):
    with clock.frozen(at):
        queue.enqueue("keys-collection")
        db.session.commit()
        assert SimpleWorker(["default"], connection=redis_conn).work(burst=True)
    db.session.remove()


def _notices(db, user_id, kind):
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user_id, Notice.kind == kind)
                                   .order_by(Notice.id)))


def test_the_key_collection_job_reminds_the_holder_once_and_reports_missing_keys(store, people, car, db,
                                                                                redis_conn):
    held = car("沪A10001", tag="012", at=MORNING).id  # a technician takes it and keeps it
    back = car("沪B20002", tag="013", at=MORNING).id  # still at reception at 18:30, on the board before the report
    bare = car("沪C30003", at=MORNING).id  # nobody put a tag on its key
    gone = car("沪D40004", tag="014", at=MORNING)  # handed back before the evening
    with clock.frozen(datetime(2026, 11, 30, 3, 0)):
        services.move_key(store.id, _tag(db, store, "012").id, "technician", actor_id=people["controller"].id,
                          holder_id=people["tech"].id)
        _ready(gone, people, db)
        settlement.deliver(gone.id, store_id=store.id, actor_id=people["advisor"].id, work_explained=True,
                           old_parts="shown", car_clean=True, keys_returned=True)
        db.session.commit()
    tech, advisor, director = people["tech"].id, people["advisor"].id, people["director"].id

    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 25))  # 18:25: not yet
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0
    assert db.session.scalar(select(func.count()).select_from(OvernightCar)) == 0

    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 30))  # 18:30: collection time
    listed = set(db.session.scalars(select(OvernightCar.repair_order_id)))
    assert listed == {held, back, bare}
    [reminder] = _notices(db, tech, services.HOLDER_NOTICE)
    assert "012" in text_of(reminder) and "沪A10001" in text_of(reminder)
    assert len(_notices(db, advisor, services.HOLDER_NOTICE)) == 1  # the key left at reception
    assert _notices(db, director, services.REPORT_NOTICE) == []

    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 35))  # a rerun sends nothing new
    assert len(_notices(db, tech, services.HOLDER_NOTICE)) == 1
    assert db.session.scalar(select(func.count()).select_from(OvernightCar)) == 3

    with clock.frozen(datetime(2026, 11, 30, 10, 40)):
        services.move_key(store.id, _tag(db, store, "013").id, "board", actor_id=advisor)
        db.session.commit()

    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 59))  # 18:59: the report waits for 19:00
    assert _notices(db, director, services.REPORT_NOTICE) == []
    _run_job(db, redis_conn, datetime(2026, 11, 30, 11, 0))
    [report] = _notices(db, director, services.REPORT_NOTICE)
    text = text_of(report)
    assert "012" in text and "王磊" in text and "沪C30003" in text
    assert "013" not in text and "沪B20002" not in text and "沪D40004" not in text
    assert db.session.scalar(select(func.count()).select_from(KeyReminder).where(KeyReminder.kind == "report")) == 1

    _run_job(db, redis_conn, datetime(2026, 11, 30, 11, 30))  # rerun: nothing twice
    assert len(_notices(db, director, services.REPORT_NOTICE)) == 1
    assert len(_notices(db, tech, services.HOLDER_NOTICE)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 3

    _run_job(db, redis_conn, datetime(2026, 11, 30, 16, 5))  # 00:05 the next day: before its collection time
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 3


def test_the_report_delay_is_the_stores_setting_and_a_new_holder_is_told(store, people, car, db, redis_conn):
    settings_for(store.id).key_report_minutes = 10
    car("沪A10001", tag="012", at=MORNING)
    tag_id = _tag(db, store, "012").id
    with clock.frozen(datetime(2026, 11, 30, 3, 0)):
        services.move_key(store.id, tag_id, "technician", actor_id=people["controller"].id,
                          holder_id=people["tech"].id)
        db.session.commit()
    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 31))
    with clock.frozen(datetime(2026, 11, 30, 10, 35)):  # handed to a colleague instead of the board
        services.move_key(store.id, tag_id, "technician", actor_id=people["tech"].id, holder_id=people["tech2"].id)
        db.session.commit()
    _run_job(db, redis_conn, datetime(2026, 11, 30, 10, 40))
    assert len(_notices(db, people["tech2"].id, services.HOLDER_NOTICE)) == 1
    [report] = _notices(db, people["director"].id, services.REPORT_NOTICE)
    assert "郑海涛" in text_of(report)


def test_an_earlier_night_shows_the_tags_the_cars_had_then(store, people, car, db):
    from datetime import time

    yesterday = clock.store_today(store.timezone) - timedelta(days=1)

    def local(hour, minute=0):
        return clock.store_local_to_utc(datetime.combine(yesterday, time(hour, minute)), store.timezone)

    ro = car("沪A10001", tag="012", at=local(9))
    forgotten = car("沪B20002", tag="013", at=local(9)).id
    with clock.frozen(local(18, 35)):
        services.collect_keys(store.id, clock.utcnow())
        services.confirm_overnight(store, yesterday, ro.id, parking_spot="P-07", actor_id=people["director"].id)
        db.session.commit()
    _ready(db.session.get(type(ro), ro.id), people, db)
    settlement.deliver(ro.id, store_id=store.id, actor_id=people["advisor"].id, work_explained=True,
                       old_parts="shown", car_clean=True, keys_returned=True)
    db.session.commit()
    rows = {row.ro.id: row for row in services.overnight_cars(store, yesterday)}
    assert set(rows) == {ro.id, forgotten}
    assert [t.code for t in rows[ro.id].tags] == ["012"] and rows[ro.id].keys_back and rows[ro.id].spot == "P-07"
    assert not rows[forgotten].keys_back
    assert [row.ro.id for row in services.keys_out(store, yesterday)] == [forgotten]
    with pytest.raises(DomainError):  # a car that was not listed that night cannot be confirmed for it
        services.confirm_overnight(store, yesterday, car("沪C30003").id, parking_spot="P-01",
                                   actor_id=people["director"].id)


def test_the_repair_order_links_its_key_tag_to_the_tags_page(client, login_as, car, db):
    """The repair order showed its key tag as plain text: it opens the tag's page (where the key is,
    who has it), for those who may open the key board."""
    login_as(Role.ADVISOR)
    ro = car("沪A10001", tag="012")
    page = client.get(f"/reception/ro/{ro.id}").get_data(as_text=True)
    assert 'href="/keys/t/012"' in page
    assert client.get("/keys/t/012").status_code == 200


def test_an_unknown_tag_number_is_refused_once_the_store_has_its_key_board(client, login_as, store, people, car, db):
    """A typo must not hang a ring that does not exist (issue 16, item 13): the number is refused with
    a message next to the field, nothing is made, and what the advisor typed stays in the form."""
    services.add_tags(store.id, "001", "060")
    ro = car("沪A10001")
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                      expected_version=ro.version, key_tag="0612")
    assert refused.value.field == "key_tag" and "0612" in str(refused.value.message)
    db.session.rollback()
    assert _tag(db, store, "0612") is None

    login_as(Role.ADVISOR)
    version = db.session.get(type(ro), ro.id).version
    answer = client.post(f"/reception/ro/{ro.id}", data={
        "version": version, "complaint": "右前门异响", "key_tag": "0612", "pay_type": "customer",
        "insurer_payment": "none"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "0612" in page and "右前门异响" in page
    db.session.expire_all()
    assert _tag(db, store, "0612") is None and db.session.get(type(ro), ro.id).key_tag is None
    # a ring on the board goes on at once
    assert client.post(f"/reception/ro/{ro.id}", data={
        "version": version, "complaint": "右前门异响", "key_tag": "012", "pay_type": "customer",
        "insurer_payment": "none"}).status_code == 302
    assert _tag(db, store, "012").repair_order_id == ro.id
