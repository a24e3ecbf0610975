"""The parts store through real browsers at tablet sizes: a delivery received in three checks with
one damaged item (a discrepancy note, stock booked for the good items only); a part issued against
a technician's request with the old part handed in (and the refusals the counter must be able to
read); a small cycle count with a variance explained and approved by a second parts user; and a
walk of every parts page, which must not scroll sideways.

State the test is not about (the catalogue, the order written, approved and ordered, the car in
the workshop and its request, the count's sheets) is set up with service calls and committed
before the browser looks at it; every step named in a test's docstring goes through the browser."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from intranet.core.models import RepairOrderLine, Role
from intranet.parts import counts, purchasing, writeoffs
from intranet.parts import services as parts
from intranet.parts.models import (
    ClaimStatus,
    CountLine,
    CountStatus,
    Discrepancy,
    DiscrepancyKind,
    MovementKind,
    OldPartOutcome,
    OrderStatus,
    Part,
    ReceiptStatus,
    StockCount,
    StockMovement,
    Supplier,
)
from intranet.reception import services as reception
from intranet.workshop import services as workshop
from intranet.workshop.models import PartsRequest, PartsRequestStatus, Technician
from tests.browser.conftest import VIEWPORTS, fresh, login, path_of, shot, top, zh

pytestmark = pytest.mark.browser

PLATE = "沪A35791"

OIL_FILTER = "06J115403Q"  # B, bin A-01-2-03, 5 on hand
BRAKE_PADS = "5Q0698151"  # B, bin A-01-2-04, 1 on hand
AIR_FILTER = "0986AF0134"  # C, bin B-02-1-01, 8 on hand
# class A, shelf A-02: the cycle count's sheet
BRAKE_DISC = "1K0615301AA"
CABIN_FILTER = "5Q0819653"
SPARK_PLUGS = "04E905612C"

CATALOGUE = (
    # number, name, class, bin, on hand, cost, price
    (OIL_FILTER, "机油滤清器", "B", "A-01-2-03", "5", "40", "68"),
    (BRAKE_PADS, "前刹车片", "B", "A-01-2-04", "1", "380", "420"),
    (AIR_FILTER, "空气滤清器", "C", "B-02-1-01", "8", "55", "98"),
    (BRAKE_DISC, "前刹车盘", "A", "A-02-1-01", "4", "50", "160"),
    (CABIN_FILTER, "空调滤清器", "A", "A-02-1-02", "6", "30", "85"),
    (SPARK_PLUGS, "火花塞", "A", "A-02-1-03", "12", "45", "90"),
)

DAMAGE_NOTE = "外包装破损，滤清器壳体凹陷"
VARIANCE_REASON = "上次领料未登记"


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it does not scroll sideways)."""
    width = page.viewport_size["width"]
    return max(page.evaluate("document.documentElement.scrollWidth") - width - 1, 0)


def snap(page, step: str) -> None:
    """parts-<step>-<size>.png at the page's own tablet size (the flows run at both sizes), which
    it must not be wider than."""
    viewport = page.viewport_size
    size = f"{viewport['width']}x{viewport['height']}"
    top(page)
    shot(page, f"parts-{step}-{size}")
    assert not sideways_overflow(page), f"{step} scrolls sideways at {size}"


def tap_post(page, target, url_end: str):
    """Tap a button whose form posts (htmx) to a URL ending in `url_end`; returns the answer."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(url_end)) as answer:
        target.tap()
    return answer.value


def tap_get(page, target, url_part: str):
    """Tap a button whose form gets (htmx) a URL containing `url_part`; returns the answer."""
    with page.expect_response(lambda r: r.request.method == "GET" and url_part in r.url) as answer:
        target.tap()
    return answer.value


def tap_navigate(page, target):
    """Tap a link or a plain form's button; returns the final response (after redirects)."""
    with page.expect_navigation() as navigation:
        target.tap()
    return navigation.value


def toast_of(response) -> str:
    return json.loads(response.headers.get("hx-trigger") or "{}").get("toast", {}).get("message", "")


def bin_card_top(page) -> SimpleNamespace:
    """The bin card's newest line: movement, in/out, balance, and what it was for."""
    row = page.get_by_test_id("bin-card").locator("tbody tr").first
    cells = row.locator("td")
    return SimpleNamespace(row=row, kind=cells.nth(1), change=cells.nth(2), balance=cells.nth(3), purpose=cells.nth(4))


def stock_row(page, number: str):
    """The stock list's row of a part (its number is the row's link)."""
    return page.locator("#stock-rows tbody tr", has=page.locator("a.mono", has_text=re.compile(rf"^{number}$")))


def movements(db, part_id: int, kind: MovementKind) -> list[Decimal]:
    return list(fresh(db).scalars(select(StockMovement.quantity).where(
        StockMovement.part_id == part_id, StockMovement.kind == kind).order_by(StockMovement.id)))


