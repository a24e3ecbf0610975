"""Every link a page shows opens for the person it is shown to (issue 16, item 10; issue 17, item 17):
on the demo store (a few days of history, so every area has something to show), each role signs in,
walks from its home and menu through every same-origin link the pages offer, breadth first, and no
link answers 403 or 500. Also the readers of the repair order: management reads any, the accident
desk the insurance ones with their claim data, the warranty clerk the warranty ones — without the
advisor's forms."""
from __future__ import annotations

import traceback
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from intranet import clock
from intranet.core.models import RO_ON_SITE, InsurerPayment, PayType, RepairOrder, Role, User
from tests import factories
from tests.conftest import new_client
from tests.crawl import crawl, english_words

TZ = "Asia/Shanghai"
MONDAY_MORNING = clock.store_local_to_utc(datetime(2026, 12, 7, 10, 30), TZ)
# one demo account per role (a person holding one role only, so the walk is that role's)
WALKERS = {Role.DIRECTOR: "director", Role.MANAGER: "manager", Role.ADVISOR: "advisor",
           Role.CONTROLLER: "controller", Role.TECHNICIAN: "tech1", Role.INSPECTOR: "inspector",
           Role.PARTS: "parts", Role.WARRANTY: "warranty", Role.ACCIDENT: "accident", Role.CARE: "care",
           Role.ADMIN: "admin"}


def _as(app, user) -> object:
    client = new_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


def _seed(runner, db) -> None:
    result = runner.invoke(args=["seed-demo", "--days", "3"])
    assert result.exit_code == 0, "".join(traceback.format_exception(result.exception)) + result.output
    # an accident car and a warranty job on site, whatever the demo's dice gave today
    on_site = list(db.session.scalars(select(RepairOrder).where(
        RepairOrder.status.in_([str(s) for s in RO_ON_SITE])).order_by(RepairOrder.id)))
    accident, warranty = on_site[0], on_site[1]
    accident.pay_type, accident.insurer, accident.claim_number = PayType.INSURANCE, "平安保险", "PA-2026-0815"
    accident.assessor, accident.assessed_amount = "刘定损", Decimal("8650.00")
    accident.insurer_payment = InsurerPayment.PENDING
    warranty.pay_type, warranty.warranty_claim_ref = PayType.WARRANTY, "WC-2026-77"
    db.session.commit()


def test_every_link_a_page_offers_opens_for_its_reader(app, db, runner):
    with clock.frozen(MONDAY_MORNING):
        _seed(runner, db)
        refused, english = [], {}

        def read(url, html):  # the same walk checks the pages speak Chinese (issue 16, item 18)
            for word in english_words(html):
                english.setdefault(word, url)

        for role, username in WALKERS.items():
            user = db.session.scalar(select(User).where(User.username == username))
            assert user.roles == [role], username
            walk = crawl(app, _as(app, user), per_endpoint=2, limit=250, on_page=read)
            assert len(walk.visited) > 5, (role, walk.visited)  # the walk did get in
            print(f"links {role}: {len(walk.visited)} pages opened, {len(walk.refused)} refused")
            refused += [f"{role}: {status} {url}  (offered on {source})" for status, url, source in walk.refused]
    assert not refused, "links their reader cannot open:\n" + "\n".join(refused)
    assert not english, "English words on Chinese pages:\n" + "\n".join(
        f"{word}  (on {url})" for word, url in sorted(english.items()))


# ---------------------------------------------------------------- who reads a repair order
@pytest.fixture
def cases(store, people, db):
    advisor = people["advisor"]
    insurance = factories.checked_in(store, advisor, plate="沪A10001")
    insurance.pay_type, insurance.insurer, insurance.claim_number = PayType.INSURANCE, "人保", "PICC-123"
    insurance.assessed_amount = Decimal("5200.00")
    warranty = factories.checked_in(store, advisor, plate="沪A10002")
    warranty.pay_type, warranty.warranty_claim_ref = PayType.WARRANTY, "WC-9"
    plain = factories.checked_in(store, advisor, plate="沪A10003")
    db.session.commit()
    return {"insurance": insurance.id, "warranty": warranty.id, "plain": plain.id}


@pytest.mark.people(advisor=Role.ADVISOR)
@pytest.mark.parametrize(("role", "opens"), [
    (Role.MANAGER, {"insurance", "warranty", "plain"}),
    (Role.ACCIDENT, {"insurance"}),
    (Role.WARRANTY, {"warranty"}),
    (Role.TECHNICIAN, set()),
    (Role.CARE, set()),
])
def test_readers_open_the_repair_orders_they_need_read_only(app, make_user, cases, role, opens):
    client = _as(app, make_user(role))
    for kind, ro_id in cases.items():
        response = client.get(f"/reception/ro/{ro_id}")
        assert response.status_code == (200 if kind in opens else 403), (role, kind, response.status_code)
        if response.status_code == 200:
            page = response.get_data(as_text=True)
            assert 'data-testid="read-only"' in page
            assert "/reception/ro/%d/lines" % ro_id not in page and 'name="version"' not in page  # no forms
    if Role.ACCIDENT == role:
        page = client.get(f"/reception/ro/{cases['insurance']}").get_data(as_text=True)
        assert "PICC-123" in page and "人保" in page and "5,200.00" in page.replace("¥", "")


@pytest.mark.people(advisor=Role.ADVISOR)
def test_the_accident_desk_is_offered_only_the_repair_orders_it_may_read(app, make_user, cases):
    client = _as(app, make_user(Role.ACCIDENT))
    home = client.get("/").get_data(as_text=True)
    assert f'href="/reception/ro/{cases["insurance"]}"' in home
    assert f'href="/reception/ro/{cases["plain"]}"' not in home
    # the desk's own panel: its insurance cars with their claim data
    panel = home.split('data-testid="claims"')[1].split("</section>")[0]
    assert "PICC-123" in panel and "人保" in panel and "5,200.00" in panel and "沪A10003" not in panel


@pytest.mark.people(advisor=Role.ADVISOR)
def test_the_advisor_still_edits(app, people, cases):
    page = _as(app, people["advisor"]).get(f"/reception/ro/{cases['plain']}").get_data(as_text=True)
    assert 'data-testid="read-only"' not in page and 'name="version"' in page
