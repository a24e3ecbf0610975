"""The service advisor's day through a real browser at tablet sizes: a car booked by phone,
arrived, worked on (with a finding the customer declines), settled and handed back; declined
work offered again on the next visit; two advisors saving the same repair order; a double-tapped
check-in; and the refusals an advisor must be able to read and act on.

State the test is not about (a car already delivered, a car moved through the workshop, which has
no screens yet) is set up with service calls and committed before the browser looks at it; every
step named in a test's docstring goes through the browser."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import CannedJob, CannedJobLine, RepairOrder, Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.reception import appointments as booking
from intranet.reception import services, settlement
from intranet.reception.models import (
    Appointment,
    AppointmentStatus,
    Finding,
    FindingStatus,
)
from tests.browser.conftest import LANDSCAPE, PORTRAIT, VIEWPORTS, login, path_of, shot

pytestmark = pytest.mark.browser

ZH = "zh_Hans_CN"


def zh(text) -> str:
    """A (lazy) message as the Chinese UI shows it — English until the catalog has it."""
    with force_locale(ZH):
        return str(text)


def snap(page, step: str, *, portrait: bool = False) -> None:
    """advisor-<step>-1024x768.png, and for the main steps advisor-<step>-768x1024.png too
    (the page is put back at the size it was). At each size the page must not scroll sideways."""
    before = page.viewport_size
    for size in [LANDSCAPE] + ([PORTRAIT] if portrait else []):
        page.set_viewport_size(VIEWPORTS[size])
        top(page)
        shot(page, f"advisor-{step}-{size}")
        assert no_sideways_scroll(page), f"{step} scrolls sideways at {size}"
    page.set_viewport_size(before)


def top(page) -> None:
    """Scroll to the top: a full-page shot of a scrolled page draws the sticky top bar mid-page."""
    page.evaluate("window.scrollTo(0, 0)")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def submit(page, button):
    """Tap a button that submits a plain form; returns the final response (after redirects)."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def ro_id_of(page) -> int:
    match = re.fullmatch(r"/reception/ro/(\d+)", path_of(page))
    assert match, f"not on a repair order page: {page.url}"
    return int(match.group(1))


def fresh(db):
    """End the test's read transaction so the next query sees what the browser just saved."""
    db.session.rollback()
    db.session.expire_all()
    return db.session


def status_pill(page):
    return page.locator(".page-head h1 .pill")


def make_jpeg(path) -> str:
    Image.new("RGB", (640, 480), (170, 60, 40)).save(path, "JPEG", quality=80)
    return str(path)


# --- fixtures ---------------------------------------------------------------------------------

MENU_NAME = "1万公里保养"


@pytest.fixture
def menu_item(db, store):
    """A menu item: 1.5 h labour at the store rate (¥150) + oil filter ¥68 + 5 l oil at ¥88
    = ¥733.00 net, ¥828.29 with 13 % VAT."""
    job = CannedJob(store_id=store.id, code="M10K", name=MENU_NAME, lines=[
        CannedJobLine(position=1, kind="labour", description="1万公里保养工时", quantity=Decimal("1.5")),
        CannedJobLine(position=2, kind="part", code="06L115562", description="机油滤清器", quantity=Decimal(1),
                      unit_price=Decimal(68)),
        CannedJobLine(position=3, kind="part", description="机油 5W-30（升）", quantity=Decimal(5),
                      unit_price=Decimal(88)),
    ])
    db.session.add(job)
    db.session.commit()
    return job


@pytest.fixture
def advisor(make_user):
    return make_user(Role.ADVISOR, username="wangfang", display_name="王芳")


def tomorrow(store):
    return clock.store_today(store.timezone) + timedelta(days=1)


def move(db, ro_id: int, actor_id: int, *statuses: ROStatus) -> None:
    fresh(db)
    for status in statuses:
        transition_repair_order(ro_id, status, actor_id=actor_id)
    db.session.commit()