# --- set-up ---------------------------------------------------------------------------------------

@pytest.fixture
def no_polls(app, monkeypatch):
    """No board poll may land mid-test: only taps change the counter."""
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 600)


@pytest.fixture
def shop(db, store, make_user):
    """Parts staff (周库管 keeps the store, 沈经理 manages it), an advisor, a mechanical technician,
    a supplier and six parts with opening stock."""
    people = SimpleNamespace(
        keeper=make_user(Role.PARTS, username="zhoukuguan", display_name="周库管"),
        manager=make_user(Role.PARTS, username="shenjingli", display_name="沈经理"),
        advisor=make_user(Role.ADVISOR, username="sunguwen", display_name="孙顾问"),
        tech=make_user(Role.TECHNICIAN, username="zhengshifu", display_name="郑师傅"),
    )
    people.manager.parts_manager = True  # 沈经理 approves; 周库管 is a parts account like any other
    db.session.add(Technician(user_id=people.tech.id, store_id=store.id, team="mechanical"))
    supplier = Supplier(store_id=store.id, name="一汽大众配件中心", lead_days=2)
    db.session.add(supplier)
    db.session.flush()
    catalogue = {}
    for number, name, abc, bin_code, stock, cost, price in CATALOGUE:
        part = parts.save_part(store_id=store.id, number=number, name=name, bin_code=bin_code, cost=cost,
                               price=price, supplier_id=supplier.id, abc_class=abc)
        parts.add_opening_stock(part.id, stock, store_id=store.id, actor_id=people.keeper.id)
        catalogue[number] = SimpleNamespace(id=part.id, number=number, name=name, bin_code=bin_code,
                                            stock=Decimal(stock))
    db.session.commit()
    return SimpleNamespace(store=store, people=people, supplier=supplier, parts=catalogue)


def ordered_order(db, shop, lines: dict[str, str]):
    """A purchase order written by 周库管, approved by 沈经理 and ordered: {part number: quantity}.
    Returns the order and its line ids by part number."""
    store, people = shop.store, shop.people
    order = purchasing.create_order(store_id=store.id, actor_id=people.keeper.id, supplier_id=shop.supplier.id)
    for number, quantity in lines.items():
        purchasing.add_line(order.id, store_id=store.id, part_number=number, quantity=quantity)
    purchasing.approve(order.id, store_id=store.id, actor=people.manager)
    purchasing.mark_ordered(order.id, store_id=store.id, actor_id=people.manager.id,
                            expected_on=purchasing.store_today(store.id) + timedelta(days=2))
    db.session.commit()
    assert order.status_enum == OrderStatus.ORDERED
    return order, {line.part.number: line.id for line in order.lines}


def car_with_requests(db, shop, make_vehicle, make_customer, asked: dict[str, str]):
    """沪A35791 checked in with a mechanical labour line given to 郑师傅, who asked the counter for
    parts: {part number: quantity}. Returns the repair order id and the request ids by part number."""
    store, people = shop.store, shop.people
    vehicle = make_vehicle(plate=PLATE, customer=make_customer(name="陈晓明"), model="迈腾 330TSI")
    ro = reception.check_in(store_id=store.id, vehicle_id=vehicle.id, actor_id=people.advisor.id, complaint="保养")
    ro.advisor_id = people.advisor.id
    line = reception.add_line(ro.id, store_id=store.id, actor_id=people.advisor.id, kind="labour",
                              description="更换机油机滤、前刹车片", quantity="1.5", team="mechanical")
    workshop.assign_job(line.job_id, people.tech.id, store_id=store.id, actor_id=people.advisor.id,
                        expected_version=None)
    requests = {}
    for number, quantity in asked.items():
        request = workshop.request_part(line.job_id, store_id=store.id, actor_id=people.tech.id,
                                        description=shop.parts[number].name, part_number=number, quantity=quantity)
        requests[number] = request.id
    db.session.commit()
    return ro.id, requests


# --- 1. a delivery with one damaged item ------------------------------------------------------------

