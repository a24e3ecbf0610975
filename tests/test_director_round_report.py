"""The round's report, page and PDF: the closing round shows the night's overnight cars (key tag,
parking spot, who confirmed) and the equipment cards spot-checked on that round; every report shows
the photos of its findings (the PDF draws them as thumbnails)."""
from __future__ import annotations

import io
from datetime import date, datetime, time

import pytest
from PIL import Image
from sqlalchemy import select

from intranet import clock
from intranet.core.models import Role
from intranet.director import equipment, rounds
from intranet.director.models import Equipment, ItemKind, RoundSlot
from intranet.keys import services as keys
from intranet.reception import services as reception
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.people(director="zhao", controller=(Role.CONTROLLER, "wu", "吴主管"), advisor="sun")

DAY = date(2026, 11, 24)  # a Tuesday


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), "Asia/Shanghai")


def jpeg(name="lift.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (180, 30, 30)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.filename = name
    return buffer


@pytest.fixture
def closing(app, db, store, people, make_vehicle, tmp_path):
    """The closing round of DAY walked at 18:00: the lift failed with its photo, one car stays the
    night with its key collected at P-07, one card checked up to date and one not."""
    app.config["PHOTO_FOLDER"] = str(tmp_path)
    director = people["director"].id
    shop = rounds.save_area(store.id, area_id=None, name="机修车间", owner_id=people["controller"].id)
    version = rounds.save_template(store.id, template_id=None, name="收班巡检", actor_id=director, items=[
        rounds.ItemDraft(area_id=shop.id, text="举升机落锁", kind=ItemKind.PASS_FAIL, photo_on_fail=True)])
    slot = RoundSlot(store_id=store.id, code="closing", name="收班巡检", starts_at=time(17, 30), ends_at=time(18, 30),
                     template_id=version.template_id, closing=True)
    lifts = [Equipment(store_id=store.id, name=name, kind="lift", location="1 号工位") for name in ("举升机1号", "举升机2号")]
    db.session.add_all([slot, *lifts])
    db.session.commit()
    with clock.frozen(local(9)):
        keys.add_tags(store.id, "012")
        ro = reception.check_in(store_id=store.id, vehicle_id=make_vehicle(plate="沪A10001").id,
                                actor_id=people["advisor"].id)
        reception.update_repair_order(ro.id, store_id=store.id, actor_id=people["advisor"].id,
                                      expected_version=ro.version, key_tag="012")
        db.session.commit()
    with clock.frozen(local(18)):
        round_ = rounds.start_round(store, slot.id, DAY, actor_id=director, now=local(18))
        rounds.answer_item(store.id, round_.id, version.items[0].id, value="fail", actor_id=director,
                           note="2 号举升机未落锁", photos=[jpeg()], folder=str(tmp_path))
        keys.confirm_overnight(store, DAY, ro.id, parking_spot="P-07", actor_id=director)
        equipment.record_spot_check(store.id, round_.id, lifts[0].id, card_ok=True, note=None, actor_id=director)
        equipment.record_spot_check(store.id, round_.id, lifts[1].id, card_ok=False, note="上月未签字",
                                    actor_id=director)
        db.session.commit()
    return {"round": round_, "ro": ro}


@pytest.fixture
def director_client(client, people):
    client.fetch_csrf()
    client.post("/login", data={"username": "zhao", "password": "password123", "csrf_token": client.csrf_token})
    client.fetch_csrf("/")
    return client


def test_the_closing_report_page_lists_the_overnight_cars_and_the_cards_checked(director_client, closing):
    with clock.frozen(local(18, 20)):
        page = director_client.get(f"/director/rounds/{closing['round'].id}/report").get_data(as_text=True)
    overnight = page[page.index('data-testid="report-overnight"'):page.index('data-testid="report-spot-checks"')]
    assert "沪A10001" in overnight and "P-07" in overnight and "012" in overnight and closing["ro"].number in overnight
    cards = page[page.index('data-testid="report-spot-checks"'):]
    assert "举升机1号" in cards and "举升机2号" in cards and "上月未签字" in cards
    assert "onclick" not in page  # the print button is wired by app.js (the page runs under a CSP)
    # the next morning the night's list is what the key collection recorded, confirmation included
    with clock.frozen(local(8, day=date(2026, 11, 25))):
        later = director_client.get(f"/director/rounds/{closing['round'].id}/report").get_data(as_text=True)
    assert "沪A10001" in later and "P-07" in later


def test_the_round_pdf_draws_the_findings_photos_and_the_closing_steps(director_client, closing):
    with clock.frozen(local(18, 20)):
        response = director_client.get(f"/director/rounds/{closing['round'].id}/report.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    pdf = response.get_data()
    assert pdf.count(b"/Subtype /Image") == 1  # the lift's photo
    text = pdf_text(pdf)
    for words in ("沪A10001", "P-07", "012", "举升机2号", "上月未签字", "2 号举升机未落锁"):
        assert words in text, words


def test_a_photo_gone_from_the_disk_leaves_the_pdf_whole(director_client, closing, tmp_path, db):
    for path in tmp_path.rglob("*.jpg"):
        path.unlink()
    with clock.frozen(local(18, 20)):
        response = director_client.get(f"/director/rounds/{closing['round'].id}/report.pdf")
    assert response.status_code == 200 and b"/Subtype /Image" not in response.get_data()


def test_a_round_that_is_not_the_closing_one_has_no_closing_part(app, db, store, closing):
    from intranet.director.round_report import closing_part

    slot = db.session.scalar(select(RoundSlot))
    slot.closing = False
    db.session.commit()
    assert closing_part(store, closing["round"]) is None
