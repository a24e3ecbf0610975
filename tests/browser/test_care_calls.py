"""Customer care end to end, on a tablet with the clock frozen: the advisor hands a car back; the
follow-up call is not in the agent's queue that day, appears the next morning at the customer's
preferred time; the customer is unhappy, the complaint it opens is walked through every step to
closed; and the unhappy customer is called again the day after."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intranet import clock
from intranet.care.models import CallKind, Complaint, ComplaintStatus, FollowUpCall
from intranet.core.models import ContactTime, Role, ROStatus
from intranet.core.services import transition_repair_order
from intranet.reception import services
from tests.browser.conftest import LANDSCAPE, PORTRAIT, VIEWPORTS, fresh, login, path_of, shot

pytestmark = pytest.mark.browser

DELIVERY_DAY = date(2026, 11, 20)
NEXT_DAY = date(2026, 11, 21)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


def both_sizes(page, name: str) -> None:
    before = page.viewport_size
    for size in (LANDSCAPE, PORTRAIT):
        page.set_viewport_size(VIEWPORTS[size])
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, f"care-{name}-{size}")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), \
            f"{name} scrolls sideways at {size}"
    page.set_viewport_size(before)


def submit(page, button):
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def test_delivery_brings_a_follow_up_call_and_an_unhappy_answer_a_closed_complaint(
        db, store, new_context, live_server, make_user, make_customer, make_vehicle):
    advisor = make_user(Role.ADVISOR, username="sunlh", display_name="孙丽华")
    make_user(Role.CARE, username="zhuxy", display_name="朱晓燕")
    make_user(Role.DIRECTOR, username="zhaozq", display_name="赵志强")
    make_user(Role.MANAGER, username="qianyk", display_name="钱永康")
    customer = make_customer(name="刘洋", preferred_contact_time=ContactTime.MORNING)
    vehicle = make_vehicle(customer=customer, plate="沪A66886", model="迈腾 330TSI 豪华型")
    with clock.frozen(local(DELIVERY_DAY, 8, 30)):
        ro = services.check_in(store_id=store.id, vehicle_id=vehicle.id, actor_id=advisor.id)
        services.add_line(ro.id, kind="labour", description="1万公里保养", quantity="1", store_id=store.id,
                          actor_id=advisor.id)
        for status in (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY):
            transition_repair_order(ro.id, status, actor_id=advisor.id)
        db.session.commit()
    ro_id = ro.id

    # -- the advisor takes the payment and hands the car back at 10:00
    with clock.frozen(local(DELIVERY_DAY, 10)):
        desk = new_context(LANDSCAPE).new_page()
        login(desk, "sunlh")
        desk.goto(f"/reception/ro/{ro_id}/settle")
        desk.locator("#method").select_option("wechat")
        submit(desk, desk.locator('form[action$="/payments"] button[type=submit]'))
        desk.locator("#work_explained").check()
        desk.locator("#old_parts").select_option("shown")
        desk.locator("#car_clean").check()
        desk.locator("#keys_returned").check()
        submit(desk, desk.locator('form[action$="/deliver"] button[type=submit]'))
    call = fresh(db).scalar(select(FollowUpCall).where(FollowUpCall.repair_order_id == ro_id))
    assert call.kind == CallKind.FIRST and call.due_from == NEXT_DAY
    call_id = call.id

    # -- the care agent's queue: not on the delivery day, there the next morning
    tablet = new_context(LANDSCAPE).new_page()
    with clock.frozen(local(DELIVERY_DAY, 16)):
        login(tablet, "zhuxy")
        tablet.goto("/care/calls/")
        expect(tablet.locator(f"[data-testid=call-{call_id}]")).to_have_count(0)
    with clock.frozen(local(NEXT_DAY, 7, 30)):  # too early for a morning customer: listed, not to call yet
        tablet.goto("/care/calls/")
        expect(tablet.locator(f"[data-testid=call-{call_id}] .pill.warn")).to_contain_text("09:00")
    with clock.frozen(local(NEXT_DAY, 9, 40)):
        tablet.goto("/")
        expect(tablet.locator("[data-testid=panel-calls]")).to_contain_text("刘洋")
        tablet.goto("/care/calls/")
        row = tablet.locator(f"[data-testid=call-{call_id}]")
        expect(row.locator(".pill.ok")).to_be_visible()
        both_sizes(tablet, "call-queue")
        submit(tablet, row.locator("a.row-link"))
        expect(tablet.locator("[data-testid=script]")).to_contain_text("刘洋")
        expect(tablet.locator("[data-testid=script]")).to_contain_text("1万公里保养")
        expect(tablet.locator("[data-testid=outside-time]")).to_have_count(0)
        # an unhappy answer without saying why is refused, and the choices stay
        tablet.locator("[data-testid=sat-dissatisfied]").check()
        tablet.locator("[data-testid=topic-quality-dissatisfied]").check()
        refused = submit(tablet, tablet.locator("[data-testid=save-reached]"))
        assert refused.status == 422
        expect(tablet.locator("[data-testid=sat-dissatisfied]")).to_be_checked()
        expect(tablet.locator("[data-testid=topic-quality-dissatisfied]")).to_be_checked()
        tablet.locator("#comments").fill("保养后怠速时发动机有异响")
        both_sizes(tablet, "call-dissatisfied")
        submit(tablet, tablet.locator("[data-testid=save-reached]"))
        assert path_of(tablet).startswith("/care/complaints/")

    complaint = fresh(db).scalar(select(Complaint))
    assert complaint.channel == "follow_up" and complaint.repair_order_id == ro_id
    assert complaint.status == ComplaintStatus.REGISTERED
    recall = db.session.scalar(select(FollowUpCall).where(FollowUpCall.kind == CallKind.RECALL))
    assert recall.due_from == date(2026, 11, 22) and recall.complaint_id == complaint.id
    complaint_id = complaint.id

    # -- the complaint, every step to closed (the complaints test's walk)
    from tests.browser.test_care_complaints import walk_to_closed

    def sign_in(page, who):
        page.context.clear_cookies()
        login(page, {"care": "zhuxy", "manager": "qianyk"}[who])

    with clock.frozen(local(NEXT_DAY, 11)):
        walk_to_closed(tablet, live_server, complaint_id, login=sign_in, shots="care-e2e-complaint")
    assert fresh(db).get(Complaint, complaint_id).status == ComplaintStatus.CLOSED