def test_receive_an_order_with_one_damaged_item(db, shop, page, size):
    """周库管 opens the ordered purchase order from the orders list → check 1: the delivery note
    number and each line's quantity on the note → check 2: the oil filters counted 2 good and 1
    damaged, with what was wrong → check 3: shelved. The damaged filter is on the discrepancy list;
    the oil filter's page shows on-hand up by the 2 good ones only, with a Receipt on top of its bin
    card; the stock list shows the same figures."""
    order, line_ids = ordered_order(db, shop, {OIL_FILTER: "3", AIR_FILTER: "2"})
    oil, air = shop.parts[OIL_FILTER], shop.parts[AIR_FILTER]
    login(page, shop.people.keeper.username)

    # -- the order, from the orders list
    page.goto("/parts/purchasing/")
    row = page.get_by_test_id(f"po-{order.id}")
    expect(page.get_by_test_id("po-group-on_order").get_by_test_id(f"po-{order.id}")).to_be_visible()
    expect(row).to_contain_text(order.number)
    tap_navigate(page, row.locator("a.row-link"))
    assert path_of(page) == f"/parts/purchasing/{order.id}"
    expect(page.get_by_test_id("po-status")).to_have_text(zh(OrderStatus.ORDERED.label))
    snap(page, "order-ordered")

    # -- check 1: the delivery note
    receive = page.locator("#receive")
    receive.locator("#rcv-note").fill("DN-20261123-07")
    receive.locator(f'input[name="noted-{line_ids[OIL_FILTER]}"]').fill("3")
    receive.locator(f'input[name="noted-{line_ids[AIR_FILTER]}"]').fill("2")
    tap_navigate(page, receive.locator("button[type=submit]"))
    match = re.fullmatch(r"/parts/purchasing/receipts/(\d+)", path_of(page))
    assert match, page.url
    receipt_id = int(match.group(1))
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.get_by_test_id("receipt-status")).to_have_text(zh(ReceiptStatus.NOTE_CHECKED.label))

    # -- check 2: intake — the oil filters: 2 good, 1 damaged
    oil_row = page.locator("tr[data-testid^=rcv-line-]", has_text=OIL_FILTER)
    air_row = page.locator("tr[data-testid^=rcv-line-]", has_text=AIR_FILTER)
    expect(oil_row.locator("input.rcv-good")).to_have_value("3")  # the note's quantity is the default
    expect(air_row.locator("input.rcv-good")).to_have_value("2")
    oil_row.locator("input.rcv-good").fill("2")
    oil_row.locator("input.rcv-damaged").fill("1")
    page.locator("#rcv-remark").fill(DAMAGE_NOTE)
    snap(page, "receipt-intake")
    tap_navigate(page, page.locator("form[action$=intake] button[type=submit]"))
    assert path_of(page) == f"/parts/purchasing/receipts/{receipt_id}"
    expect(page.get_by_test_id("receipt-status")).to_have_text(zh(ReceiptStatus.INTAKE_CHECKED.label))
    expect(page.locator("[data-testid^=shelf-]", has_text=OIL_FILTER)).to_contain_text("× 2")
    expect(page.locator("[data-testid^=shelf-]", has_text=AIR_FILTER)).to_contain_text("× 2")
    assert movements(db, oil.id, MovementKind.RECEIPT) == []  # nothing booked before shelving

    # -- check 3: shelved and booked
    tap_navigate(page, page.locator("form[action$=shelve] button[type=submit]"))
    expect(page.get_by_test_id("receipt-status")).to_have_text(zh(ReceiptStatus.SHELVED.label))
    expect(page.locator(".flash.success")).to_be_visible()
    snap(page, "receipt-shelved")
    assert movements(db, oil.id, MovementKind.RECEIPT) == [Decimal(2)]
    assert movements(db, air.id, MovementKind.RECEIPT) == [Decimal(2)]

    # -- the discrepancy list
    tap_navigate(page, page.locator(".parts-tabs a[href='/parts/purchasing/discrepancies']"))
    disc = fresh(db).scalar(select(Discrepancy).where(Discrepancy.receipt_id == receipt_id))
    assert (disc.kind, disc.quantity, disc.status, disc.note) == (DiscrepancyKind.DAMAGED, Decimal(1),
                                                                  ClaimStatus.OPEN, DAMAGE_NOTE)
    assert fresh(db).scalar(select(func.count()).select_from(Discrepancy)) == 1
    card = page.get_by_test_id(f"disc-{disc.id}")
    expect(card).to_contain_text(OIL_FILTER)
    expect(card).to_contain_text("× 1")
    expect(card).to_contain_text(zh(DiscrepancyKind.DAMAGED.label))
    expect(card).to_contain_text(DAMAGE_NOTE)
    expect(card).to_contain_text(order.number)
    expect(card.get_by_test_id("disc-status")).to_have_text(zh(ClaimStatus.OPEN.label))
    expect(page.get_by_test_id("open-count")).to_contain_text("1")
    snap(page, "discrepancies")

    # -- the oil filter's page: on hand 5 + 2 good, a Receipt on top of the bin card
    page.goto(f"/parts/p/{oil.id}")
    expect(page.get_by_test_id("on-hand")).to_have_text("7")
    expect(page.get_by_test_id("available")).to_have_text("7")
    newest = bin_card_top(page)
    expect(newest.kind).to_have_text(zh(MovementKind.RECEIPT.label))
    expect(newest.change).to_have_text("+2")
    expect(newest.balance).to_have_text("7")
    expect(newest.purpose).to_contain_text(order.number)
    snap(page, "part-after-receipt")

    # -- the stock list says the same
    page.goto("/parts/stock")
    oil_cells, air_cells = stock_row(page, OIL_FILTER).locator("td"), stock_row(page, AIR_FILTER).locator("td")
    expect(oil_cells.nth(4)).to_have_text("7")  # on hand
    expect(oil_cells.nth(6)).to_have_text("7")  # available
    expect(air_cells.nth(4)).to_have_text("10")
    assert fresh(db).get(Part, oil.id).on_hand == Decimal(7)
    assert fresh(db).get(Part, air.id).on_hand == Decimal(10)
    assert fresh(db).get(type(order), order.id).status_enum == OrderStatus.PARTLY_RECEIVED  # 1 still to come


