"""The parts counter and catalogue: bins, the ledger (on-hand from movements, never negative, even
when two counters issue the last unit at once), issuing against requests with the old part handed
in, warranty sign-off, reservations, returns, shortages to arrival, old parts, import/export,
figures, the screens and their query counts."""
import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Notice, RepairOrderLine, Role, ROStatus
from intranet.core.services import commit_unit
from intranet.errors import Conflict, DomainError
from intranet.extensions import db as _db
from intranet.parts import figures, ledger, services, transfer
from intranet.parts.models import (
    MovementKind, OldPart, OldPartStatus, Part, PendingPart, PendingStatus, Reservation, StockMovement, Supplier,
)
from intranet.reception import appointments
from intranet.reception import services as reception
from intranet.workshop import services as workshop
from intranet.workshop.models import PartsRequestStatus
from tests import factories
from tests.conftest import new_client, queries_for


@pytest.fixture
def shop(store, make_vehicle, db):
    """Staff, a supplier, three parts with stock, and `car()` that brings a car in with a running
    mechanical job so its technician can request parts."""
    people = factories.people(store, advisor=(Role.ADVISOR, None, "孙顾问"), tech=(Role.TECHNICIAN, None, "郑师傅"),
                              counter=(Role.PARTS, None, "周库管"), counter2=(Role.PARTS, None, "吴配件"),
                              warranty=(Role.WARRANTY, None, "钱索赔"))
    factories.technician(store, people["tech"], "mechanical")
    supplier = Supplier(store_id=store.id, name="一汽大众配件中心")
    db.session.add(supplier)
    db.session.flush()
    parts = {}
    for number, name, bin_code, stock, price in (("06J115403Q", "机油滤清器", "a 1 2 3", "5", "68"),
                                                 ("5Q0698151", "前刹车片", "A-01-2-04", "1", "420"),
                                                 ("G052195M4", "机油 5W-40 4L", None, "10", "320")):
        part = services.save_part(store_id=store.id, number=number, name=name, bin_code=bin_code, cost="50",
                                  price=price, supplier_id=supplier.id, abc_class="A")
        services.add_opening_stock(part.id, stock, store_id=store.id, actor_id=people["counter"].id)
        parts[number] = part
    db.session.commit()

    def car(**kwargs):
        ro = factories.checked_in(store, people["advisor"], make_vehicle(**kwargs), commit=False,
                                  lines=[factories.labour("更换前刹车片", "1.0", team="mechanical")])
        job = workshop.jobs_of(ro.id)[0]
        workshop.assign_job(job.id, people["tech"].id, store_id=store.id, actor_id=people["advisor"].id,
                            expected_version=None)
        db.session.commit()
        return ro, job

    def ask(job, number, quantity="1", description="配件"):
        request = workshop.request_part(job.id, store_id=store.id, actor_id=people["tech"].id,
                                        description=description, part_number=number, quantity=quantity)
        db.session.commit()
        return request

    return {"people": people, "parts": parts, "car": car, "ask": ask, "store": store, "supplier": supplier}


def _issue(shop, request, number=None, quantity="1", old_part="received", actor="counter"):
    return services.issue(request.id, store_id=shop["store"].id, actor_id=shop["people"][actor].id,
                          part_number=number or request.part_number, quantity=quantity, old_part=old_part)


# ------------------------------------------------------------------ catalogue and bins

@pytest.mark.parametrize("raw, code", [("A-03-2-05", "A-03-2-05"), ("a 3 2 5", "A-03-2-05"), ("B1·12·4·7", "B1-12-4-07"),
                                       ("  ", None)])
def test_bin_codes_are_written_one_way(raw, code):
    assert ledger.normalise_bin(raw) == code


@pytest.mark.parametrize("raw", ["A-03-2", "A-03-22-05", "ABC-1-1-1", "A-x-1-1", "A-123-1-1"])
def test_bin_codes_in_the_wrong_form_are_refused(raw):
    with pytest.raises(DomainError) as refused:
        ledger.normalise_bin(raw)
    assert refused.value.field == "bin_code" and "A-03-2-05" in str(refused.value.message)


