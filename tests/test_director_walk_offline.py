"""The round walked through the tablet's queue: each tap carries a one-time key and the time it was
tapped. A re-send of a tap already applied changes nothing (a photo is not added twice, the finish
answers with the report, an old answer does not overwrite a newer one), two copies arriving at once
apply once, and a tap is dated when it was tapped — so a round finished offline inside its window is
on time, and a round started in its window stays that slot's round of that day when it is finished
after midnight. The walk page holds every step, for moving between them without the network."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from intranet import clock
from intranet.core.models import Photo, Role
from intranet.director import rounds
from intranet.director.models import InspectionRound, ItemKind, RoundAnswer, RoundSlot, RoundStatus, RoundTap
from tests.conftest import at_once

pytestmark = pytest.mark.people(director="zhao", controller=(Role.CONTROLLER, "wu", "吴主管"))

DAY = date(2026, 11, 25)  # a Wednesday


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


def millis(moment: datetime) -> str:
    return str(int((moment - datetime(1970, 1, 1)).total_seconds() * 1000))


def jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 40, 40)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


@pytest.fixture
def walk(app, db, store, people, tmp_path):
    """A round with two areas, its window 17:30–18:30 (closing time), started at 17:40."""
    app.config["PHOTO_FOLDER"] = str(tmp_path)
    front = rounds.save_area(store.id, area_id=None, name="前台办公区", owner_id=people["director"].id)
    shop = rounds.save_area(store.id, area_id=None, name="机修车间", owner_id=people["controller"].id)
    version = rounds.save_template(store.id, template_id=None, name="晚巡", actor_id=people["director"].id, items=[
        rounds.ItemDraft(area_id=front.id, text="接待台整洁"),
        rounds.ItemDraft(area_id=shop.id, text="举升机锁止", photo_on_fail=True)])
    slot = RoundSlot(store_id=store.id, code="evening", name="第三趟巡检", starts_at=time(17, 30),
                     ends_at=time(18, 30), template_id=version.template_id)
    db.session.add(slot)
    db.session.commit()
    with clock.frozen(local(17, 40)):
        round_ = rounds.start_round(store, slot.id, DAY, actor_id=people["director"].id, now=local(17, 40))
        db.session.commit()
    return {"round": round_, "items": {i.text: i.id for i in version.items}, "slot": slot, "areas": (front, shop)}


@pytest.fixture
def director(client, people):
    client.fetch_csrf()
    client.post("/login", data={"username": "zhao", "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/")
    return client


def tap(client, url, key, at=None, **data):
    headers = {"HX-Request": "true", "X-Round-Key": key}
    if at is not None:
        headers["X-Round-At"] = millis(at)
    return client.post(url, data=data, headers=headers, content_type="multipart/form-data")


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_photo_sent_twice_with_its_key_is_saved_once(director, db, walk):
    url = f"/director/rounds/{walk['round'].id}/items/{walk['items']['举升机锁止']}"
    with clock.frozen(local(17, 50)):
        first = tap(director, url, "k-photo-0001", value="fail", note="未落锁", photos=(jpeg(), "lift.jpg"))
        again = tap(director, url, "k-photo-0001", value="fail", note="未落锁", photos=(jpeg(), "lift.jpg"))
    assert first.status_code == again.status_code == 200
    assert count(db, Photo) == 1 and count(db, RoundTap) == 1
    assert 'id="item-' in again.get_data(as_text=True)  # the re-send answers with the item as it is


def test_an_old_tap_sent_again_does_not_overwrite_a_newer_answer(director, db, walk):
    item_id = walk["items"]["接待台整洁"]
    url = f"/director/rounds/{walk['round'].id}/items/{item_id}"
    with clock.frozen(local(17, 50)):
        tap(director, url, "k-answer-fail", value="fail")
        tap(director, url, "k-answer-pass", value="pass")
        tap(director, url, "k-answer-fail", value="fail")  # the first answer's copy, arriving late
    db.session.expire_all()
    assert db.session.scalar(select(RoundAnswer.passed).where(RoundAnswer.item_id == item_id)) is True


def test_two_copies_of_a_photo_arriving_at_once_save_one(app, db, walk, people):
    url = f"/director/rounds/{walk['round'].id}/items/{walk['items']['举升机锁止']}"
    clients = []
    for _ in range(2):
        client = app.test_client()
        client.fetch_csrf()
        client.post("/login", data={"username": "zhao", "password": "password123", "csrf_token": client.csrf_token})
        client.fetch_csrf("/")
        clients.append(client)
    with clock.frozen(local(17, 50)):
        results = at_once(*[lambda c=c: tap(c, url, "k-photo-same", value="fail", photos=(jpeg(), "lift.jpg"))
                            for c in clients])
    assert [r.status_code for r in results] == [200, 200]
    assert count(db, Photo) == 1 and count(db, RoundTap) == 1


def test_a_finish_tapped_offline_in_the_window_is_on_time_and_its_resend_opens_the_report(director, db, walk):
    round_id = walk["round"].id
    with clock.frozen(local(18, 20)):
        for text, key in (("接待台整洁", "k-a-000001"), ("举升机锁止", "k-a-000002")):
            tap(director, f"/director/rounds/{round_id}/items/{walk['items'][text]}", key, at=local(18, 10),
                value="pass")
    with clock.frozen(local(18, 45)):  # the Wi-Fi came back after the window had closed
        finished = tap(director, f"/director/rounds/{round_id}/finish", "k-finish-01", at=local(18, 25))
        again = tap(director, f"/director/rounds/{round_id}/finish", "k-finish-01", at=local(18, 25))
    assert finished.status_code == again.status_code == 302
    assert again.headers["Location"].endswith(f"/director/rounds/{round_id}/report")
    db.session.expire_all()
    round_ = db.session.get(InspectionRound, round_id)
    assert round_.status == RoundStatus.DONE and round_.finished_at == local(18, 25) and not round_.missed
    assert set(db.session.scalars(select(RoundAnswer.answered_at))) == {local(18, 10)}


@pytest.mark.parametrize("told", ["", "abc", "99999999999999999999", None])
def test_a_tap_time_that_is_not_believable_is_the_arrival_time(director, db, walk, told):
    url = f"/director/rounds/{walk['round'].id}/items/{walk['items']['接待台整洁']}"
    headers = {"HX-Request": "true", "X-Round-Key": "k-time-00001"}
    if told is not None:
        headers["X-Round-At"] = told
    with clock.frozen(local(18, 0)):
        assert director.post(url, data={"value": "pass"}, headers=headers).status_code == 200
        # in the future, or before the round started: kept inside [start, now]
        tap(director, url, "k-time-00002", at=local(19, 0), value="pass")
    db.session.expire_all()
    assert db.session.scalar(select(RoundAnswer.answered_at)) == local(18, 0)
    with clock.frozen(local(18, 5)):
        tap(director, url, "k-time-00003", at=local(17, 0), value="pass")
    db.session.expire_all()
    assert db.session.scalar(select(RoundAnswer.answered_at)) == local(17, 40)  # the round's start


def test_a_round_started_in_its_window_is_finished_after_midnight_as_that_days_round(director, db, store, walk,
                                                                                   people):
    slot = walk["slot"]
    slot.starts_at, slot.ends_at = time(23, 0), time(23, 59)
    db.session.commit()
    with clock.frozen(local(23, 50)):
        late = rounds.start_round(store, slot.id, DAY + timedelta(days=1), actor_id=people["director"].id,
                                  now=local(23, 50, DAY + timedelta(days=1)))
        db.session.commit()
    night = DAY + timedelta(days=1)
    with clock.frozen(local(23, 58, night)):
        for text in ("接待台整洁", "举升机锁止"):
            tap(director, f"/director/rounds/{late.id}/items/{walk['items'][text]}", f"k-n-{text.encode().hex()[:12]}",
                value="pass")
    after_midnight = local(0, 5, night + timedelta(days=1))
    with clock.frozen(after_midnight):
        page = director.get(f"/director/rounds/{late.id}")
        assert page.status_code == 200
        finished = tap(director, f"/director/rounds/{late.id}/finish", "k-n-finish01", at=local(23, 59, night))
        assert finished.status_code == 302
        schedule = director.get("/director/rounds/").get_data(as_text=True)
    db.session.expire_all()
    round_ = db.session.get(InspectionRound, late.id)
    assert (round_.day, round_.status, round_.missed) == (night, RoundStatus.DONE, False)
    # the new day's round of that slot is a round of its own, not this one
    assert 'data-testid="start-evening"' in schedule


def test_the_walk_page_holds_every_step_and_the_service_worker(director, db, walk):
    round_id = walk["round"].id
    front, shop = walk["areas"]
    with clock.frozen(local(17, 50)):
        page = director.get(f"/director/rounds/{round_id}?area={shop.id}").get_data(as_text=True)
        worker = director.get("/director/rounds/sw.js")
    assert f'data-testid="step-{front.id}" hidden' in page and f'data-testid="step-{shop.id}">' in page
    assert "接待台整洁" in page and "举升机锁止" in page and "js/round.js" in page and "<script>" not in page
    assert worker.status_code == 200 and "javascript" in worker.headers["Content-Type"]
    assert "serviceWorker" not in worker.get_data(as_text=True) and "caches" in worker.get_data(as_text=True)