# --- 2. the counter issues against a request ------------------------------------------------------

def test_issue_a_part_with_the_old_part_handed_in(db, shop, make_vehicle, make_customer, new_context, size,
                                                  no_polls):
    """郑师傅 asked for an oil filter and two brake pads (one on the shelf). At the counter 周库管 taps
    Issue on the oil filter without saying what became of the old part: the browser refuses it and
    nothing is sent. He chooses "old part handed in" and taps Issue: the request leaves the queue
    without a reload. Two brake pads are more than there are: refused with the reason, the typed
    quantity and the old-part choice kept. The oil filter's page shows one less on hand and an
    "Issue to RO" line with the plate; the advisor sees the part on the repair order."""
    ro_id, asked = car_with_requests(db, shop, make_vehicle, make_customer, {OIL_FILTER: "1", BRAKE_PADS: "1"})
    oil, pads = shop.parts[OIL_FILTER], shop.parts[BRAKE_PADS]
    page = new_context(size).new_page()
    login(page, shop.people.keeper.username)
    page.goto("/parts/")
    page.evaluate("window.__noReload = 1")
    expect(page.get_by_test_id("request-count")).to_have_text("2")
    car = page.get_by_test_id(f"car-{ro_id}")
    expect(car).to_contain_text(PLATE)
    first = page.get_by_test_id(f"request-{asked[OIL_FILTER]}")
    expect(first).to_contain_text(oil.name)
    expect(first.locator("[name=part_number]")).to_have_value(OIL_FILTER)
    expect(first.locator("[name=quantity]")).to_have_value("1")
    expect(first.locator("input[name=old_part]")).to_have_count(len(OldPartOutcome))
    snap(page, "counter")

    # -- Issue without the old part: the browser's required check stops it, nothing is sent
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_test_id(f"issue-{asked[OIL_FILTER]}").tap()
    page.wait_for_timeout(500)  # what a sent form would take to come back
    assert posts == [], posts
    assert first.evaluate("form => !form.checkValidity()")
    assert first.locator("input[name=old_part]").first.evaluate("radio => radio.validity.valueMissing")
    expect(first).to_be_visible()
    assert movements(db, oil.id, MovementKind.ISSUE) == []

    # -- old part handed in → Issue: the request leaves the queue in place
    handed_in = first.locator("label.choice", has=page.locator(f"input[value={OldPartOutcome.RECEIVED.value}]"))
    expect(handed_in).to_contain_text(zh(OldPartOutcome.RECEIVED.label))
    handed_in.tap()
    expect(first.locator(f"input[value={OldPartOutcome.RECEIVED.value}]")).to_be_checked()
    # The answer is the fresh queue; its board-changed event then makes the board fetch itself once
    # more (see the report): wait for that too, so it cannot land while the next row is being typed.
    with page.expect_response(lambda r: r.url.endswith("/parts/live")):
        answer = tap_post(page, page.get_by_test_id(f"issue-{asked[OIL_FILTER]}"),
                          f"/requests/{asked[OIL_FILTER]}/issue")
    assert answer.status == 200
    assert toast_of(answer) == zh("Issued.")
    expect(page.get_by_test_id(f"request-{asked[OIL_FILTER]}")).to_have_count(0)
    expect(page.get_by_test_id("request-count")).to_have_text("1")
    expect(page.locator("#toasts .toast-success")).to_contain_text(zh("Issued."))
    assert page.evaluate("window.__noReload") == 1, "the counter reloaded instead of swapping the queue"
    request = fresh(db).get(PartsRequest, asked[OIL_FILTER])
    assert (request.status, request.old_part, request.issued_by_id) == (
        PartsRequestStatus.ISSUED, OldPartOutcome.RECEIVED, shop.people.keeper.id)
    assert movements(db, oil.id, MovementKind.ISSUE) == [Decimal(-1)]

    # -- two brake pads when one is on the shelf: refused, what was typed is kept
    second = page.get_by_test_id(f"request-{asked[BRAKE_PADS]}")
    second.locator("label.choice", has=page.locator(f"input[value={OldPartOutcome.RECEIVED.value}]")).tap()
    second.locator("[name=quantity]").fill("2")
    answer = tap_post(page, page.get_by_test_id(f"issue-{asked[BRAKE_PADS]}"), f"/requests/{asked[BRAKE_PADS]}/issue")
    assert answer.status == 422
    second = page.get_by_test_id(f"request-{asked[BRAKE_PADS]}")
    refusal = second.locator(".request-error")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(BRAKE_PADS)
    assert BRAKE_PADS in toast_of(answer)
    expect(page.locator("#toasts .toast-error")).to_contain_text(BRAKE_PADS)
    expect(second.locator("[name=quantity]")).to_have_value("2")
    expect(second.locator(f"input[value={OldPartOutcome.RECEIVED.value}]")).to_be_checked()
    snap(page, "counter-refused")
    assert movements(db, pads.id, MovementKind.ISSUE) == []
    assert fresh(db).get(PartsRequest, asked[BRAKE_PADS]).status == PartsRequestStatus.REQUESTED
    assert page.evaluate("window.__noReload") == 1

    # -- the oil filter's page: one less, "Issue to RO" with the plate on top of the bin card
    tap_navigate(page, page.get_by_test_id(f"request-{asked[BRAKE_PADS]}").locator("a.mono"))
    assert path_of(page) == f"/parts/p/{pads.id}"
    expect(page.get_by_test_id("on-hand")).to_have_text("1")  # the refused issue took nothing
    page.goto(f"/parts/p/{oil.id}")
    expect(page.get_by_test_id("on-hand")).to_have_text("4")
    expect(page.get_by_test_id("available")).to_have_text("4")
    newest = bin_card_top(page)
    expect(newest.kind).to_have_text(zh(MovementKind.ISSUE.label))
    expect(newest.change).to_have_text("-1")
    expect(newest.balance).to_have_text("4")
    expect(newest.purpose).to_have_text(PLATE)
    # parts staff cannot open the repair order page: the plate is plain text, not a dead link
    expect(newest.purpose.locator("a")).to_have_count(0)
    snap(page, "part-after-issue")

    # -- the advisor sees the part billed on the repair order
    advisor = new_context(size).new_page()
    login(advisor, shop.people.advisor.username)
    advisor.goto(f"/reception/ro/{ro_id}")
    part_line = advisor.locator("#ro-lines tbody tr", has_text=OIL_FILTER)
    expect(part_line).to_contain_text(oil.name)
    expect(part_line.locator("td").nth(1)).to_have_text("1")
    expect(advisor.locator("#ro-lines tbody tr", has_text=BRAKE_PADS)).to_have_count(0)
    top(advisor)
    shot(advisor, f"parts-ro-with-issued-part-{size}")
    billed = fresh(db).scalar(select(RepairOrderLine).where(RepairOrderLine.repair_order_id == ro_id,
                                                            RepairOrderLine.part_id == oil.id))
    assert (billed.quantity, billed.code) == (Decimal(1), OIL_FILTER)


