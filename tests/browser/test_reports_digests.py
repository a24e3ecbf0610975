"""A digest as the general manager sees it: the weekly pack opened in the intranet's "sent digests"
at both tablet sizes, and the email itself (its HTML with the charts inlined, as a mail client
shows it) rendered by Chromium for a screenshot of each kind."""
from __future__ import annotations

import base64
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from intranet import clock
from intranet.core.models import RepairOrder, RepairOrderLine, Role, ROStatus
from intranet.reports import digests
from intranet.reports.models import DigestKind
from tests.browser.conftest import SCREENSHOTS, login, shot

TZ = "Asia/Shanghai"
MONDAY = date(2025, 12, 1)
NOW = clock.store_local_to_utc(datetime.combine(MONDAY, time(7, 30)), TZ)


def _history(db, store, make_user, make_vehicle):
    """Two months of repair orders, a few a day, for charts with a shape."""
    rng = random.Random(8)
    advisors = [make_user(Role.ADVISOR, username=u, display_name=n)
                for u, n in (("wangf", "王芳"), ("liming", "李明"), ("zhout", "周婷"))]
    cars = [make_vehicle(plate=f"沪A{n:05d}") for n in range(1, 25)]
    day, number = date(2025, 10, 1), 0
    while day < MONDAY:
        for _n in range(rng.randint(2, 6)):
            number += 1
            car = rng.choice(cars)
            opened = clock.store_local_to_utc(datetime.combine(day, time(8 + rng.randint(0, 6), 0)), TZ)
            delivered = opened + timedelta(hours=rng.randint(2, 30))
            ro = RepairOrder(store_id=store.id, number=f"TS01-W{number:05d}", vehicle_id=car.id,
                             customer_id=car.customer_id, advisor_id=rng.choice(advisors).id,
                             status=ROStatus.DELIVERED, opened_at=opened, promised_at=opened + timedelta(hours=26),
                             delivered_at=delivered)
            team = rng.choice(["mechanical", "mechanical", "body", "paint"])
            ro.lines = [RepairOrderLine(kind="labour", description="工时", quantity=Decimal(rng.randint(1, 6)),
                                        unit_price=Decimal(150), team=team,
                                        pay_type="insurance" if team != "mechanical" and rng.random() < .5
                                        else "customer"),
                        RepairOrderLine(kind="part", description="配件", quantity=Decimal(1),
                                        unit_price=Decimal(rng.randint(80, 900)), pay_type="customer")]
            db.session.add(ro)
        day += timedelta(days=1)
    db.session.commit()


def test_a_digest_in_the_intranet_and_as_an_email(page, size, db, store, make_user, make_vehicle):
    _history(db, store, make_user, make_vehicle)
    gm = make_user(Role.DIRECTOR, username="gm", display_name="钱永康")
    with clock.frozen(NOW):
        built = {kind: digests.build_digest(store.id, kind, digests.due_period_start(kind, MONDAY))
                 for kind in DigestKind}
    db.session.commit()

    login(page, gm.username)
    page.goto("/reports/digests/")
    expect(page.get_by_test_id(f"digest-{built[DigestKind.WEEKLY].id}")).to_be_visible()
    shot(page, f"reports-digests-list-{size}")
    page.get_by_test_id(f"digest-{built[DigestKind.WEEKLY].id}").locator("a").click()
    frame = page.frame_locator("[data-testid=digest-email]")
    expect(frame.locator("img").first).to_be_visible()
    page.wait_for_function("document.querySelector('[data-testid=digest-email]').offsetHeight > 1000")
    page.wait_for_function("[...document.querySelector('[data-testid=digest-email]').contentDocument.images]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    shot(page, f"reports-digest-weekly-{size}")

    if size == "1024x768":  # the email itself, once per kind: as a mail client shows it (660 px wide)
        mail_page = page.context.new_page()
        mail_page.set_viewport_size({"width": 700, "height": 900})
        for kind, digest in built.items():
            html = digest.html
            for image in digest.images:
                html = html.replace(f"cid:{image.cid}",
                                    "data:image/png;base64," + base64.b64encode(image.png).decode())
            mail_page.set_content(html)
            mail_page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            mail_page.screenshot(path=str(SCREENSHOTS / f"reports-digest-email-{kind}.png"), full_page=True)
        mail_page.close()