def test_one_part_number_per_bin_and_per_store(shop, db):
    store = shop["store"]
    with pytest.raises(Conflict) as refused:
        services.save_part(store_id=store.id, number="1K0698151", name="后刹车片", bin_code="A-1-2-3")
    assert refused.value.field == "bin_code" and "06J115403Q" in str(refused.value.message)
    with pytest.raises(Conflict) as refused:
        services.save_part(store_id=store.id, number="06j115403q", name="机滤")
    assert refused.value.field == "number"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Part)) == 3


# ------------------------------------------------------------------ issuing

def test_issue_books_the_movement_the_bill_and_the_old_part(shop, db):
    ro, job = shop["car"]()
    request = shop["ask"](job, "06J115403Q", "2")
    _issue(shop, request, quantity="2")
    db.session.commit()
    part = shop["parts"]["06J115403Q"]
    db.session.refresh(part)
    assert part.on_hand == 3 and part.available == 3
    card, total = services.bin_card(part.id, shop["store"].id)
    assert total == 2 and [(m.kind, m.quantity, m.balance) for m in card] == [
        (MovementKind.ISSUE, Decimal("-2"), Decimal("3")), (MovementKind.OPENING, Decimal("5"), Decimal("5"))]
    line = db.session.scalar(select(RepairOrderLine).where(RepairOrderLine.repair_order_id == ro.id,
                                                           RepairOrderLine.part_id == part.id))
    assert (line.quantity, line.unit_price, line.code) == (Decimal("2"), Decimal("68.00"), "06J115403Q")
    old = db.session.scalar(select(OldPart).where(OldPart.repair_order_id == ro.id))
    assert old.holder_id == shop["people"]["counter"].id and old.status == OldPartStatus.HELD and not old.warranty
    assert request.status == PartsRequestStatus.ISSUED and request.from_stock is True
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == shop["people"]["tech"].id)) == "part_issued"
    assert ledger.ledger_drift(shop["store"].id) == []


def test_issue_refusals_change_nothing(shop, db):
    store, people = shop["store"], shop["people"]
    ro, job = shop["car"]()
    request = shop["ask"](job, "5Q0698151", "2")
    with pytest.raises(ledger.OutOfStock) as refused:  # only one on the shelf
        _issue(shop, request, quantity="2")
    assert "5Q0698151" in str(refused.value.message)
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _issue(shop, request, old_part="")
    assert refused.value.field == "old_part"
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _issue(shop, request, number="NOPE123")
    assert "NOPE123" in str(refused.value.message)
    db.session.rollback()
    for bad in ("-1", "NaN", "Infinity", "1.234", "两个"):
        with pytest.raises(DomainError) as refused:
            _issue(shop, request, quantity=bad)
        assert refused.value.field == "quantity"
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)
                             .where(StockMovement.kind == MovementKind.ISSUE)) == 0
    # a second tap of an issued request answers with the issue; another counter is told who issued it
    _issue(shop, shop["ask"](job, "06J115403Q"))
    db.session.commit()
    again = db.session.scalar(select(func.max(StockMovement.parts_request_id)))
    assert services.issue(again, store_id=store.id, actor_id=people["counter"].id, part_number="06J115403Q",
                          quantity="1", old_part="received").status == "issued"
    db.session.commit()
    with pytest.raises(Conflict):
        services.issue(again, store_id=store.id, actor_id=people["counter2"].id, part_number="06J115403Q",
                       quantity="1", old_part="received")
    db.session.rollback()
    assert db.session.get(Part, shop["parts"]["06J115403Q"].id).on_hand == 4


def test_nothing_is_issued_to_a_car_that_has_left(shop, db):
    ro, job = shop["car"]()
    request = shop["ask"](job, "06J115403Q")
    ro.status = ROStatus.DELIVERED
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        _issue(shop, request)
    assert refused.value.field == "repair_order" and ro.number in str(refused.value.message)
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        services.reserve_for(store_id=shop["store"].id, actor_id=None, part_number="06J115403Q", quantity="1")
    db.session.rollback()