# --- 3. a cycle count through approval --------------------------------------------------------------

def test_cycle_count_with_a_variance_through_approval(db, shop, new_context, size, redis_conn):
    """周库管 opens a cycle count of class A (three parts on shelf A-02) on the counts page; the sheets
    are generated (by the service, as the worker would) while the page waits and shows them by
    itself. He counts each bin blind, by typing its part number: the spark plugs are one short. He
    finishes the counting, gives the variance a reason and a responsible person on the report; he
    cannot approve his own count. 沈经理 approves it: the spark plugs' page shows the counted figure
    and a count adjustment on top of the bin card."""
    keeper, manager = shop.people.keeper, shop.people.manager
    plugs = shop.parts[SPARK_PLUGS]
    page = new_context(size).new_page()
    login(page, keeper.username)

    # -- open the count
    page.goto("/parts/counts/")
    page.locator("label.cnt-choice", has=page.locator("input[name=kind][value=cycle]")).tap()
    page.locator(".cnt-classes label", has=page.locator("input[name=classes][value=A]")).tap()
    expect(page.locator("input[name=classes][value=A]")).to_be_checked()
    expect(page.locator("#recount_value")).to_have_value("200")
    tap_navigate(page, page.get_by_test_id("open-count"))
    match = re.fullmatch(r"/parts/counts/(\d+)", path_of(page))
    assert match, page.url
    count_id = int(match.group(1))
    expect(page.get_by_test_id("sheet-progress")).to_be_visible()  # the sheets are being prepared
    count = fresh(db).get(StockCount, count_id)
    assert (count.status, count.classes, count.created_by_id) == (CountStatus.GENERATING, "A", keeper.id)

    # -- the worker's part: the sheets; the page polls and shows them without a tap
    with page.expect_navigation():  # the progress poll answers HX-Refresh: the page reloads itself
        assert counts.generate_sheets(count_id) == 3
        db.session.commit()
    expect(page.get_by_test_id("entry")).to_be_visible()
    sheet = page.locator("#cnt-sheet")
    expect(sheet.locator("tbody tr")).to_have_count(3)
    expect(sheet.get_by_test_id("counted")).to_have_text("0")
    headers = [h.strip() for h in sheet.locator("thead th").all_inner_texts()]
    assert zh("Book") not in headers and zh("On hand") not in headers, headers  # blind
    snap(page, "count-sheet")

    # -- counted blind, by part number
    figures = {BRAKE_DISC: "4", CABIN_FILTER: "6", SPARK_PLUGS: "11"}
    for n, (number, counted) in enumerate(figures.items(), start=1):
        page.locator("#cnt-scan-input").fill(number.lower())  # typed as it comes
        assert tap_get(page, page.locator(".cnt-scan button[type=submit]"), f"/parts/counts/{count_id}/pick").ok
        expect(page.get_by_test_id("entry-bin")).to_have_text(shop.parts[number].bin_code)
        entry = page.get_by_test_id("entry")
        expect(entry.locator(".cnt-part")).to_contain_text(number)
        expect(entry).not_to_contain_text(zh("On hand"))
        page.locator("#cnt-qty").fill(counted)
        if n == len(figures):
            snap(page, "count-entry")
        with page.expect_response(lambda r: f"/parts/counts/{count_id}/sheet" in r.url):  # count-entered
            assert tap_post(page, page.get_by_test_id("enter-count"), f"/parts/counts/{count_id}/enter").status == 200
        expect(page.locator(".cnt-done")).to_contain_text(number)
        expect(page.locator("#cnt-sheet").get_by_test_id("counted")).to_have_text(str(n))
    expect(page.locator(".cnt-all-done")).to_be_visible()
    lines = fresh(db).scalars(select(CountLine).where(CountLine.count_id == count_id)).all()
    assert all(line.first_by_id == keeper.id and not line.needs_second for line in lines)

    # -- counting finished → the variance report
    tap_navigate(page, page.get_by_test_id("to-review"))
    assert path_of(page) == f"/parts/counts/{count_id}/report"
    assert fresh(db).get(StockCount, count_id).status == CountStatus.REVIEW
    variances = page.locator("tbody.cnt-var")
    expect(variances).to_have_count(1)
    variance = variances.first
    expect(variance).to_contain_text(SPARK_PLUGS)
    expect(variance.locator("td").nth(2)).to_have_text("11")  # counted
    expect(variance.locator("td").nth(3)).to_have_text("12")  # book
    expect(variance.locator("td").nth(4)).to_contain_text("-1")
    expect(page.get_by_test_id("approve")).to_have_count(0)  # he opened it: someone else approves
    expect(page.locator(".cnt-decide")).to_contain_text(zh("You opened this count: the parts manager or the "
                                                          "director approves it."))
    expect(page.locator("#count-stats")).to_contain_text(zh("variances, %(n)s without reason", n=1))
    variance.locator("input[name=reason]").fill(VARIANCE_REASON)
    variance.locator("select[name=responsible_id]").select_option(label=keeper.display_name)
    answer = tap_post(page, variance.locator("button[type=submit]"), "/explain")
    assert answer.status == 200 and toast_of(answer) == zh("Saved.")
    expect(page.locator("tbody.cnt-var.is-saved")).to_have_count(1)
    # the totals above follow the saved row, and there is still one of them
    expect(page.locator("#count-stats")).to_contain_text(zh("variances, %(n)s without reason", n=0))
    expect(page.locator("#count-stats")).to_have_count(1)
    snap(page, "count-report")
    line = fresh(db).scalar(select(CountLine).join(Part).where(CountLine.count_id == count_id,
                                                               Part.number == SPARK_PLUGS))
    assert (line.reason, line.responsible_id) == (VARIANCE_REASON, keeper.id)

    # -- 沈经理 approves on his own tablet
    boss = new_context(size).new_page()
    login(boss, manager.username)
    boss.goto("/parts/counts/")
    tap_navigate(boss, boss.get_by_test_id(f"count-{count_id}"))
    tap_navigate(boss, boss.locator(f"a[href='/parts/counts/{count_id}/report']"))
    expect(boss.locator("tbody.cnt-var input[name=reason]")).to_have_value(VARIANCE_REASON)
    tap_navigate(boss, boss.get_by_test_id("approve"))
    assert path_of(boss) == f"/parts/counts/{count_id}/report"
    expect(boss.locator(".flash.success")).to_be_visible()
    expect(boss.locator(".page-head .pill")).to_have_text(zh(CountStatus.APPROVED.label))
    expect(boss.locator("tbody.cnt-var").first).to_contain_text(keeper.display_name)  # read-only now
    snap(boss, "count-approved")
    count = fresh(db).get(StockCount, count_id)
    assert (count.status, count.approved_by_id) == (CountStatus.APPROVED, manager.id)
    assert movements(db, plugs.id, MovementKind.COUNT) == [Decimal(-1)]
    assert movements(db, shop.parts[BRAKE_DISC].id, MovementKind.COUNT) == []

    # -- the spark plugs' page
    boss.goto(f"/parts/p/{plugs.id}")
    expect(boss.get_by_test_id("on-hand")).to_have_text("11")
    newest = bin_card_top(boss)
    expect(newest.kind).to_have_text(zh(MovementKind.COUNT.label))
    expect(newest.change).to_have_text("-1")
    expect(newest.balance).to_have_text("11")
    expect(newest.purpose).to_contain_text(VARIANCE_REASON)
    snap(boss, "part-after-count")