def ready_with_lines(db, store, advisor, vehicle) -> RepairOrder:
    """A car back from the workshop with ¥650 net of customer work (¥734.50 with VAT)."""
    ro = services.check_in(store_id=store.id, vehicle_id=vehicle.id, actor_id=advisor.id)
    args = {"store_id": store.id, "actor_id": advisor.id}
    services.add_line(ro.id, kind="labour", description="更换前刹车片", quantity="1", **args)
    services.add_line(ro.id, kind="part", description="前刹车片", quantity="1", unit_price="500", **args)
    for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY):
        transition_repair_order(ro.id, status, actor_id=advisor.id)
    db.session.commit()
    return ro


# --- 1. booking to delivery -------------------------------------------------------------------

NEW_PLATE = "沪B52013"


def test_booking_to_delivery(db, store, new_context, advisor, make_user, menu_item, tmp_path):
    """Book a new car by phone → day view → arrived → repair order with the menu item → add a part
    line (htmx, no reload) → technician reports a finding with a photo → customer declines →
    (workshop by services) → payment, checklist, hand back → print page with QR, PDF."""
    technician = make_user(Role.TECHNICIAN, username="zhangshifu", display_name="张师傅")
    day = tomorrow(store)
    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)

    # -- booking by phone, a car the store has never seen
    page.goto("/reception/appointments/new")
    expect(page.locator("#plate")).to_be_focused()
    page.locator("#plate").fill(NEW_PLATE)
    page.locator("#model").fill("途观L 380TSI")
    page.locator("#name").fill("陈晓明")
    page.locator("#mobile").fill("139 1234 5678")
    expect(page.locator("#advisor_id")).to_have_value(str(advisor.id))
    if page.locator("#day").input_value() != day.isoformat():  # after closing time it is tomorrow already
        with page.expect_response(lambda r: "/reception/appointments/slots" in r.url) as slots:
            page.locator("#day").fill(day.isoformat())
        assert slots.value.status == 200
    expect(page.locator("#slot option").first).to_have_attribute("value", "08:00")  # a whole free day
    page.locator("#slot").select_option("09:30")
    page.locator("#canned_job_id").select_option(label=MENU_NAME)
    page.locator("#parts_wanted").fill("机油滤清器×1")
    snap(page, "book-filled", portrait=True)
    answer = submit(page, page.locator("main form.card button.btn-primary[type=submit]"))
    assert answer.status == 200

    # -- the day view of that day
    assert path_of(page) == "/reception/appointments"
    assert f"day={day.isoformat()}" in page.url
    expect(page.locator(".flash.success")).to_contain_text(NEW_PLATE)
    booked = page.locator("li.appointment", has_text=NEW_PLATE)
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("09:30")
    expect(booked).to_contain_text("陈晓明")
    expect(booked).to_contain_text(MENU_NAME)
    expect(booked).to_contain_text("13912345678")
    snap(page, "day-view", portrait=True)

    # -- the customer arrives: one tap to the repair order with the menu item's lines
    submit(page, booked.locator('form[action$="/arrive"] button[type=submit]'))
    ro_id = ro_id_of(page)
    number = fresh(db).get(RepairOrder, ro_id).number
    expect(page.locator(".page-head h1")).to_contain_text(number)
    expect(status_pill(page)).to_have_class(re.compile(r"status-checked_in"))
    lines = page.locator("#ro-lines table.lines tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0)).to_contain_text("1万公里保养工时")
    total = page.locator("[data-testid=ro-total]")
    expect(total).to_have_text("¥828.29")
    snap(page, "ro-arrived", portrait=True)

    # -- a part line through the htmx form: the total changes, the page does not reload
    page.evaluate("window.__noReload = 1")
    form = page.locator("form.line-form")
    form.locator("[name=kind]").select_option("part")
    form.locator("[name=description]").fill("雨刮片（前）")
    form.locator("[name=quantity]").fill("1")
    form.locator("[name=unit_price]").fill("120")
    with page.expect_response(lambda r: r.url.endswith(f"/reception/ro/{ro_id}/lines")) as added:
        form.locator("button[type=submit]").click()
    assert added.value.status == 200
    expect(lines).to_have_count(4)
    expect(lines.nth(3)).to_contain_text("雨刮片（前）")
    expect(total).to_have_text("¥963.89")  # (733 + 120) × 1.13
    assert page.evaluate("window.__noReload") == 1, "the page reloaded"
    snap(page, "line-added", portrait=True)

    # -- the car goes into the workshop (the advisor's status button)
    submit(page, page.locator('form[action$="/status"] button[name=to][value=in_workshop]'))
    expect(status_pill(page)).to_have_class(re.compile(r"status-in_workshop"))

    # -- the technician, on another tablet, reports a finding with a photo from the car's page
    tech = new_context(PORTRAIT).new_page()
    login(tech, technician.username)
    vehicle_id = fresh(db).get(RepairOrder, ro_id).vehicle_id
    tech.goto(f"/vehicles/{vehicle_id}")
    report = tech.locator(f'a[href="/findings/new/{ro_id}"]')
    expect(report).to_be_visible()
    top(tech)
    shot(tech, f"advisor-tech-vehicle-{PORTRAIT}")
    with tech.expect_navigation():
        report.click()
    tech.locator("#description").fill("右前减震器漏油，建议更换")
    tech.locator("#labour_hours").fill("1.5")
    tech.locator("#parts_amount").fill("860")
    tech.locator("#parts_description").fill("右前减震器")
    tech.locator("#photos").set_input_files(make_jpeg(tmp_path / "leak.jpg"))
    top(tech)
    shot(tech, f"advisor-tech-finding-{PORTRAIT}")
    sent = submit(tech, tech.locator("main form button.btn-primary[type=submit]"))
    assert sent.status == 200
    assert path_of(tech) == f"/vehicles/{vehicle_id}"
    expect(tech.locator(".flash.success")).to_contain_text(number)
    tech.set_viewport_size(VIEWPORTS[LANDSCAPE])
    top(tech)
    shot(tech, f"advisor-tech-sent-{LANDSCAPE}")

    # -- the advisor sees it (with the photo) and records the customer's "no"
    page.reload()
    expect(status_pill(page)).to_have_class(re.compile(r"status-waiting_approval"))
    finding = page.locator("#findings li.finding")
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("右前减震器漏油")
    expect(finding).to_contain_text("¥860.00")
    photo = finding.locator(".thumbs img")
    expect(photo).to_have_count(1)
    photo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    finding_id = fresh(db).scalar(select(Finding.id).where(Finding.repair_order_id == ro_id))
    finding.locator(f"#channel-{finding_id}").select_option("phone")
    finding.locator(f"#reason-{finding_id}").fill("价格高，下次保养再换")
    snap(page, "finding-answer", portrait=True)
    submit(page, finding.locator("button[name=decision][value=decline]"))
    expect(page.locator(".flash.success")).to_be_visible()
    expect(finding.locator(".pill.bad")).to_be_visible()
    expect(finding).to_contain_text("价格高，下次保养再换")
    expect(finding.locator("form.answer")).to_have_count(0)
    expect(status_pill(page)).to_have_class(re.compile(r"status-in_workshop"))
    expect(lines).to_have_count(4)  # declining adds nothing
    snap(page, "finding-declined")

    # -- the workshop finishes (no screens for it yet)
    move(db, ro_id, technician.id, ROStatus.QUALITY_CHECK, ROStatus.READY)
    page.reload()
    expect(status_pill(page)).to_have_class(re.compile(r"status-ready"))
    submit(page, page.locator(f'.page-head a[href="/reception/ro/{ro_id}/settle"]'))

    # -- settlement: the customer pays what is due, prefilled
    due = page.locator("[data-testid=due-customer]")
    expect(due).to_have_text("¥963.89")
    expect(page.locator("#amount")).to_have_value("963.89")
    snap(page, "settle", portrait=True)
    page.locator("#method").select_option("wechat")
    page.locator("#reference").fill("WX20240001")
    submit(page, page.locator('form[action$="/payments"] button[type=submit]'))
    expect(page.locator(".flash.success")).to_contain_text("963.89")
    expect(due).to_have_text("¥0.00")
    expect(page.locator("#due-note")).to_have_count(0)

    # -- the delivery checklist, and the car goes home
    page.locator("#work_explained").check()
    page.locator("#old_parts").select_option("customer_keeps")
    page.locator("#car_clean").check()
    page.locator("#keys_returned").check()
    snap(page, "checklist", portrait=True)
    submit(page, page.locator('form[action$="/deliver"] button[type=submit]'))
    assert path_of(page) == f"/reception/ro/{ro_id}"
    expect(page.locator(".flash.success")).to_contain_text(NEW_PLATE)
    expect(status_pill(page)).to_have_class(re.compile(r"status-delivered"))
    expect(page.locator("form.line-form")).to_have_count(0)  # nothing can be added any more
    snap(page, "delivered", portrait=True)
    ro = fresh(db).get(RepairOrder, ro_id)
    assert ro.status == ROStatus.DELIVERED and ro.delivered_at is not None
    assert fresh(db).get(Finding, finding_id).status == FindingStatus.DECLINED

    # -- the printed repair order and its PDF
    page.goto(f"/reception/ro/{ro_id}/print")
    expect(page.locator("header .qr svg")).to_be_visible()
    expect(page.locator("header .qr .mono")).to_have_text(number)
    expect(page.locator("table.facts")).to_contain_text(NEW_PLATE)
    expect(page.locator("table.sums tr.grand")).to_contain_text("¥963.89")
    snap(page, "print", portrait=True)
    pdf = page.request.get(f"/reception/ro/{ro_id}/document.pdf")
    assert pdf.status == 200
    assert pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body()[:5] == b"%PDF-"


# --- 2. declined work offered again -----------------------------------------------------------

def test_declined_work_offered_on_next_visit(db, store, new_context, advisor, make_vehicle):
    """A car whose customer declined a finding last time is checked in again (vehicle page →
    check in → form): the new repair order offers the declined work; "customer agrees: add"
    puts its lines on it."""
    vehicle = make_vehicle(plate="沪A66666")
    args = {"store_id": store.id, "actor_id": advisor.id}
    last = services.check_in(vehicle_id=vehicle.id, **args)
    transition_repair_order(last.id, ROStatus.IN_WORKSHOP, actor_id=advisor.id)
    declined = services.report_finding(last.id, description="后刹车片剩余3mm", labour_hours="0.8",
                                       parts_description="后刹车片", parts_amount="420", **args)
    services.answer_finding(declined.id, approved=False, channel="phone", decline_reason="下次保养再换", **args)
    for status in (ROStatus.QUALITY_CHECK, ROStatus.READY):
        transition_repair_order(last.id, status, actor_id=advisor.id)
    settlement.deliver(last.id, work_explained=True, old_parts="none", car_clean=True, keys_returned=True, **args)
    db.session.commit()
    last_id, last_number, finding_id = last.id, last.number, declined.id

    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)
    page.goto(f"/vehicles/{vehicle.id}")
    expect(page.locator("main")).to_contain_text("后刹车片剩余3mm")  # offered on the car's page too
    snap(page, "vehicle-declined")
    submit(page, page.locator(f'.page-head a[href="/reception/check-in/{vehicle.id}"]'))
    page.locator("#odometer_km").fill("15200")
    page.locator("#complaint").fill("做保养")
    submit(page, page.locator("main form.card button.btn-primary[type=submit]"))
    ro_id = ro_id_of(page)
    assert ro_id != last_id

    offer = page.locator("section.card", has=page.locator(f'form[action$="/declined/{finding_id}"]'))
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("后刹车片剩余3mm")
    expect(offer).to_contain_text(last_number)
    expect(offer).to_contain_text("下次保养再换")
    expect(page.locator("#ro-lines table.lines")).to_have_count(0)
    snap(page, "declined-offered", portrait=True)

    submit(page, offer.locator("button[type=submit]"))
    assert ro_id_of(page) == ro_id
    expect(page.locator(".flash.success")).to_be_visible()
    lines = page.locator("#ro-lines table.lines tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("后刹车片剩余3mm")
    expect(lines.nth(1)).to_contain_text("后刹车片")
    expect(page.locator("[data-testid=ro-total]")).to_have_text("¥610.20")  # (120 + 420) × 1.13
    expect(page.locator(f'form[action$="/declined/{finding_id}"]')).to_have_count(0)  # offered once
    snap(page, "declined-added")
    finding = fresh(db).get(Finding, finding_id)
    assert finding.status == FindingStatus.DONE_LATER and finding.approved_on_id == ro_id


# --- 3. two advisors, one repair order --------------------------------------------------------

SAVE = 'main form[action$="/reception/ro/%d"] button[type=submit]'
WORDS = "保养；左后车门异响，颠簸路面明显"


@pytest.fixture
def two_advisors_on_one_ro(db, store, new_context, advisor, make_user, make_vehicle):
    """The same repair order open on two tablets: A (王芳, landscape) and B (李静, portrait).
    A saves key tag 27; B, whose form is older, saves the customer's words and gets the conflict."""
    colleague = make_user(Role.ADVISOR, username="lijing", display_name="李静")
    ro = services.check_in(store_id=store.id, vehicle_id=make_vehicle(plate="沪A77777").id, actor_id=advisor.id,
                           complaint="保养")
    db.session.commit()
    ro_id = ro.id
    a = new_context(LANDSCAPE).new_page()
    b = new_context(PORTRAIT).new_page()
    login(a, advisor.username)
    login(b, colleague.username)
    a.goto(f"/reception/ro/{ro_id}")
    b.goto(f"/reception/ro/{ro_id}")

    a.locator("#key_tag").fill("27")
    assert submit(a, a.locator(SAVE % ro_id)).status == 200
    expect(a.locator(".flash.success")).to_be_visible()
    expect(a.locator("#key_tag")).to_have_value("27")

    b.locator("#complaint").fill(WORDS)
    conflict = submit(b, b.locator(SAVE % ro_id))
    return ro_id, a, b, conflict


def test_two_advisors_edit_the_same_repair_order(db, two_advisors_on_one_ro):
    """A saves the key tag; B, on a form loaded before, saves the customer's words: B is shown the
    conflict with A's change and keeps what B typed; B saves again and it is saved."""
    from intranet.reception.services import HEADER_FIELDS

    ro_id, _a, b, conflict = two_advisors_on_one_ro
    assert conflict.status == 409
    changed = b.locator("main .stale-top .card-inset[role=status]")
    expect(changed).to_be_visible()
    expect(changed).to_contain_text(zh(HEADER_FIELDS["key_tag"]))
    expect(changed).to_contain_text("27")
    expect(changed).to_contain_text("王芳")
    expect(b.locator("main .stale-top [role=alert]")).to_be_visible()
    expect(b.locator("#complaint")).to_have_value(WORDS)  # B's typing is not lost
    snap(b, "conflict", portrait=True)

    assert submit(b, b.locator(SAVE % ro_id)).status == 200
    expect(b.locator(".flash.success")).to_be_visible()
    expect(b.locator("#complaint")).to_have_value(WORDS)
    assert fresh(db).get(RepairOrder, ro_id).complaint == WORDS


def test_saving_again_after_a_conflict_keeps_the_colleagues_change(db, two_advisors_on_one_ro):
    ro_id, _a, b, conflict = two_advisors_on_one_ro
    assert conflict.status == 409
    submit(b, b.locator(SAVE % ro_id))
    saved = fresh(db).get(RepairOrder, ro_id)
    assert saved.complaint == WORDS
    assert saved.key_tag == "27", "B's second save wiped the key tag A had saved"


# --- 4. a double-tapped check-in --------------------------------------------------------------

def ro_count(db, vehicle_id: int) -> int:
    return fresh(db).scalar(select(func.count()).select_from(RepairOrder).where(RepairOrder.vehicle_id == vehicle_id))


def test_double_tapped_check_in_opens_one_repair_order(db, store, new_context, advisor, make_vehicle):
    """Double-tapping "check in" on the check-in form opens one repair order; going back to the
    form and tapping again is refused with the repair order's number."""
    vehicle = make_vehicle(plate="沪A88888")
    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)

    page.goto(f"/reception/check-in/{vehicle.id}")
    page.locator("#odometer_km").fill("32000")
    page.locator("#complaint").fill("发动机故障灯亮")
    snap(page, "check-in", portrait=True)
    with page.expect_navigation(url=re.compile(r"/reception/ro/\d+$")):
        page.locator("main form.card button.btn-primary[type=submit]").dblclick()
    ro_id = ro_id_of(page)
    expect(page.locator(".flash.success")).to_contain_text(vehicle.plate)
    assert ro_count(db, vehicle.id) == 1
    number = fresh(db).get(RepairOrder, ro_id).number

    # Back to the form (re-loaded, a new form) and tap again: refused, naming the repair order.
    page.go_back()
    assert path_of(page) == f"/reception/check-in/{vehicle.id}"
    again = submit(page, page.locator("main form.card button.btn-primary[type=submit]"))
    assert again.status in (409, 422)
    expect(page.locator("main form [role=alert]").first).to_contain_text(number)
    snap(page, "check-in-again")
    assert ro_count(db, vehicle.id) == 1