def test_a_warranty_part_waits_for_the_warranty_clerk(shop, db):
    store, people = shop["store"], shop["people"]
    ro, job = shop["car"]()
    ro.warranty_claim_ref = "WC-2026-118"
    request = shop["ask"](job, "5Q0698151")
    services.ask_warranty(request.id, store_id=store.id)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        _issue(shop, request)
    assert refused.value.field == "pay_type"
    db.session.rollback()
    with pytest.raises(DomainError):  # the counter cannot sign for the warranty clerk
        services.sign_warranty(request.id, store_id=store.id, actor=people["counter"])
    db.session.rollback()
    services.sign_warranty(request.id, store_id=store.id, actor=people["warranty"])
    db.session.commit()
    with pytest.raises(DomainError) as refused:  # the manufacturer's old part cannot go home with the customer
        _issue(shop, request, old_part="customer_keeps")
    assert refused.value.field == "old_part"
    db.session.rollback()
    _issue(shop, request, old_part="warranty_holds")
    db.session.commit()
    line = db.session.scalar(select(RepairOrderLine).where(RepairOrderLine.part_id == shop["parts"]["5Q0698151"].id))
    assert line.pay_type == "warranty"
    old = db.session.scalar(select(OldPart))
    assert old.warranty and old.claim_number == "WC-2026-118" and old.holder_id == people["warranty"].id
    # the old parts ledger: the warranty clerk sends it back to the manufacturer under its claim
    with pytest.raises(DomainError):
        services.close_old_part(old.id, "returned_to_maker", store_id=store.id, actor=people["counter"])
    db.session.rollback()
    with pytest.raises(DomainError):
        services.close_old_part(old.id, "handed_to_customer", store_id=store.id, actor=people["warranty"])
    db.session.rollback()
    services.close_old_part(old.id, "returned_to_maker", store_id=store.id, actor=people["warranty"])
    db.session.commit()
    assert db.session.get(OldPart, old.id).status == OldPartStatus.RETURNED_TO_MAKER
    with pytest.raises(Conflict):
        services.close_old_part(old.id, "scrapped", store_id=store.id, actor=people["warranty"])
    db.session.rollback()


@pytest.mark.parametrize("attempt", range(3))
def test_two_counters_issuing_the_last_unit_at_once_issue_it_once(app, shop, db, attempt):
    """Two threads, each its own app context and database connection, issue the last brake pad set
    to two cars at the same moment: one goes through, the other is refused; stock ends at 0."""
    store, people = shop["store"], shop["people"]
    (_, job1), (_, job2) = shop["car"](), shop["car"]()
    requests = [shop["ask"](job1, "5Q0698151").id, shop["ask"](job2, "5Q0698151").id]
    actors = [people["counter"].id, people["counter2"].id]
    part_id = shop["parts"]["5Q0698151"].id
    start = threading.Barrier(2)
    outcomes = [None, None]

    def counter(n):
        with app.app_context():
            start.wait()
            try:
                commit_unit(lambda: services.issue(requests[n], store_id=store.id, actor_id=actors[n],
                                                          part_number="5Q0698151", quantity="1", old_part="received"))
                outcomes[n] = "issued"
            except ledger.OutOfStock:
                outcomes[n] = "refused"
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=counter, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["issued", "refused"]
    db.session.expire_all()
    assert db.session.get(Part, part_id).on_hand == 0
    assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.part_id == part_id, StockMovement.kind == MovementKind.ISSUE)) == 1
    assert ledger.ledger_drift(store.id) == []


@pytest.mark.parametrize("attempt", range(3))
def test_one_request_issued_twice_at_once_is_issued_once(app, shop, db, attempt):
    """The same request issued at the same moment (a double tap, or two counters on one request): one
    movement, stock down once, the bill's line once, one old part — the second answers with the first
    issue when it is the same person, and is told who issued it otherwise."""
    store, people = shop["store"], shop["people"]
    _ro, job = shop["car"]()
    request_id = shop["ask"](job, "5Q0698151").id
    part_id = shop["parts"]["5Q0698151"].id
    on_hand = db.session.get(Part, part_id).on_hand
    db.session.commit()
    actors = [people["counter"].id, people["counter"].id if attempt != 2 else people["counter2"].id]

    def tap(actor_id):
        def run():
            with app.app_context():
                try:
                    return commit_unit(lambda: services.issue(
                        request_id, store_id=store.id, actor_id=actor_id, part_number="5Q0698151", quantity="1",
                        old_part="received")).status
                except Conflict:
                    return "refused"
                finally:
                    _db.session.remove()
        return run

    from tests.conftest import at_once

    outcomes = at_once(tap(actors[0]), tap(actors[1]))
    assert outcomes == ["issued", "issued"] if actors[0] == actors[1] else sorted(outcomes) == ["issued", "refused"]
    db.session.expire_all()
    assert db.session.get(Part, part_id).on_hand == on_hand - 1
    assert db.session.scalar(select(func.count()).select_from(StockMovement).where(
        StockMovement.part_id == part_id, StockMovement.kind == MovementKind.ISSUE)) == 1
    assert db.session.scalar(select(func.count()).select_from(OldPart)) == 1
    assert ledger.ledger_drift(store.id) == []