# --- 3b. the recount stays blind -------------------------------------------------------------------

def test_a_recount_is_blind_while_the_count_is_counted(db, shop, new_context, size):
    """周库管 counted the spark plugs far off (a second count is needed). While the count is counted,
    沈经理 — the colleague who recounts — finds no variance report on the sheet, and the report's
    address sends him back to the sheet with the reason: neither the first figure nor the book shows.
    Once counting is finished, the report is there."""
    store, keeper, manager = shop.store, shop.people.keeper, shop.people.manager
    count = counts.open_count(store_id=store.id, actor_id=keeper.id, kind="cycle", classes="A", recount_value="10")
    counts.generate_sheets(count.id)
    db.session.commit()
    lines = {line.part.number: line for line in fresh(db).scalars(select(CountLine).where(
        CountLine.count_id == count.id))}
    for number, counted in ((BRAKE_DISC, "4"), (CABIN_FILTER, "6"), (SPARK_PLUGS, "7")):
        counts.enter_count(count.id, store_id=store.id, actor_id=keeper.id, line_id=lines[number].id, quantity=counted,
                           stage="first")
    db.session.commit()

    page = new_context(size).new_page()
    login(page, manager.username)
    page.goto(f"/parts/counts/{count.id}?show=recount")
    expect(page.get_by_test_id("entry-bin")).to_have_text(shop.parts[SPARK_PLUGS].bin_code)
    expect(page.get_by_test_id("variance-report")).to_have_count(0)
    expect(page.locator(f"a[href$='/parts/counts/{count.id}/report']")).to_have_count(0)
    body = page.locator("main").inner_text()
    assert zh("Variance report") not in body and "12" not in re.findall(r"\b\d+\b", page.locator("#cnt-entry").inner_text())
    snap(page, "recount-sheet")
    page.goto(f"/parts/counts/{count.id}/report")
    assert path_of(page) == f"/parts/counts/{count.id}"  # sent back to the sheet
    expect(page.locator(".flash.error")).to_contain_text(zh(
        "Count %(number)s is still being counted: its variance report opens when counting is finished, so that "
        "second counts stay blind.", number=count.number))
    expect(page.locator("tbody.cnt-var")).to_have_count(0)

    # his blind second count, then counting finished: now the report opens
    page.goto(f"/parts/counts/{count.id}?show=recount")
    page.locator("#cnt-qty").fill("11")
    assert tap_post(page, page.get_by_test_id("enter-count"), f"/parts/counts/{count.id}/enter").status == 200
    tap_navigate(page, page.get_by_test_id("to-review"))
    assert path_of(page) == f"/parts/counts/{count.id}/report"
    expect(page.locator("tbody.cnt-var")).to_have_count(1)
    page.goto(f"/parts/counts/{count.id}")
    expect(page.get_by_test_id("variance-report")).to_be_visible()