def test_same_check_in_form_sent_three_times_at_once_opens_one_repair_order(db, store, new_context, advisor,
                                                                            make_vehicle):
    """Without the page's tap lock (script not loaded yet, a flaky network retrying): the same
    form posted three times at once still opens one repair order."""
    vehicle = make_vehicle(plate="沪A87878")
    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)
    page.goto(f"/reception/check-in/{vehicle.id}")
    page.locator("#complaint").fill("异响")
    statuses = page.evaluate("""() => {
        const form = document.querySelector("main form.card");
        const send = () => fetch(location.href, {method: "POST", body: new FormData(form), redirect: "manual"})
            .then(r => r.status);
        return Promise.all([send(), send(), send()]);
    }""")
    assert ro_count(db, vehicle.id) == 1, statuses
    # (Answers are 0 = opaque redirect to the repair order; see the report for the 500s seen here.)


# --- 5. refusals --------------------------------------------------------------------------------

def test_hand_back_before_payment_is_refused_and_keeps_the_ticks(db, store, new_context, advisor, make_vehicle):
    """Handing back an unpaid car shows why, with the checklist still ticked; paying, then handing
    back, works."""
    ro = ready_with_lines(db, store, advisor, make_vehicle(plate="沪A99999"))
    ro_id = ro.id
    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)
    page.goto(f"/reception/ro/{ro_id}/settle")
    expect(page.locator("[data-testid=due-customer]")).to_have_text("¥734.50")
    expect(page.locator("#due-note")).to_be_visible()

    page.locator("#work_explained").check()
    page.locator("#old_parts").select_option("shown")
    page.locator("#car_clean").check()
    page.locator("#keys_returned").check()
    page.locator("#note").fill("客户要求洗车")
    refused = submit(page, page.locator('form[action$="/deliver"] button[type=submit]'))
    assert refused.status == 422
    alert = page.locator("main [role=alert]").first
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("734.50")
    for box in ("#work_explained", "#car_clean", "#keys_returned"):
        expect(page.locator(box)).to_be_checked()
    expect(page.locator("#old_parts")).to_have_value("shown")
    expect(page.locator("#note")).to_have_value("客户要求洗车")
    expect(status_pill(page)).to_have_class(re.compile(r"status-ready"))
    snap(page, "handback-refused", portrait=True)

    page.locator("#method").select_option("alipay")
    submit(page, page.locator('form[action$="/payments"] button[type=submit]'))
    expect(page.locator("[data-testid=due-customer]")).to_have_text("¥0.00")
    page.locator("#work_explained").check()
    page.locator("#old_parts").select_option("shown")
    page.locator("#car_clean").check()
    page.locator("#keys_returned").check()
    submit(page, page.locator('form[action$="/deliver"] button[type=submit]'))
    expect(status_pill(page)).to_have_class(re.compile(r"status-delivered"))