def test_the_database_itself_refuses_a_negative_stock(shop, db):
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.execute(update(Part).where(Part.id == shop["parts"]["5Q0698151"].id).values(on_hand=-1))
        db.session.flush()
    db.session.rollback()


# ------------------------------------------------------------------ reservations and returns

def test_an_estimate_line_reserves_and_the_issue_takes_its_own_reservation(shop, db):
    store, people = shop["store"], shop["people"]
    ro, job = shop["car"]()
    other_ro, other_job = shop["car"]()
    reception.add_line(ro.id, store_id=store.id, actor_id=people["advisor"].id, kind="part", code="5Q0698151",
                       description="前刹车片", quantity="1", unit_price="420")
    db.session.commit()
    pads = db.session.get(Part, shop["parts"]["5Q0698151"].id)
    assert (pads.on_hand, pads.reserved, pads.available) == (1, 1, 0)
    with pytest.raises(ledger.OutOfStock):  # the other car may not take what is held for this one
        _issue(shop, shop["ask"](other_job, "5Q0698151"))
    db.session.rollback()
    _issue(shop, shop["ask"](job, "5Q0698151"))
    db.session.commit()
    db.session.refresh(pads)
    assert (pads.on_hand, pads.reserved) == (0, 0)
    lines = [ln for ln in db.session.get(type(ro), ro.id).lines if ln.kind == "part"]
    assert len(lines) == 1 and lines[0].part_id == pads.id  # the estimate line became the issued line
    with pytest.raises(DomainError):  # an issued line leaves the bill only through a return
        reception.remove_line(ro.id, lines[0].id, store_id=store.id, actor_id=people["advisor"].id)
    db.session.rollback()
    services.return_to_stock(ro.id, pads.id, "1", store_id=store.id, actor_id=people["counter"].id, note="没用上")
    db.session.commit()
    db.session.refresh(pads)
    assert pads.on_hand == 1 and not [ln for ln in db.session.get(type(ro), ro.id).lines if ln.kind == "part"]
    with pytest.raises(DomainError) as refused:
        services.return_to_stock(ro.id, pads.id, "1", store_id=store.id, actor_id=people["counter"].id)
    assert refused.value.field == "quantity"
    db.session.rollback()
    assert ledger.ledger_drift(store.id) == []


def test_removing_an_estimate_line_releases_its_reservation(shop, db):
    store, people = shop["store"], shop["people"]
    ro, _ = shop["car"]()
    line = reception.add_line(ro.id, store_id=store.id, actor_id=people["advisor"].id, kind="part",
                              code="G052195M4", description="机油", quantity="4", unit_price="80")
    db.session.commit()
    assert db.session.get(Part, shop["parts"]["G052195M4"].id).reserved == 4
    reception.remove_line(ro.id, line.id, store_id=store.id, actor_id=people["advisor"].id)
    db.session.commit()
    assert db.session.get(Part, shop["parts"]["G052195M4"].id).reserved == 0