# --- 3c. cancelling a purchase order --------------------------------------------------------------

def test_cancelling_an_ordered_purchase_order_takes_a_reason_and_the_supplier_told(db, shop, page, size):
    """The order is with the supplier. 周库管 taps “cancel the order…”: nothing happens yet but a form
    asking why and whether the supplier was told. Confirming without ticking it is refused and keeps
    the reason typed; ticked, the order is cancelled and its history shows the reason."""
    order, _lines = ordered_order(db, shop, {OIL_FILTER: "4"})
    login(page, shop.people.keeper.username)
    page.goto(f"/parts/purchasing/{order.id}")
    expect(page.get_by_test_id("cancel-confirm")).to_be_hidden()
    page.get_by_test_id("cancel-open").tap()
    expect(page.get_by_test_id("cancel-confirm")).to_be_visible()
    expect(page.locator("#cancel")).to_contain_text(shop.supplier.name)
    assert fresh(db).get(type(order), order.id).status == OrderStatus.ORDERED  # one tap cancelled nothing
    page.locator("#cancel-reason").fill("车主改约，不修了")
    snap(page, "po-cancel")
    answer = tap_navigate(page, page.get_by_test_id("cancel-confirm"))
    assert answer.status == 422
    expect(page.locator("#cancel-reason")).to_have_value("车主改约，不修了")
    expect(page.locator("#cancel .error")).to_be_visible()
    assert fresh(db).get(type(order), order.id).status == OrderStatus.ORDERED
    page.locator("#cancel input[name=supplier_told]").check()
    tap_navigate(page, page.get_by_test_id("cancel-confirm"))
    expect(page.get_by_test_id("po-status")).to_have_text(zh(OrderStatus.CANCELLED.label))
    expect(page.locator(".history-card")).to_contain_text("车主改约，不修了")
    snap(page, "po-cancelled")
    assert fresh(db).get(type(order), order.id).status == OrderStatus.CANCELLED


