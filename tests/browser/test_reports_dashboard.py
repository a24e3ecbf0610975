"""The director's dashboard on a tablet: choose a week's range, read the tiles and charts, tap the
output value tile, see the repair orders behind it, download them as Excel and open the file; a
range typed the wrong way round is refused with its message and the dates kept."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from intranet import clock
from intranet.core.models import RepairOrder, RepairOrderLine, Role, ROStatus
from tests.browser.conftest import login, path_of, shot


@pytest.fixture
def month_of_work(db, store, make_user, make_vehicle):
    """Repair orders delivered over the last six days (before today, so the real clock always
    finds them in the range), by two advisors, mechanical and body work."""
    director = make_user(Role.DIRECTOR, username="zhao", display_name="赵总监")
    wang = make_user(Role.ADVISOR, display_name="王婷")
    li = make_user(Role.ADVISOR, display_name="李明")
    today = clock.store_today(store.timezone)
    made = []
    for n in range(12):
        day = today - timedelta(days=1 + n % 6)
        opened = clock.store_local_to_utc(datetime.combine(day, time(9, n)), store.timezone)
        car = make_vehicle()
        ro = RepairOrder(store_id=store.id, number=f"TS01-B{n:05d}", vehicle_id=car.id, customer_id=car.customer_id,
                         advisor_id=(wang if n % 3 else li).id, status=ROStatus.DELIVERED, opened_at=opened,
                         promised_at=opened + timedelta(hours=7), delivered_at=opened + timedelta(hours=6))
        ro.lines = [RepairOrderLine(kind="labour", description="保养工时", quantity=Decimal("2"),
                                    unit_price=Decimal("150"), team="body" if n % 4 == 0 else "mechanical",
                                    pay_type="customer"),
                    RepairOrderLine(kind="part", description="机油滤清器", quantity=Decimal("1"),
                                    unit_price=Decimal("200"), pay_type="customer")]
        db.session.add(ro)
        made.append(ro)
    db.session.commit()
    return {"director": director, "today": today, "ros": made}


def test_the_director_reads_the_dashboard_drills_in_and_exports_excel(page, size, month_of_work, tmp_path):
    today = month_of_work["today"]
    login(page, "zhao")
    page.goto("/reports/")
    expect(page.get_by_test_id("tile-cars_in")).to_be_visible()

    page.locator("#range-start").fill((today - timedelta(days=6)).isoformat())
    page.locator("#range-end").fill(today.isoformat())
    with page.expect_navigation():
        page.get_by_test_id("period-range").click()
    assert "period=range" in page.url
    tile = page.get_by_test_id("tile-output_value")
    expect(tile).to_contain_text("¥6,000")  # 12 × (2 × 150 + 200)
    expect(page.locator("svg.chart[role=img]").first).to_be_visible()
    expect(page.get_by_test_id("breakdown-table-advisor")).to_contain_text("王婷")
    shot(page, f"reports-dashboard-{size}")

    tile.click()
    page.wait_for_url("**/reports/kpi/output_value**")
    assert path_of(page) == "/reports/kpi/output_value"
    rows = page.get_by_test_id("drill-table").locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(page.get_by_test_id("kpi-value")).to_contain_text("¥6,000")
    shot(page, f"reports-drill-{size}")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active
    data = list(sheet.iter_rows(min_row=2, values_only=True))
    numbers = {ro.number for ro in month_of_work["ros"]}
    assert {row[0] for row in data if row[0] in numbers} == numbers
    totals = [row[-1] for row in data if row[0] in numbers]
    assert totals == [500] * 12 and all(isinstance(v, (int, float)) for v in totals)

    # one advisor's share: the per-advisor table links to just their cars
    page.get_by_test_id("kpi-breakdown-table").get_by_role("link").first.click()
    page.wait_for_url("**member=**")
    expect(page.locator(".chip-filter")).to_be_visible()
    assert page.get_by_test_id("drill-table").locator("tbody tr").count() in (4, 8)


def test_a_range_the_wrong_way_round_is_refused(page, size, month_of_work):
    today = month_of_work["today"]
    login(page, "zhao")
    page.goto("/reports/")
    page.locator("#range-start").fill(today.isoformat())
    page.locator("#range-end").fill((today - timedelta(days=6)).isoformat())
    with page.expect_navigation():
        page.get_by_test_id("period-range").click()
    expect(page.get_by_test_id("period-error")).to_be_visible()
    expect(page.locator("#range-start")).to_have_value(today.isoformat())
    expect(page.locator("#range-end")).to_have_value((today - timedelta(days=6)).isoformat())
    assert page.locator(".kpi-tile").count() == 0
    shot(page, f"reports-range-refused-{size}")


def test_an_advisors_drill_down_counts_that_advisor_only(page, size, month_of_work):
    """Tapping 李明's cars in the per-advisor table opens a page headed with 李明 whose tile, terms
    and rows are his four cars, not the store's twelve."""
    today = month_of_work["today"]
    login(page, "zhao")
    page.goto(f"/reports/?period=range&start={today - timedelta(days=6)}&end={today}")
    row = page.get_by_test_id("breakdown-table-advisor").locator("tr", has_text="李明")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert "by=advisor" in page.url and "member=" in page.url
    hero = page.get_by_test_id("kpi-value")
    expect(hero.locator(".kpi-terms dd").first).to_have_text("4")
    expect(page.get_by_test_id("drill-table").locator("tbody tr")).to_have_count(4)
    expect(page.get_by_test_id("drill-table")).not_to_contain_text("王婷")
    shot(page, f"reports-advisor-drill-{size}")