def test_a_pre_pick_follows_the_appointment(shop, db, make_vehicle):
    store, people = shop["store"], shop["people"]
    vehicle = make_vehicle()
    local = clock.to_store_time(clock.utcnow(), store.timezone).replace(tzinfo=None) + timedelta(days=1)
    booking = appointments.book(store_id=store.id, actor_id=people["advisor"].id, advisor_id=people["advisor"].id,
                                starts_local=local.replace(hour=10, minute=0, second=0, microsecond=0),
                                vehicle_id=vehicle.id, work_wanted="保养", parts_wanted="机滤")
    db.session.commit()
    services.reserve_for(store_id=store.id, actor_id=people["counter"].id, part_number="06J115403Q", quantity="1",
                         appointment_id=booking.id)
    db.session.commit()
    assert db.session.get(Part, shop["parts"]["06J115403Q"].id).reserved == 1
    ro = appointments.arrive(booking.id, store_id=store.id, actor_id=people["advisor"].id)
    db.session.commit()
    held = services.reservations_of(repair_order_id=ro.id)
    assert [(r.part.number, r.quantity) for r in held] == [("06J115403Q", Decimal("1"))]
    # a cancelled booking gives its pre-pick back
    other = appointments.book(store_id=store.id, actor_id=people["advisor"].id, advisor_id=people["advisor"].id,
                              starts_local=local.replace(hour=14, minute=0, second=0, microsecond=0),
                              vehicle_id=make_vehicle().id, work_wanted="保养")
    db.session.commit()
    services.reserve_for(store_id=store.id, actor_id=people["counter"].id, part_number="G052195M4", quantity="4",
                         appointment_id=other.id)
    db.session.commit()
    appointments.set_status(other.id, appointments.AppointmentStatus.CANCELLED, store_id=store.id)
    db.session.commit()
    assert db.session.get(Part, shop["parts"]["G052195M4"].id).reserved == 0
    assert ledger.ledger_drift(store.id) == []


# ------------------------------------------------------------------ shortage to arrival

def test_a_shortage_waits_on_the_pending_list_and_the_arrival_tells_advisor_and_technician(shop, db):
    store, people = shop["store"], shop["people"]
    ro, job = shop["car"]()
    request = shop["ask"](job, "5Q0698151", "2")
    with pytest.raises(DomainError):  # in stock: issue it instead
        services.record_shortage(shop["ask"](job, "06J115403Q").id, store_id=store.id, actor_id=people["counter"].id)
    db.session.rollback()
    pending = services.record_shortage(request.id, store_id=store.id, actor_id=people["counter"].id)
    db.session.commit()
    assert request.status == PartsRequestStatus.SHORTAGE
    today = clock.store_today(store.timezone)
    pending.status, pending.expected_on = PendingStatus.ORDERED, today - timedelta(days=1)
    db.session.commit()
    rows = services.pending_list(store.id, today=today)
    assert rows[0].id == pending.id and rows[0].overdue
    ledger.post(pending.part_id, Decimal("2"), MovementKind.RECEIPT, store_id=store.id, actor_id=people["counter"].id)
    assert services.on_received(pending.part_id, Decimal("2"), store_id=store.id, actor_id=people["counter"].id) == 2
    db.session.commit()
    assert db.session.get(PendingPart, pending.id).status == PendingStatus.RECEIVED
    assert request.status == PartsRequestStatus.REQUESTED
    told = set(db.session.scalars(select(Notice.user_id).where(Notice.kind == "part_arrived")))
    assert told == {people["advisor"].id, people["tech"].id}
    pads = db.session.get(Part, pending.part_id)
    assert (pads.on_hand, pads.reserved) == (3, 2)
    _issue(shop, request, quantity="2")
    db.session.commit()
    assert request.from_stock is False  # it was not on the shelf when asked for: the fill rate counts it so
    assert ledger.ledger_drift(store.id) == []


# ------------------------------------------------------------------ import and export

def test_import_reports_each_refused_row_and_keeps_the_rest(shop, db):
    csv_text = ("配件编号,配件名称,ABC分类,成本价,销售价,库位,期初库存,供应商\n"
                "1K0615301AA,前刹车盘,B,210,380,A-02-1-01,4,一汽大众配件中心\n"
                "1K0615301AB,后刹车盘,Z,210,380,,,\n"
                "1K0615301AC,刹车盘左,B,210,380,A-1-2-3,,\n"
                "X,太短,B,1,1,,,\n"
                "06J115403Q,机油滤清器(新包装),A,52,70,,,\n"
                "1K0615301AD,刹车盘右,B,210,380,A-02-1-02,2,不认识的供应商\n")
    upload = io.BytesIO(csv_text.encode("utf-8"))
    upload.filename = "catalogue.csv"
    report = transfer.import_catalogue(transfer.read_table(upload), store_id=shop["store"].id, actor_id=None)
    db.session.commit()
    assert [(r.line, r.outcome) for r in report] == [(2, "created"), (3, "refused"), (4, "refused"), (5, "refused"),
                                                    (6, "updated"), (7, "refused")]
    assert "06J115403Q" in report[2].message  # bin A-01-2-03 is taken by the oil filter
    disc = services.part_by_number(shop["store"].id, "1K0615301AA")
    assert (disc.on_hand, disc.bin_code, disc.supplier_id) == (4, "A-02-1-01", shop["supplier"].id)
    filter_ = services.part_by_number(shop["store"].id, "06J115403Q")
    assert (filter_.name, filter_.price, filter_.bin_code) == ("机油滤清器(新包装)", Decimal("70.00"), "A-01-2-03")
    assert services.part_by_number(shop["store"].id, "1K0615301AD") is None
    assert ledger.ledger_drift(shop["store"].id) == []
    # and out again, as Excel, and back in: nothing changes
    data = transfer.export_xlsx(shop["store"].id)
    again = io.BytesIO(data)
    again.filename = "export.xlsx"
    rows = transfer.read_table(again)
    assert len(rows) == 4 and {r["number"] for r in rows} >= {"1K0615301AA", "06J115403Q"}
    assert transfer.export_csv(shop["store"].id).startswith("\ufeff配件编号".encode())


