"""A complaint on a tablet, through every step to closed: registered at the counter (customer found
by plate), judged justified, investigated, two solutions proposed, one approved by the manager on
his own tablet, carried out, signed by the customer with a finger on the pad, called back, closed.
At both tablet sizes, with screenshots.

`walk_to_closed(page, base_url, complaint_id, *, login=None, shots=None)` drives the pages from the
complaint's page to closed; other flows (delivery → dissatisfied follow-up call → complaint) reuse it."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from intranet.care.models import Complaint, ComplaintStatus
from intranet.care.settings import settings_for
from intranet.core import services
from intranet.core.models import Role
from tests.browser.conftest import LANDSCAPE, PORTRAIT, fresh, login, shot


def _submit(page: Page, test_id: str) -> None:
    with page.expect_navigation():
        page.get_by_test_id(test_id).click()
    expect(page.get_by_test_id("step-error")).to_have_count(0)


def sign_with_a_finger(page: Page) -> None:
    """Draw a signature on the pad (pointer events, as a finger on the tablet sends them)."""
    pad = page.get_by_test_id("signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + i * box["width"] * 0.06, y - (20 if i % 2 else -10), steps=3)
    page.mouse.up()


def walk_to_closed(page: Page, base_url: str, complaint_id: int, *,
                   login: Callable[[Page, str], None] | None = None, shots: str | None = None) -> None:
    """From the complaint's page (status "registered") to closed, step by step through the forms.

    `login(page, who)` is called with who="care" before the care steps and who="manager" before the
    approval, to sign the page in as such a person; without it the page must already be signed in as
    someone who may take every step (a manager or the director). `shots`: a file-name prefix for a
    screenshot after each step (none when None)."""
    url = f"{base_url.rstrip('/')}/care/complaints/{complaint_id}"

    def as_(who: str) -> None:
        if login is not None:
            login(page, who)
        page.goto(url)

    def snap(name: str) -> None:
        if shots:
            shot(page, f"{shots}-{name}")

    as_("care")
    expect(page.get_by_test_id("status")).to_be_visible()
    snap("1-registered")
    page.get_by_test_id("justified-yes").check()
    _submit(page, "save-judge")

    page.locator("#cause").fill("技师保养后未按规定力矩拧紧机油滤清器")
    page.get_by_test_id("department-workshop").check()
    snap("2-investigate")
    _submit(page, "save-investigate")

    page.locator("#text").fill("免费返修")
    page.locator("#cost").fill("380")
    _submit(page, "add-solution")
    page.locator("#text").fill("赠送保养券一张")
    page.locator("#cost").fill("200")
    _submit(page, "add-solution")
    expect(page.get_by_test_id("solutions").locator("li")).to_have_count(2)
    snap("3-solutions")
    _submit(page, "submit-approval")

    as_("manager")
    page.get_by_test_id("choose-solution").first.check()
    snap("4-approve")
    _submit(page, "approve")

    as_("care")
    page.locator("#note").fill("已免费返修并试车，发动机无异响")
    page.locator("#penalty_note").fill("按制度扣责任技师绩效100元")
    _submit(page, "save-carry-out")

    page.get_by_test_id("kind-signature").check()
    sign_with_a_finger(page)
    snap("5-confirm")
    _submit(page, "save-confirm")
    expect(page.get_by_test_id("signature-image")).to_be_visible()

    page.locator("#call_note").fill("客户表示满意，感谢及时处理")
    page.get_by_test_id("satisfied-yes").check()
    page.locator("#improvement").fill("保养后增加终检试车环节")
    snap("6-call-back")
    _submit(page, "save-call-back")
    expect(page.get_by_test_id("closed")).to_be_visible()
    snap("7-closed")


# ------------------------------------------------------------------ the test

@pytest.fixture
def people(db, store, make_user):
    settings_for(store.id)
    db.session.commit()
    return {"director": make_user(Role.DIRECTOR, username="zhao", display_name="赵总"),
            "manager": make_user(Role.MANAGER, username="qian", display_name="钱经理"),
            "care": make_user(Role.CARE, username="zhu", display_name="朱晓燕"),
            "advisor": make_user(Role.ADVISOR, username="sun", display_name="孙丽华")}


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT])
def test_a_complaint_walks_every_step_to_closed_on_a_tablet(db, store, people, make_vehicle, new_context,
                                                          live_server, size):
    car = make_vehicle(plate="沪A8K316")
    ro = services.open_repair_order(store_id=store.id, vehicle_id=car.id, actor_id=people["advisor"].id)
    db.session.commit()
    tag = f"care-complaint-{size}"
    page = new_context(size).new_page()
    signed_in = {"who": None}

    def sign_in(page: Page, who: str) -> None:
        if signed_in["who"] != who:
            page.context.clear_cookies()
            login(page, {"care": "zhu", "manager": "qian"}[who])
            signed_in["who"] = who

    # registered at the counter: the customer found by the plate, the visit chosen
    sign_in(page, "care")
    page.goto("/care/complaints/new")
    page.get_by_test_id("customer-search").fill("8K316")
    with page.expect_navigation():
        page.get_by_test_id("customer-search").press("Enter")
    with page.expect_navigation():
        page.get_by_test_id("choose-vehicle").first.click()
    page.locator("#repair_order_id").select_option(str(ro.id))
    page.get_by_test_id("channel-walk_in").check()
    page.get_by_test_id("category-quality").check()
    page.get_by_test_id("description").fill("保养后发动机异响，怠速时尤其明显")
    shot(page, f"{tag}-0-register")
    with page.expect_navigation():
        page.get_by_test_id("register").click()
    complaint = fresh(db).scalar(select(Complaint))
    assert complaint.repair_order_id == ro.id and complaint.advisor_id == people["advisor"].id

    walk_to_closed(page, live_server, complaint.id, login=sign_in, shots=tag)

    done = fresh(db).get(Complaint, complaint.id)
    assert done.status == ComplaintStatus.CLOSED and done.signature_photo_id and done.confirmed_name
    assert done.approved_by_id == people["manager"].id and done.customer_satisfied

    page.goto("/care/complaints/stats")
    expect(page.get_by_test_id("analysis")).to_be_visible()
    shot(page, f"{tag}-8-stats")
    page.goto("/care/complaints/?status=all")
    expect(page.get_by_test_id("complaint-row")).to_have_count(1)
    shot(page, f"{tag}-9-list")