def test_full_slot_is_refused_with_free_slots_to_tap(db, store, new_context, advisor, make_vehicle):
    """The advisor picks 09:00 tomorrow; a colleague books it first (capacity 1): the refusal
    says so and offers the free slots around it as buttons; one tap books 09:30."""
    store.advisor_slot_capacity = 1
    db.session.commit()
    day = tomorrow(store)
    other = make_vehicle(plate="沪A11111")
    car = make_vehicle(plate="沪A22222")

    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)
    page.goto("/reception/appointments/new")
    page.locator("#plate").fill(car.plate)
    if page.locator("#day").input_value() != day.isoformat():
        with page.expect_response(lambda r: "/reception/appointments/slots" in r.url):
            page.locator("#day").fill(day.isoformat())
    page.locator("#slot").select_option("09:00")
    page.locator("#work_wanted").fill("空调有异味")

    # Meanwhile, on the phone at the next desk, 09:00 goes to another car.
    booking.book(store_id=store.id, actor_id=advisor.id, advisor_id=advisor.id,
                 starts_local=datetime.combine(day, time(9, 0)), vehicle_id=other.id, work_wanted="保养")
    db.session.commit()

    refused = submit(page, page.locator("main form.card button.btn-primary[type=submit]"))
    assert refused.status == 409
    expect(page.locator("main form [role=alert]").first).to_contain_text("09:00")
    picks = page.locator("button[name=pick]")
    expect(picks.first).to_be_visible()
    offered = picks.evaluate_all("buttons => buttons.map(b => b.value)")
    assert f"{day.isoformat()} 09:00" not in offered, offered
    assert f"{day.isoformat()} 09:30" in offered, offered
    expect(page.locator("#plate")).to_have_value(car.plate)  # nothing to type again
    expect(page.locator("#work_wanted")).to_have_value("空调有异味")
    snap(page, "slot-full", portrait=True)

    answer = submit(page, page.locator(f'button[name=pick][value="{day.isoformat()} 09:30"]'))
    assert answer.status == 200
    assert path_of(page) == "/reception/appointments"
    expect(page.locator("li.appointment", has_text=car.plate)).to_contain_text("09:30")
    snap(page, "slot-picked")
    booked = fresh(db).scalars(select(Appointment).where(Appointment.vehicle_id == car.id)).all()
    assert len(booked) == 1 and booked[0].status == AppointmentStatus.BOOKED
    assert clock.to_store_time(booked[0].starts_at, store.timezone).replace(tzinfo=None) == \
        datetime.combine(day, time(9, 30))