def test_a_name_that_would_run_as_a_formula_is_exported_as_text_and_comes_back_as_it_was(shop, db):
    """A part named like `=HYPERLINK(…)` was written raw to CSV and as a live formula to Excel: it is
    text in both (an apostrophe in CSV, a text cell in Excel), and re-importing the CSV reads the name
    back unchanged."""
    from openpyxl import load_workbook

    store_id = shop["store"].id
    name = '=HYPERLINK("http://evil.example/x","点这里")'
    upload = io.BytesIO(f'配件编号,配件名称,ABC分类,成本价,销售价\n1K0615301AA,"{name.replace(chr(34), chr(34) * 2)}",B,210,380\n'
                        .encode("utf-8"))
    upload.filename = "catalogue.csv"
    transfer.import_catalogue(transfer.read_table(upload), store_id=store_id, actor_id=None)
    db.session.commit()
    assert services.part_by_number(store_id, "1K0615301AA").name == name
    exported = transfer.export_csv(store_id).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported and ",=HYPERLINK" not in exported
    back = io.BytesIO(exported.encode("utf-8"))
    back.filename = "export.csv"
    assert any(r["name"] == name for r in transfer.read_table(back))
    sheet = load_workbook(io.BytesIO(transfer.export_xlsx(store_id))).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == name)
    assert cell.data_type == "s"  # text, not a formula


def test_a_file_that_is_not_a_table_is_refused(shop):
    upload = io.BytesIO(b"\x89PNG...")
    upload.filename = "photo.png"
    with pytest.raises(DomainError) as refused:
        transfer.read_table(upload)
    assert refused.value.field == "file"


# ------------------------------------------------------------------ figures

def test_fill_rate_counts_requests_served_from_the_shelf_at_once(shop, db):
    store, people = shop["store"], shop["people"]
    ro, job = shop["car"]()
    _issue(shop, shop["ask"](job, "06J115403Q"))
    short = shop["ask"](job, "5Q0698151", "3")
    services.record_shortage(short.id, store_id=store.id, actor_id=people["counter"].id)
    db.session.commit()
    today = clock.store_today(store.timezone)
    result = figures.figures(store, today - timedelta(days=29), today)
    assert (result.requests, result.served_at_once, result.fill_rate) == (2, 1, 0.5)
    assert result.issue_cost == Decimal("50")
    assert result.stock_value_end == services.stock_value(store.id)


# ------------------------------------------------------------------ the screens

@pytest.fixture
def counter_client(app, shop):
    client = new_client(app)
    client.fetch_csrf()
    assert client.post("/login", data={"username": shop["people"]["counter"].username,
                                       "password": "password123"}).status_code == 302
    client.fetch_csrf("/")
    return client


