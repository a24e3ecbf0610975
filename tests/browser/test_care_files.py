"""A care agent brings the old customer list in from a CSV with a few bad rows: the good rows are
imported, each bad one is listed with its row number and reason (nothing of it saved), and the
imported customer's file shows the car's coming dates and what the file still misses."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from intranet import clock
from intranet.core.identifiers import vin_check_digit
from intranet.core.models import Customer, Role, Vehicle
from tests.browser.conftest import fresh, login, shot, top


def _vin(seed: str) -> str:
    return seed[:8] + vin_check_digit(seed) + seed[9:]


def _csv(store) -> bytes:
    today = clock.store_today(store.timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "手机", "地址", "生日", "联系时间偏好", "微信", "客户需求", "车牌", "VIN", "车型", "年款",
                     "上牌日期", "里程", "上次保养日期", "保险公司", "保险到期", "年审日期"])
    writer.writerow(["孙丽", "13812345678", "上海市徐汇区漕溪北路 88 号", "1988-04-05", "上午", "sunli88",
                     "保养前请短信提醒", "沪A12345", _vin("LFV2A21K0A3045678"), "迈腾 330TSI", "2021", "2021-06-18",
                     "45000", (today - timedelta(days=100)).isoformat(), "平安保险",
                     (today + timedelta(days=20)).isoformat(), (today + timedelta(days=200)).isoformat()])
    writer.writerow(["李雷", "1381234", "", "", "", "", "", "沪A22222", "", "速腾", "", "", "", "", "", "", ""])
    writer.writerow(["韩梅梅", "13812340003", "", "", "", "", "", "沪A66666", "", "宝来", "", "", "一万二", "", "", "",
                     ""])
    writer.writerow(["周杰", "13812340004", "", "明年", "", "", "", "", "", "", "", "", "", "", "", "", ""])
    writer.writerow(["郑爽", "13812340006", "", "", "", "", "", "沪B88888", "", "宝来", "", "", "", "", "", "", ""])
    writer.writerow(["王五", "13812340007", "", "", "下午", "wangwu", "", "沪A77777", "", "朗逸", "2020", "", "30000",
                     "", "", "", ""])
    return out.getvalue().encode("utf-8")


def test_import_a_customer_file_with_bad_rows(page, size, db, store, make_user, make_customer, make_vehicle,
                                              tmp_path):
    agent = make_user(Role.CARE, username="zhu", display_name="朱晓燕")
    make_vehicle(customer=make_customer(name="赵敏", mobile="13700000001"), plate="沪B88888")
    upload = tmp_path / "老客户.csv"
    upload.write_bytes(_csv(store))

    login(page, agent.username)
    page.goto("/care/customers/")
    page.get_by_test_id("import-link").click()
    expect(page.get_by_test_id("import-form")).to_be_visible()
    page.locator("#import-file").set_input_files(str(upload))
    with page.expect_navigation():
        page.locator("[data-testid=import-form] button[type=submit]").click()

    expect(page.get_by_test_id("count-created")).to_have_text("2")
    expect(page.get_by_test_id("count-refused")).to_have_text("4")
    refused = page.get_by_test_id("import-refused")
    for line, bad in ((3, "1381234"), (4, "一万二"), (5, "明年"), (6, "沪B88888")):
        row = refused.locator(f"tr[data-row='{line}']")
        expect(row).to_be_visible()
        expect(row).to_contain_text(bad)
    expect(page.get_by_test_id("refused-download")).to_be_visible()
    box = page.get_by_test_id("refused-download").bounding_box()
    assert box["height"] >= 44  # a finger can hit it
    shot(page, f"care-files-import-report-{size}")

    session = fresh(db)
    assert session.scalar(select(func.count(Customer.id))) == 3  # 赵敏 and the two good rows
    assert session.scalar(select(Vehicle.customer_id).where(Vehicle.plate == "沪B88888")) is not None
    assert session.scalar(select(Customer.id).where(Customer.mobile == "13812340003")) is None

    # the list finds the imported customer by plate, and the file shows what is coming up
    page.goto("/care/customers/")
    page.get_by_role("search").locator("input[type=search]").fill("A12345")
    expect(page.get_by_test_id("customer-files")).to_contain_text("孙丽")
    page.get_by_test_id("customer-files").get_by_text("孙丽").click()
    expect(page.get_by_test_id("wishes")).to_contain_text("保养前请短信提醒")
    expect(page.get_by_test_id("completeness")).to_be_visible()
    expect(page.locator("body")).to_contain_text("平安保险")
    expect(page.get_by_test_id("next-service")).to_contain_text(str(clock.store_today(store.timezone).year)[:2])
    no_sideways_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_sideways_scroll
    top(page)
    shot(page, f"care-files-customer-{size}")

    # the incomplete filter lists 王五 (no address, birthday, VIN…), not a file that is complete
    page.goto("/care/customers/?f=incomplete")
    expect(page.get_by_test_id("customer-files")).to_contain_text("王五")
    shot(page, f"care-files-list-{size}")
