"""The director on the shop floor with a tablet: a full round walked area by area, one failed item
with its photo, the Wi-Fi lost in the middle of an area (the answers show as kept on the tablet and
go out by themselves when it returns), the round finished into its report; a whole round walked
offline — answers, a photo, moving between areas, a reload, the finish — and sent once when the
network returns; and the corrective action closed by its owner on their tablet and verified by the
director.

The clock is frozen on a Wednesday morning inside the round's window (the live server shares this
process's clock), so a walk never straddles midnight or the window's end, whatever hour CI runs at."""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Photo, Role
from intranet.director import rounds
from intranet.director.models import (
    ActionStatus, CorrectiveAction, InspectionRound, ItemKind, RoundAnswer, RoundSlot, RoundStatus, RoundTap,
)
from tests.browser.conftest import LANDSCAPE, PORTRAIT, fresh, login, shot, zh


DAY = date(2026, 11, 25)  # a Wednesday
MORNING = clock.store_local_to_utc(datetime.combine(DAY, time(9, 30)), "Asia/Shanghai")


@pytest.fixture(autouse=True)
def morning():
    """09:30 in the store, inside the 08:00–11:00 window, for the data and for the live server."""
    with clock.frozen(MORNING):
        yield


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
    slot = RoundSlot(store_id=store.id, code="morning", name="第一趟巡检", starts_at=time(8, 0),
                     ends_at=time(11, 0), template_id=version.template_id)
    db.session.add(slot)
    db.session.commit()
    items = {item.text: item.id for item in version.items}
    return {"director": director, "controller": controller, "items": items, "shop": shop}