def test_the_counter_issues_over_htmx_and_a_refusal_keeps_what_was_typed(shop, counter_client, db):
    ro, job = shop["car"]()
    request = shop["ask"](job, "5Q0698151")
    page = counter_client.get("/parts/")
    assert page.status_code == 200 and ro.vehicle.plate in page.get_data(as_text=True)
    refused = counter_client.post(f"/parts/requests/{request.id}/issue", headers={"HX-Request": "true"},
                                  data={"part_number": "5Q0698151", "quantity": "7", "status": "requested",
                                        "old_part": "received"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'value="7"' in body and "HX-Trigger" in refused.headers
    done = counter_client.post(f"/parts/requests/{request.id}/issue", headers={"HX-Request": "true"},
                               data={"part_number": "5Q0698151", "quantity": "1", "status": "requested",
                                     "old_part": "received"})
    assert done.status_code == 200 and "board-changed" in done.headers["HX-Trigger-After-Settle"]
    assert f'id="request-{request.id}"' not in done.get_data(as_text=True)
    card = counter_client.get(f"/parts/p/{shop['parts']['5Q0698151'].id}").get_data(as_text=True)
    assert ro.vehicle.plate in card and 'data-testid="on-hand">0<' in card


def test_parts_pages_answer_and_a_wrong_bin_is_refused_with_the_typed_values(shop, counter_client, db):
    for url in ("/parts/stock", "/parts/stock?q=06J", "/parts/stock?only=low", "/parts/new", "/parts/import",
                "/parts/figures", "/parts/pending/", "/parts/warranty/old-parts", "/parts/export.csv"):
        assert counter_client.get(url).status_code == 200, url
    response = counter_client.post("/parts/new", data={"number": "3C0129620", "name": "空气滤清器",
                                                        "bin_code": "A-1-2", "abc_class": "B", "supplier_id": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="3C0129620"' in body and "A-03-2-05" in body
    response = counter_client.post("/parts/new", data={"number": "3C0129620", "name": "空气滤清器", "bin_code": "C-5-1-1",
                                                        "abc_class": "B", "supplier_id": "", "opening": "6"})
    assert response.status_code == 302
    made = services.part_by_number(shop["store"].id, "3C0129620")
    assert (made.bin_code, made.on_hand) == ("C-05-1-01", 6)




def test_counter_stock_list_and_bin_card_cost_the_same_queries_for_few_and_many(shop, counter_client, db):
    store = shop["store"]
    ro, job = shop["car"]()
    for _ in range(2):
        shop["ask"](job, "06J115403Q")
    oil = shop["parts"]["G052195M4"].id
    ledger.post(oil, Decimal("-1"), MovementKind.ISSUE, store_id=store.id, actor_id=None, repair_order_id=ro.id)
    db.session.commit()
    few = {url: queries_for(db, counter_client, url, htmx=True) for url in ("/parts/live", "/parts/stock", f"/parts/p/{oil}",
                                                               "/parts/pending/live")}
    for n in range(12):
        (_, other_job) = shop["car"]()
        shop["ask"](other_job, "G052195M4" if n % 2 else f"NEW{n:04d}")
        services.save_part(store_id=store.id, number=f"7N0{n:05d}", name=f"零件{n}", bin_code=f"B-{n + 1}-1-1")
        ledger.post(oil, Decimal("1"), MovementKind.RECEIPT, store_id=store.id, actor_id=None)
        ledger.post(oil, Decimal("-1"), MovementKind.ISSUE, store_id=store.id, actor_id=None, repair_order_id=ro.id)
    db.session.commit()
    many = {url: queries_for(db, counter_client, url, htmx=True) for url in few}
    assert many == few


def test_an_unchanged_counter_poll_is_a_304(shop, counter_client):
    first = counter_client.get("/parts/live", headers={"HX-Request": "true"})
    again = counter_client.get("/parts/live", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    shop["ask"](shop["car"]()[1], "06J115403Q")
    changed = counter_client.get("/parts/live", headers={"HX-Request": "true", "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200


def test_reservations_on_the_part_page(shop, counter_client, db):
    ro, _ = shop["car"]()
    oil = shop["parts"]["G052195M4"]
    response = counter_client.post(f"/parts/p/{oil.id}/reserve", data={"repair_order": ro.vehicle.plate, "quantity": "4"})
    assert response.status_code == 302
    held = db.session.scalar(select(Reservation).where(Reservation.part_id == oil.id))
    assert held.repair_order_id == ro.id and held.quantity == 4
    response = counter_client.post(f"/parts/p/{oil.id}/reserve", data={"repair_order": ro.vehicle.plate, "quantity": "40"})
    db.session.expire_all()
    assert response.status_code == 302 and db.session.get(Part, oil.id).reserved == 4
    counter_client.post(f"/parts/reservations/{held.id}/release", data={"next": f"/parts/p/{oil.id}"})
    db.session.expire_all()
    assert db.session.get(Part, oil.id).reserved == 0