# --- the booking's pre-pick reaches the parts store --------------------------------------------

def test_booking_with_a_catalogue_part_reaches_the_parts_counter(db, store, new_context, advisor, make_user,
                                                                 make_vehicle):
    """The advisor books a car with two catalogue parts found on the form (one not enough in stock):
    the booking saves, says what is short, and holds the rest; the storekeeper finds the car on the
    counter's pre-pick list and marks a line picked."""
    from intranet.parts import services as parts
    from intranet.reception.models import PrePickLine

    storekeeper = make_user(Role.PARTS, username="zhoukuguan", display_name="周库管")
    for number, name, bin_code, stock in (("5Q0698151", "前刹车片", "A-01-2-04", "1"),
                                          ("06J115403Q", "机油滤清器", "A-01-1-01", "5")):
        found = parts.save_part(store_id=store.id, number=number, name=name, bin_code=bin_code, cost="50",
                                price="100")
        parts.add_opening_stock(found.id, stock, store_id=store.id, actor_id=storekeeper.id)
    car = make_vehicle(plate="沪A77777")
    db.session.commit()
    day = tomorrow(store)

    page = new_context(LANDSCAPE).new_page()
    login(page, advisor.username)
    page.goto("/reception/appointments/new")
    page.locator("#plate").fill(car.plate)
    if page.locator("#day").input_value() != day.isoformat():
        with page.expect_response(lambda r: "/reception/appointments/slots" in r.url):
            page.locator("#day").fill(day.isoformat())
    page.locator("#slot").select_option("10:00")
    page.locator("#work_wanted").fill("刹车异响")
    page.locator("#part_q").fill("刹车")
    page.locator("[data-testid=add-5Q0698151]").click()
    row = page.locator("[data-testid=pre-pick-5Q0698151]")
    expect(row).to_be_visible()
    row.locator("input[name=pre_pick_qty]").fill("2")
    page.locator("#part_q").fill("06J")
    page.locator("[data-testid=add-06J115403Q]").click()
    expect(page.locator("[data-testid=pre-pick-06J115403Q]")).to_be_visible()
    page.locator("#part_q").press("Enter")  # Enter in the search box searches, it does not book
    expect(page.locator("[data-testid=add-06J115403Q]")).to_be_visible()
    assert path_of(page) == "/reception/appointments/new"
    page.locator("#parts_wanted").fill("客户自带雨刮片")
    snap(page, "book-pre-pick", portrait=True)
    answer = submit(page, page.locator("main form.card button.btn-primary[type=submit]"))
    assert answer.status == 200 and path_of(page) == "/reception/appointments"
    expect(page.locator(".flash.warning")).to_contain_text("5Q0698151")
    booked = page.locator("li.appointment", has_text=car.plate)
    expect(booked.locator(".pre-pick-lines")).to_contain_text("前刹车片")
    snap(page, "booked-pre-pick")
    appointment = fresh(db).scalar(select(Appointment).where(Appointment.vehicle_id == car.id))
    assert {(ln.part_number, ln.quantity, ln.reserved) for ln in appointment.pre_pick} == {
        ("5Q0698151", Decimal("2"), Decimal("1")), ("06J115403Q", Decimal("1"), Decimal("1"))}

    counter = new_context(PORTRAIT).new_page()
    login(counter, storekeeper.username)
    counter.goto("/parts/")
    summary = counter.locator("[data-testid=pre-pick-summary]")
    expect(summary).to_be_visible()
    with counter.expect_navigation():
        summary.locator("a.btn").click()
    assert path_of(counter) == "/parts/pre-pick"
    card = counter.locator(f"[data-testid=pre-pick-car-{appointment.id}]")
    expect(card).to_contain_text(car.plate)
    expect(card).to_contain_text(advisor.display_name)
    line = next(ln for ln in appointment.pre_pick if ln.part_number == "06J115403Q")
    with counter.expect_response(lambda r: f"/parts/pre-pick/{line.id}/picked" in r.url) as picked:
        counter.locator(f"[data-testid=pick-{line.id}]").click()
    assert picked.value.status == 200
    expect(counter.locator(f"[data-testid=pre-pick-line-{line.id}]")).to_have_class(re.compile("is-picked"))
    assert path_of(counter) == "/parts/pre-pick"  # swapped in place, no reload
    for size in (PORTRAIT, LANDSCAPE):
        counter.set_viewport_size(VIEWPORTS[size])
        top(counter)
        shot(counter, f"parts-pre-pick-{size}")
        assert no_sideways_scroll(counter)
    assert fresh(db).get(PrePickLine, line.id).picked_by_id == storekeeper.id