# --- 4. every parts page at both tablet sizes -------------------------------------------------------

@pytest.fixture
def busy_store(db, shop, make_vehicle, make_customer):
    """Something on every parts page: a car with a request at the counter and an old part handed in,
    a draft and a received order with a damaged item, a count being counted, a write-off waiting."""
    store, people = shop.store, shop.people
    ro_id, asked = car_with_requests(db, shop, make_vehicle, make_customer, {OIL_FILTER: "1", BRAKE_PADS: "1"})
    parts.issue(asked[OIL_FILTER], store_id=store.id, actor_id=people.keeper.id, part_number=OIL_FILTER,
                quantity="1", old_part=OldPartOutcome.RECEIVED.value)
    draft = purchasing.create_order(store_id=store.id, actor_id=people.keeper.id, supplier_id=shop.supplier.id)
    purchasing.add_line(draft.id, store_id=store.id, part_number=AIR_FILTER, quantity="6")
    purchasing.add_line(draft.id, store_id=store.id, part_number=SPARK_PLUGS, quantity="8")
    db.session.commit()
    order, line_ids = ordered_order(db, shop, {OIL_FILTER: "3", AIR_FILTER: "2"})
    receipt = purchasing.check_delivery_note(order.id, store_id=store.id, actor_id=people.manager.id,
                                             delivery_note="DN-20261123-07",
                                             noted={line_ids[OIL_FILTER]: "3", line_ids[AIR_FILTER]: "2"})
    db.session.flush()
    purchasing.check_intake(receipt.id, store_id=store.id, actor_id=people.keeper.id, note=DAMAGE_NOTE,
                            counts={rl.id: {"good": "2", "wrong": "0",
                                            "damaged": "1" if rl.part_id == shop.parts[OIL_FILTER].id else "0"}
                                    for rl in receipt.lines})
    purchasing.shelve(receipt.id, store_id=store.id, actor_id=people.keeper.id)
    db.session.commit()
    count = counts.open_count(store_id=store.id, actor_id=people.keeper.id, kind="cycle", classes=["A"])
    db.session.commit()
    counts.generate_sheets(count.id)
    db.session.commit()
    writeoffs.request_write_off(store_id=store.id, actor_id=people.keeper.id, part_number=CABIN_FILTER,
                                quantity="1", reason="泡水受潮，滤芯发霉，无法退换")
    db.session.commit()
    return SimpleNamespace(ro_id=ro_id, draft_id=draft.id, order_id=order.id, receipt_id=receipt.id,
                           count_id=count.id)


def test_every_parts_page_fits_the_tablet(db, shop, busy_store, page, size, no_polls):
    """周库管 opens every parts page at the tablet size: each answers 200, shows the parts tabs, is
    saved as a screenshot, and must not be wider than the screen (every page that is, is listed)."""
    login(page, shop.people.keeper.username)
    pages = {
        "counter": "/parts/",
        "pending": "/parts/pending/",
        "stock": "/parts/stock",
        "part": f"/parts/p/{shop.parts[OIL_FILTER].id}",
        "new-part": "/parts/new",
        "import": "/parts/import",
        "figures": "/parts/figures",
        "purchasing": "/parts/purchasing/",
        "order-draft": f"/parts/purchasing/{busy_store.draft_id}",
        "order-received": f"/parts/purchasing/{busy_store.order_id}",
        "receipt": f"/parts/purchasing/receipts/{busy_store.receipt_id}",
        "discrepancies": "/parts/purchasing/discrepancies",
        "counts": "/parts/counts/",
        "count": f"/parts/counts/{busy_store.count_id}",
        "count-report": f"/parts/counts/{busy_store.count_id}/report",
        "write-offs": "/parts/write-offs/",
        "write-off-new": "/parts/write-offs/new",
        "old-parts": "/parts/warranty/old-parts",
        "warranty-sign-offs": "/parts/warranty/",
    }
    width = VIEWPORTS[size]["width"]
    too_wide: dict[str, int] = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{name} ({url}) answered {response.status}"
        expect(page.locator("nav.parts-tabs")).to_be_visible()
        top(page)
        shot(page, f"parts-walk-{name}-{size}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width + 1:
            too_wide[name] = wide
    assert not too_wide, f"pages wider than the {size} screen (scrollWidth): {too_wide}"