def until(page, script: str, seconds: float = 10) -> None:
    """Wait until `script` (a function, run like page.evaluate: the page's CSP allows no eval, which
    wait_for_function needs) answers true."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {script}")


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

    # area 2 (every area is on the page: moving needs no network): the lift fails; the photo is asked
    # for, taken, and the finding written down
    page.get_by_test_id("next-area").tap()
    expect(page.get_by_test_id(f"step-{floor['shop'].id}")).to_be_visible()
    lift = item(page, items["举升机锁止"])
    lift.locator(".rnd-choice.is-fail").tap()
    expect(lift).to_have_class(re.compile(r"\bis-failed\b"))
    expect(lift.locator(".rnd-photo-needed")).to_contain_text(zh("A photo is required for this failed item."))
    # the item shows each tap at once; its form is marked until the server's answer has replaced it
    expect(lift.locator("form.is-unsaved")).to_have_count(0)
    lift.locator("input[type=file]").set_input_files({"name": "lift.jpg", "mimeType": "image/jpeg",
                                                      "buffer": jpeg_bytes()})
    expect(lift.locator(".thumbs img")).to_have_count(1)
    expect(lift.locator("form.is-unsaved")).to_have_count(0)
    lift.locator("textarea[name=note]").fill("3 号举升机未落锁")
    lift.locator("textarea[name=note]").blur()
    expect(lift.locator("form.is-unsaved")).to_have_count(0)
    expect(lift.locator(".rnd-action")).to_contain_text("吴主管")
    expect(lift.locator(".thumbs img:not([data-local])")).to_have_count(1)  # the server's copy of the photo
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
    page.wait_for_url("**/report")
    expect(page.locator("h1")).to_contain_text("第一趟巡检")
    shot(page, f"director-round-report-{size}")
    round_ = fresh(db).scalar(select(InspectionRound))
    assert round_.status == RoundStatus.DONE
    # pass 1×1, score 4 → 0.75, lift 3×0, floor 1×1, pressure 1×1: 3.75 of 7
    assert float(round_.score) == round(100 * 3.75 / 7, 1)
    assert fresh(db).scalar(select(RoundAnswer).where(RoundAnswer.item_id == items["地面无油污"])) is not None


def test_a_whole_round_walked_offline_with_a_reload_is_sent_once_when_the_network_returns(db, store, floor,
                                                                                            new_context):
    """The Wi-Fi is gone for the whole walk: answers, a photo and its note, moving between areas, a
    reload of the page and the finish are kept on the tablet; back online, each answer is stored once,
    the photo once, and the round is finished, dated when it was tapped."""
    page = new_context(LANDSCAPE).new_page()
    page.clock.set_fixed_time(MORNING.replace(tzinfo=UTC) + timedelta(minutes=10))  # the tablet's own clock
    login(page, "zhao")
    page.goto("/director/rounds/")
    page.get_by_test_id("start-morning").tap()
    expect(page.locator("h1")).to_have_text("第一趟巡检")
    # the tablet keeps a copy of the walk for a reload without the network
    until(page, "() => navigator.serviceWorker.controller !== null")
    until(page, "() => caches.open('intranet-rounds').then(c => c.match(location.pathname)).then(r => !!r)")
    items = floor["items"]

    page.context.set_offline(True)
    item(page, items["接待台整洁"]).locator(".rnd-choice.is-pass").tap()
    item(page, items["6S 印象"]).locator(".rnd-choice", has_text="4").tap()
    expect(page.locator("#rnd-progress")).to_contain_text(zh("%(n)d of %(total)d answered", n=2, total=5))
    page.get_by_test_id("next-area").tap()  # no network, no error page: the area is on the page
    lift = item(page, items["举升机锁止"])
    lift.locator(".rnd-choice.is-fail").tap()
    expect(lift.locator(".rnd-photo-needed")).to_be_visible()
    lift.locator("input[type=file]").set_input_files({"name": "lift.jpg", "mimeType": "image/jpeg",
                                                      "buffer": jpeg_bytes()})
    expect(lift.locator(".thumbs img")).to_have_count(1)
    expect(lift.locator(".rnd-photo-needed")).to_be_hidden()
    lift.locator("textarea[name=note]").fill("3 号举升机未落锁")
    lift.locator("textarea[name=note]").blur()
    expect(page.get_by_test_id("round-queue")).to_be_visible()
    expect(page.locator(".offline-banner")).to_be_visible()
    assert fresh(db).scalar(select(func.count()).select_from(RoundAnswer)) == 0

    # the page is reloaded with no network: the walk opens from the tablet's copy, the taps still there
    page.reload()
    expect(page.locator("h1")).to_have_text("第一趟巡检")
    lift = item(page, items["举升机锁止"])
    expect(lift).to_have_class(re.compile(r"\bis-failed\b"))
    expect(lift.locator(".thumbs img")).to_have_count(1)
    expect(lift.locator("textarea[name=note]")).to_have_value("3 号举升机未落锁")
    expect(page.locator("#rnd-progress")).to_contain_text(zh("%(n)d of %(total)d answered", n=3, total=5))
    item(page, items["地面无油污"]).locator(".rnd-choice.is-pass").tap()
    pressure = item(page, items["空压机压力"])
    pressure.locator("input[name=value]").fill("0.9")  # out of its range: a finding
    pressure.locator("input[name=value]").blur()
    expect(pressure).to_have_class(re.compile(r"\bis-failed\b"))
    shot(page, "director-round-walked-offline-1024x768")
    # moving back to the first area works offline too, and its answers are there
    page.locator(".rnd-step").first.tap()
    expect(item(page, items["接待台整洁"])).to_have_class(re.compile(r"\bis-passed\b"))
    page.locator(".rnd-step").last.tap()
    page.get_by_test_id("finish-round").tap()
    expect(page.get_by_test_id("round-queue")).to_contain_text(
        zh("Round finished on this tablet: it is sent with its answers as soon as the network is back."))
    assert fresh(db).scalar(select(InspectionRound.status)) == RoundStatus.IN_PROGRESS

    with clock.frozen(MORNING + timedelta(minutes=40)):  # the Wi-Fi returns later
        page.context.set_offline(False)
        page.wait_for_url("**/report", timeout=15_000)
    expect(page.locator("h1")).to_contain_text("第一趟巡检")
    session = fresh(db)
    answers = {a.item_id: a for a in session.scalars(select(RoundAnswer))}
    assert len(answers) == 5
    assert answers[items["举升机锁止"]].passed is False and answers[items["举升机锁止"]].note == "3 号举升机未落锁"
    assert answers[items["6S 印象"]].score == 4 and answers[items["空压机压力"]].number == Decimal("0.90")
    assert session.scalar(select(func.count()).select_from(Photo)) == 1
    assert session.scalar(select(func.count()).select_from(CorrectiveAction)) == 2
    round_ = session.scalar(select(InspectionRound))
    assert round_.status == RoundStatus.DONE and not round_.missed
    assert round_.finished_at == MORNING + timedelta(minutes=10)  # when it was tapped, not when it arrived
    # every tap went out once: a second tab (or a re-send) has nothing left to send
    taps = session.scalar(select(func.count()).select_from(RoundTap))
    again = new_context(LANDSCAPE).new_page()
    login(again, "zhao")
    again.goto("/director/rounds/")
    again.wait_for_timeout(500)
    assert fresh(db).scalar(select(func.count()).select_from(RoundTap)) == taps
    assert page.evaluate("""() => new Promise(done => {
        const open = indexedDB.open("intranet-rounds");
        open.onsuccess = () => { const all = open.result.transaction("taps").objectStore("taps").getAll();
                                 all.onsuccess = () => done(all.result.filter(t => !t.sent).length); };
    })""") == 0


def test_the_closing_rounds_keys_and_equipment_cards_are_kept_offline_and_sent_once(db, store, floor, new_context):
    """The closing round's own steps work without the network too: an overnight car's key confirmed
    with its parking spot and a maintenance card checked are kept on the tablet with the finish, and
    applied once when the Wi-Fi returns; the report then lists the car and the card."""
    from intranet.director.models import Equipment, EquipmentSpotCheck
    from intranet.keys import services as keys
    from intranet.keys.models import OvernightCar
    from tests import factories

    evening = clock.store_local_to_utc(datetime.combine(DAY, time(18, 0)), "Asia/Shanghai")
    slot = fresh(db).scalar(select(RoundSlot))
    closing = RoundSlot(store_id=store.id, code="closing", name="收车巡检", starts_at=time(17, 30), ends_at=time(18, 30),
                        template_id=slot.template_id, closing=True)
    lift = Equipment(store_id=store.id, name="举升机1号", kind="lift", location="机修车间")
    db.session.add_all([closing, lift])
    db.session.commit()
    with clock.frozen(evening):
        keys.add_tags(store.id, "012")
        ro = factories.checked_in(store, floor["director"], plate="沪A10001", commit=False)
        keys.attach_tag(store.id, ro.id, "012", actor_id=floor["director"].id)
        db.session.commit()
        page = new_context(LANDSCAPE).new_page()
        page.clock.set_fixed_time(evening.replace(tzinfo=UTC) + timedelta(minutes=5))
        login(page, "zhao")
        page.goto("/director/rounds/")
        page.get_by_test_id("start-closing").tap()
        expect(page.locator("h1")).to_have_text("收车巡检")
        # every step is on one page: no id may serve two of them (an answer is swapped in by its id)
        assert page.evaluate("""() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
                                       return ids.filter((id, i) => ids.indexOf(id) !== i); }""") == []
        page.context.set_offline(True)
        for step in page.locator(".rnd-pane").all():
            if step.get_attribute("data-step") in ("keys", "equipment"):
                continue
            page.locator(f".rnd-step[data-step='{step.get_attribute('data-step')}']").tap()
            for choice in step.locator(".rnd-item").all():
                kind = choice.get_attribute("data-kind")
                if kind == "pass_fail":
                    choice.locator(".rnd-choice.is-pass").tap()
                elif kind == "score":
                    choice.locator(".rnd-choice", has_text="5").tap()
                else:
                    choice.locator("input[name=value]").fill("0.7")
                    choice.locator("input[name=value]").blur()
        page.locator(".rnd-step[data-step='keys']").tap()
        row = page.get_by_test_id(f"ovn-{ro.id}")
        row.locator("input[name=parking_spot]").fill("P-07")
        row.locator("button[type=submit]").tap()
        expect(page.locator(f"#ovn-{ro.id}.is-unsaved")).to_have_count(1)
        page.get_by_test_id("next-area").tap()
        page.get_by_test_id(f"spot-{lift.id}").locator("button.ofc-ok").tap()
        expect(page.locator(f"#spotcheck-{lift.id} form.is-unsaved")).to_have_count(1)
        expect(page.locator(f"#spotcheck-{lift.id} button.ofc-ok.is-on")).to_have_count(1)
        page.get_by_test_id("finish-round").tap()
        expect(page.get_by_test_id("round-queue")).to_be_visible()
        shot(page, "director-closing-round-offline-1024x768")
        assert fresh(db).scalar(select(func.count()).select_from(EquipmentSpotCheck)) == 0
    with clock.frozen(evening + timedelta(minutes=20)):
        page.context.set_offline(False)
        page.wait_for_url("**/report", timeout=15_000)
        expect(page.get_by_test_id("report-overnight")).to_contain_text("P-07")
        expect(page.get_by_test_id("report-spot-checks")).to_contain_text("举升机1号")
        shot(page, "director-closing-round-report-1024x768")
    session = fresh(db)
    record = session.scalar(select(OvernightCar))
    assert (record.parking_spot, record.confirmed_by_id) == ("P-07", floor["director"].id)
    assert [c.card_ok for c in session.scalars(select(EquipmentSpotCheck))] == [True]
    round_ = session.scalar(select(InspectionRound).where(InspectionRound.slot_id == closing.id))
    assert round_.status == RoundStatus.DONE and not round_.missed
    assert session.scalar(select(func.count()).select_from(RoundAnswer)) == 5


def test_the_owner_closes_the_action_on_a_tablet_and_the_director_verifies_it(db, store, floor, new_context):
    round_ = rounds.start_round(store, fresh(db).scalar(select(RoundSlot.id)), DAY, actor_id=floor["director"].id,
                                now=MORNING)
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
