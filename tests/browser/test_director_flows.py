"""The director on the shop floor with a tablet: a full round walked area by area, one failed item
with its photo, the Wi-Fi lost in the middle of an area (the answers show as not saved and go
out by themselves when it returns), the round finished into its report; and the corrective action
closed by its owner on their tablet and verified by the director."""
from __future__ import annotations

import io
import re
from datetime import time
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from intranet.core.models import Role
from intranet.director import rounds
from intranet.director.models import (
    ActionStatus, CorrectiveAction, InspectionRound, ItemKind, RoundAnswer, RoundSlot, RoundStatus,
)
from tests.browser.conftest import LANDSCAPE, PORTRAIT, fresh, login, shot, zh


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (150, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def floor(db, store, make_user):
    director = make_user(Role.DIRECTOR, username="zhao", display_name="赵总")
    controller = make_user(Role.CONTROLLER, username="wu", display_name="吴主管")
    front = rounds.save_area(store.id, area_id=None, name="前台办公区", owner_id=director.id)
    shop = rounds.save_area(store.id, area_id=None, name="机修车间", owner_id=controller.id)
    version = rounds.save_template(store.id, template_id=None, name="早巡", actor_id=director.id, items=[
        rounds.ItemDraft(area_id=front.id, text="接待台整洁"),
        rounds.ItemDraft(area_id=front.id, text="6S 印象", kind=ItemKind.SCORE),
        rounds.ItemDraft(area_id=shop.id, text="举升机锁止", weight=3, photo_on_fail=True),
        rounds.ItemDraft(area_id=shop.id, text="地面无油污"),
        rounds.ItemDraft(area_id=shop.id, text="空压机压力", kind=ItemKind.NUMBER, min_value="0.6", max_value="0.8",
                         unit="MPa"),
    ])
    # a window around the whole day, so the browser (on the real clock) always finds it open
    slot = RoundSlot(store_id=store.id, code="morning", name="第一趟巡检", starts_at=time(0, 0),
                     ends_at=time(23, 59), template_id=version.template_id)
    db.session.add(slot)
    db.session.commit()
    items = {item.text: item.id for item in version.items}
    return {"director": director, "controller": controller, "items": items, "shop": shop}


def item(page, item_id: int):
    return page.get_by_test_id(f"item-{item_id}")


def saved(db, text_of_items: dict, text: str):
    return fresh(db).scalar(select(RoundAnswer).where(RoundAnswer.item_id == text_of_items[text]))


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT])
def test_a_full_round_with_a_failed_item_its_photo_and_the_wifi_lost_midway(db, store, floor, new_context, size):
    page = new_context(size).new_page()
    login(page, "zhao")
    page.goto("/director/rounds/")
    page.get_by_test_id("start-morning").tap()
    expect(page.locator("h1")).to_have_text("第一趟巡检")
    items = floor["items"]

    # area 1: a pass and a score
    item(page, items["接待台整洁"]).locator(".rnd-choice.is-pass").tap()
    expect(item(page, items["接待台整洁"])).to_have_class(re.compile(r"\bis-passed\b"))
    item(page, items["6S 印象"]).locator(".rnd-choice", has_text="4").tap()
    expect(item(page, items["6S 印象"])).to_have_class(re.compile(r"\bis-answered\b"))
    expect(page.locator("#rnd-progress")).to_contain_text("2")
    shot(page, f"director-round-area1-{size}")

    # area 2: the lift fails; the photo is asked for, taken, and the finding written down. "Next area"
    # is a link: wait for the new page to load (htmx wires its buttons on load) before tapping on it
    with page.expect_navigation():
        page.get_by_test_id("next-area").tap()
    lift = item(page, items["举升机锁止"])
    lift.locator(".rnd-choice.is-fail").tap()
    expect(lift).to_have_class(re.compile(r"\bis-failed\b"))
    expect(lift.locator(".error")).to_contain_text(zh("A photo is required for this failed item."))
    with page.expect_response(lambda r: r.request.method == "POST" and "/items/" in r.url):
        lift.locator("input[type=file]").set_input_files(
            {"name": "lift.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()})
    expect(lift.locator(".thumbs img")).to_have_count(1)
    lift.locator("textarea[name=note]").fill("3 号举升机未落锁")
    with page.expect_response(lambda r: r.request.method == "POST" and "/items/" in r.url):
        lift.locator("textarea[name=note]").blur()
    expect(lift.locator(".rnd-action")).to_contain_text("吴主管")
    action = fresh(db).scalar(select(CorrectiveAction))
    assert (action.owner_id, action.priority, action.detail) == (floor["controller"].id, "high", "3 号举升机未落锁")

    # the Wi-Fi drops: two answers are given, shown as not saved, and nothing reaches the server
    page.context.set_offline(True)
    item(page, items["地面无油污"]).locator(".rnd-choice.is-pass").tap()
    pressure = item(page, items["空压机压力"])
    pressure.locator("input[name=value]").fill("0.7")
    pressure.locator("input[name=value]").blur()
    expect(page.locator("form.is-unsaved")).to_have_count(2)
    expect(page.locator(".offline-banner")).to_be_visible()
    shot(page, f"director-round-offline-{size}")
    assert saved(db, items, "地面无油污") is None and saved(db, items, "空压机压力") is None

    # …and back: both go out by themselves, once
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/items/{items['空压机压力']}"),
                              timeout=9_000):
        page.context.set_offline(False)
    expect(page.locator("form.is-unsaved")).to_have_count(0)
    expect(item(page, items["地面无油污"])).to_have_class(re.compile(r"\bis-passed\b"))
    assert saved(db, items, "地面无油污").passed is True
    assert saved(db, items, "空压机压力").number == Decimal("0.70")

    page.get_by_test_id("finish-round").tap()
    expect(page.locator("h1")).to_contain_text("第一趟巡检")
    assert "/report" in page.url
    shot(page, f"director-round-report-{size}")
    round_ = fresh(db).scalar(select(InspectionRound))
    assert round_.status == RoundStatus.DONE
    # pass 1×1, score 4 → 0.75, lift 3×0, floor 1×1, pressure 1×1: 3.75 of 7
    assert float(round_.score) == round(100 * 3.75 / 7, 1)
    assert fresh(db).scalar(select(RoundAnswer).where(RoundAnswer.item_id == items["地面无油污"])) is not None


def test_the_owner_closes_the_action_on_a_tablet_and_the_director_verifies_it(db, store, floor, new_context):
    round_ = rounds.start_round(store, fresh(db).scalar(select(RoundSlot.id)), rounds.clock.store_today(store.timezone),
                                actor_id=floor["director"].id, now=rounds.clock.utcnow())
    rounds.answer_item(store.id, round_.id, floor["items"]["地面无油污"], value="fail", actor_id=floor["director"].id,
                       note="2 号工位地面有机油")
    db.session.commit()
    action_id = fresh(db).scalar(select(CorrectiveAction.id))

    owner = new_context(PORTRAIT).new_page()
    login(owner, "wu")
    panel = owner.locator(".act-panel")
    expect(panel).to_contain_text("机修车间：地面无油污")
    panel.get_by_text("机修车间：地面无油污").tap()
    owner.locator("#note").fill("已清理，并提醒班组用接油盘")
    owner.locator("#photos").set_input_files({"name": "clean.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()})
    owner.get_by_test_id("close-action").tap()
    expect(owner.locator(".pill.act-status-done")).to_be_visible()
    shot(owner, "director-action-closed-768x1024")
    assert fresh(db).get(CorrectiveAction, action_id).status == ActionStatus.DONE

    director = new_context(LANDSCAPE).new_page()
    login(director, "zhao")
    director.goto(f"/director/actions/{action_id}")
    expect(director.locator(".thumbs img")).to_have_count(1)  # the after photo
    director.get_by_test_id("verify-action").tap()
    expect(director.locator(".pill.act-status-verified")).to_be_visible()
    shot(director, "director-action-verified-1024x768")
    assert fresh(db).get(CorrectiveAction, action_id).status == ActionStatus.VERIFIED
