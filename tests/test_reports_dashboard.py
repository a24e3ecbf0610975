"""The management dashboard: who may open it, the periods (a reversed range refused with its
message, the dates kept), an empty period showing "no data", the drill-down rows behind a number,
CSV and Excel exports that parse back with typed values, the targets page, the group view with two
stores, the SVG charts, and a fixed number of queries whatever the history."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from intranet import clock
from intranet.core.models import RepairOrder, Role, Store
from intranet.reports import boards, charts, export, kpis
from intranet.reports.periods import week_of
from intranet.reports.chart_spec import BAR, LINE, Chart, Series
from intranet.reports.models import KpiTarget
from intranet.reports.tables import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Table
from tests import factories
from tests.conftest import queries_for

TZ = "Asia/Shanghai"
MONDAY = date(2025, 3, 10)
NOW = datetime(2025, 3, 14, 4, 0)  # Friday 12:00 in Shanghai
D = Decimal


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return clock.store_local_to_utc(datetime.combine(day, time(hour, minute)), TZ)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def shop(db, store, make_user, make_vehicle):
    advisor = make_user(Role.ADVISOR, display_name="王顾问")

    def ro(*, opened, delivered=None, promised=None, labour="150", part="300", store_id=None, who=None):
        """A past visit (of a car of this store), in the store `store_id` if given."""
        return factories.repair_order(db.session.get(Store, store_id) if store_id else store, who or advisor,
                                      car=make_vehicle(), opened=opened, promised=promised, delivered=delivered,
                                      lines=[factories.line("labour", "1", labour, "mechanical", "customer",
                                                            description="保养工时"),
                                             factories.line("part", "1", part, None, "customer", description="机油")])

    return {"store": store, "advisor": advisor, "ro": ro}


def history(shop, n: int, day: date = MONDAY):
    for i in range(n):
        opened = at(day, 9, i % 50)
        shop["ro"](opened=opened, delivered=opened + timedelta(hours=5), promised=opened + timedelta(hours=6))


@pytest.fixture
def director(login_as):
    return login_as(Role.DIRECTOR, display_name="赵总监")


# ------------------------------------------------------------------ access

@pytest.mark.parametrize("role, allowed", [(Role.DIRECTOR, True), (Role.MANAGER, True), (Role.ADMIN, True),
                                           (Role.ADVISOR, False), (Role.TECHNICIAN, False), (Role.CARE, False)])
def test_who_may_open_the_dashboard(client, login_as, role, allowed):
    login_as(role)
    for url in ("/reports/", "/reports/kpi/cars_in", "/reports/kpi/cars_in.csv", "/reports/summary.xlsx"):
        assert (client.get(url).status_code == 200) is allowed, url
        if not allowed:
            assert client.get(url).status_code == 403


@pytest.mark.parametrize("role, allowed", [(Role.DIRECTOR, True), (Role.ADMIN, True), (Role.MANAGER, False)])
def test_only_director_and_admin_set_targets(client, login_as, role, allowed):
    login_as(role)
    assert (client.get("/reports/targets/").status_code == 200) is allowed
    page = client.get("/reports/").get_data(as_text=True)
    assert ('href="/reports/targets/"' in page) is allowed


def test_nav_shows_the_dashboard_to_management_only(client, login_as):
    login_as(Role.MANAGER)
    assert 'href="/reports/"' in client.get("/").get_data(as_text=True)


def test_nav_hides_the_dashboard_from_an_advisor(client, login_as):
    login_as(Role.ADVISOR)
    assert 'href="/reports/"' not in client.get("/").get_data(as_text=True)


# ------------------------------------------------------------------ periods

@pytest.mark.parametrize("query", ["", "?period=day", "?period=week", "?period=month", "?period=nonsense",
                                   "?period=range&start=2025-03-01&end=2025-03-14",
                                   "?period=range&start=2024-01-01&end=2025-03-14"])
def test_every_period_opens(client, director, shop, query):
    history(shop, 3)
    response = client.get("/reports/" + query)
    assert response.status_code == 200
    assert 'role="img"' in response.get_data(as_text=True)


def test_a_reversed_range_is_refused_with_the_dates_kept(client, director, shop):
    response = client.get("/reports/?period=range&start=2025-03-14&end=2025-03-01")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="period-error"' in page
    assert 'value="2025-03-14"' in page and 'value="2025-03-01"' in page
    assert "kpi-tile" not in page
    assert client.get("/reports/kpi/cars_in?period=range&start=2025-03-14&end=2025-03-01").status_code == 422
    assert client.get("/reports/kpi/cars_in.csv?period=range&start=2025-03-14&end=2025-03-01").status_code == 422


def test_a_range_without_its_days_is_refused(client, director):
    response = client.get("/reports/?period=range&start=2025-03-01&end=")
    assert response.status_code == 422
    assert 'value="2025-03-01"' in response.get_data(as_text=True)
    assert client.get("/reports/?period=range&start=03/01/2025&end=2025-03-02").status_code == 422


def test_an_empty_period_says_no_data_and_never_fails(client, director, shop):
    response = client.get("/reports/?period=week")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="no-data"') >= 10  # every rate without a denominator
    assert "No data for this period" in page or "无数据" in page  # the charts say so too
    drill = client.get("/reports/kpi/one_time_fix?period=week")
    assert drill.status_code == 200
    assert 'data-testid="drill-table"' not in drill.get_data(as_text=True)


def test_tiles_show_value_target_change_and_formula(client, director, shop, db):
    history(shop, 4, MONDAY)  # this week: 4 cars
    history(shop, 2, MONDAY - timedelta(days=7))  # last week: 2 cars
    kpis.set_target(shop["store"].id, "one_time_fix", D("90"))
    db.session.commit()
    page = client.get("/reports/?period=week").get_data(as_text=True)
    tile = page.split('data-testid="tile-output_value"')[1].split("</a>")[0]
    assert "¥1,800" in tile  # 4 × (150 + 300)
    assert "¥900" in tile  # the previous week
    assert "↑" in tile and "kpi-change up good" in tile
    assert str(kpis.KPIS["output_value"].formula)[:20] in tile or "kpi-formula" in tile
    assert 'href="/reports/kpi/output_value?period=week"' in page
    fix = page.split('data-testid="tile-one_time_fix"')[1].split("</a>")[0]
    assert "90.0%" in fix  # the target shown, even without data


# ------------------------------------------------------------------ drill-down

def test_the_drill_down_lists_the_repair_orders_behind_the_number(client, director, shop):
    history(shop, 3)
    other = shop["ro"](opened=at(MONDAY - timedelta(days=20), 9), delivered=at(MONDAY - timedelta(days=20), 15))
    page = client.get("/reports/kpi/output_value?period=week").get_data(as_text=True)
    table = page.split('data-testid="drill-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3 + 1  # header + three rows
    assert other.number not in table
    ro = RepairOrder.query.filter(RepairOrder.id != other.id).first()
    assert f'href="/reception/ro/{ro.id}"' in table or f"/{ro.id}" in table
    assert "¥1,350" in page  # the value on top: 3 × 450


def test_the_drill_down_filters_by_advisor(client, director, shop, make_user):
    history(shop, 2)
    li = make_user(Role.ADVISOR, display_name="李顾问")
    shop["ro"](opened=at(MONDAY, 10), delivered=at(MONDAY, 16), who=li)
    page = client.get(f"/reports/kpi/output_value?period=week&by=advisor&member={li.id}").get_data(as_text=True)
    table = page.split('data-testid="drill-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2 and "李顾问" in table and "王顾问" not in table
    assert "李顾问" in page.split('class="chip-filter"')[1]
    # a member that is no user id, or a split the KPI does not have, is ignored (not a 500)
    assert client.get("/reports/kpi/output_value?period=week&by=advisor&member=x").status_code == 200
    assert client.get("/reports/kpi/output_value?period=week&by=nonsense&member=1").status_code == 200


def test_the_dashboard_table_per_advisor_links_to_each_advisors_rows(client, director, shop):
    history(shop, 2)
    page = client.get("/reports/?period=week").get_data(as_text=True)
    split = page.split('data-testid="breakdown-table-advisor"')[1].split("</table>")[0]
    assert "王顾问" in split
    assert f"by=advisor&amp;member={shop['advisor'].id}" in split


def test_an_unknown_kpi_is_404(client, director):
    assert client.get("/reports/kpi/nonsense").status_code == 404
    assert client.get("/reports/kpi/nonsense.csv").status_code == 404


# ------------------------------------------------------------------ export

def test_drill_down_exports_as_csv_with_a_bom_and_a_chinese_name(client, director, shop):
    history(shop, 2)
    response = client.get("/reports/kpi/output_value.csv?period=week")
    assert response.status_code == 200
    assert response.content_type.startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert 'filename="' in disposition and disposition.split('filename="')[1].split('"')[0].isascii()
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 3
    header = rows[0]
    total = header.index(str(kpis.drill(shop["store"], _week(), "output_value").columns[-1].label))
    assert rows[1][total] == "450.00"
    assert client.get("/reports/kpi/output_value?period=week&format=csv").data == body


def _week():
    from intranet.reports.periods import week_of

    return week_of(MONDAY)


def test_drill_down_exports_as_excel_with_typed_cells(client, director, shop):
    history(shop, 2)
    response = client.get("/reports/kpi/output_value.xlsx?period=week")
    assert response.status_code == 200
    assert response.content_type == export.XLSX_TYPE
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert sheet.cell(1, 1).font.bold
    table = kpis.drill(shop["store"], _week(), "output_value")
    keys = [c.key for c in table.columns]
    row = [c.value for c in sheet[2]]
    assert isinstance(row[keys.index("opened_at")], datetime)
    assert row[keys.index("total")] == 450 and isinstance(row[keys.index("total")], (int, float))
    assert sheet.cell(2, keys.index("total") + 1).number_format == "#,##0.00"
    assert header[0] == str(table.columns[0].label)
    assert response.headers["Content-Disposition"].endswith(".xlsx")


def test_the_summary_and_the_per_advisor_table_export_too(client, director, shop):
    history(shop, 2)
    summary = load_workbook(io.BytesIO(client.get("/reports/summary.xlsx?period=week").data)).active
    names = [r[1].value for r in summary.iter_rows(min_row=2)]
    assert str(kpis.KPIS["output_value"].name) in names
    row = next(r for r in summary.iter_rows(min_row=2) if r[1].value == str(kpis.KPIS["output_value"].name))
    assert row[2].value == 900
    per_advisor = client.get("/reports/breakdown/advisor.csv?period=week")
    assert per_advisor.status_code == 200
    lines = list(csv.reader(io.StringIO(per_advisor.data.decode("utf-8-sig"))))
    assert lines[1][0] == "王顾问" and lines[1][1] == "2"  # cars in: the cars themselves, not per day
    one = client.get("/reports/breakdown/advisor.xlsx?period=week&key=output_value")
    sheet = load_workbook(io.BytesIO(one.data)).active
    assert [c.value for c in sheet[2]] == ["王顾问", 900]


def test_export_types_every_kind_of_column():
    table = Table("测试", [Column("t", "文字"), Column("i", "数量", INT), Column("m", "金额", MONEY),
                         Column("p", "比例", PERCENT), Column("d", "小数", DECIMAL), Column("day", "日期", DATE),
                         Column("at", "时间", DATETIME)],
                  [{"t": "沪A12345", "i": 3, "m": D("1234.5"), "p": D("95.5"), "d": D("7.25"), "day": date(2025, 3, 1),
                    "at": datetime(2025, 3, 1, 9, 30)},
                   {"t": None, "i": None, "m": None, "p": None, "d": "n/a", "day": None, "at": None}],
                  note="公式")
    sheet = load_workbook(io.BytesIO(export.to_xlsx(table))).active
    values = [c.value for c in sheet[2]]
    assert values[:5] == ["沪A12345", 3, 1234.5, 0.955, 7.25]
    assert values[5].date() == date(2025, 3, 1) and values[6] == datetime(2025, 3, 1, 9, 30)
    assert sheet.cell(2, 4).number_format == "0.0%" and sheet.cell(2, 6).number_format == "yyyy-mm-dd"
    assert [c.value for c in sheet[3]] == [None, None, None, None, "n/a", None, None]
    assert sheet.cell(5, 1).value == "公式"
    assert sheet.column_dimensions["A"].width >= 10
    rows = list(csv.reader(io.StringIO(export.to_csv(table).decode("utf-8-sig"))))
    assert rows[0] == ["文字", "数量", "金额", "比例", "小数", "日期", "时间"]
    assert rows[1] == ["沪A12345", "3", "1234.50", "95.5", "7.25", "2025-03-01", "2025-03-01 09:30"]
    assert rows[2] == ["", "", "", "", "n/a", "", ""]


def test_the_download_name_is_chinese_safe():
    header = export.content_disposition("产值-2025-03-01.xlsx")
    assert header == ("attachment; filename=\"2025-03-01.xlsx\"; "
                      "filename*=UTF-8''%E4%BA%A7%E5%80%BC-2025-03-01.xlsx")
    assert 'filename="report.csv"' in export.content_disposition("产值.csv")


# ------------------------------------------------------------------ targets

def test_targets_are_saved_reset_and_validated(client, login_as, db, store):
    login_as(Role.DIRECTOR)
    page = client.get("/reports/targets/").get_data(as_text=True)
    assert 'name="target-one_time_fix"' in page
    refused = client.post("/reports/targets/", data={"target-one_time_fix": "abc", "target-comeback_rate": "120",
                                                     "target-csi": "-1", "target-cars_in": "25"})
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert body.count('role="alert"') >= 4  # the summary and each field
    assert 'value="abc"' in body and 'value="25"' in body  # what was typed stays
    assert db.session.query(KpiTarget).count() == 0  # nothing saved when one is wrong
    saved = client.post("/reports/targets/", data={"target-one_time_fix": "92.5%", "target-cars_in": "25"})
    assert saved.status_code == 302
    assert kpis.targets(store.id)["one_time_fix"] == D("92.50")
    assert kpis.targets(store.id)["cars_in"] == D("25.00")
    assert 'value="92.5"' in client.get("/reports/targets/").get_data(as_text=True)
    client.post("/reports/targets/", data={"target-one_time_fix": "", "target-cars_in": "25"})
    db.session.expire_all()
    assert kpis.targets(store.id)["one_time_fix"] == kpis.KPIS["one_time_fix"].default_target
    assert kpis.targets(store.id)["cars_in"] == D("25.00")


def test_targets_need_the_csrf_token(client, login_as):
    login_as(Role.DIRECTOR)
    assert client.post("/reports/targets/", data={"target-cars_in": "1"}, csrf=False).status_code in (302, 400)
    assert kpis.targets(1)["cars_in"] == kpis.KPIS["cars_in"].default_target


# ------------------------------------------------------------------ group view

def test_with_one_store_there_is_no_group_view(client, director, shop):
    assert 'data-testid="stores-side-by-side"' not in client.get("/reports/?period=week").get_data(as_text=True)


def test_two_stores_side_by_side(client, director, shop, db):
    second = Store(code="TS02", name="浦西店", timezone=TZ)
    db.session.add(second)
    db.session.commit()
    history(shop, 2)
    shop["ro"](opened=at(MONDAY, 9), delivered=at(MONDAY, 15), store_id=second.id, labour="500", part="500")
    page = client.get("/reports/?period=week").get_data(as_text=True)
    group = page.split('data-testid="stores-side-by-side"')[1].split("</section>")[0]
    assert "测试4S店" in group and "浦西店" in group
    row = group.split(str(kpis.KPIS["output_value"].name))[1].split("</tr>")[0]
    assert row.index("¥900") < row.index("¥1,000")  # each store in its own column
    sheet = load_workbook(io.BytesIO(client.get("/reports/stores.xlsx?period=week").data)).active
    assert [c.value for c in sheet[1]][1:] == ["测试4S店", "浦西店"]
    output = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == str(kpis.KPIS["output_value"].name))
    assert [output[1].value, output[2].value] == [900, 1000]


# ------------------------------------------------------------------ charts

def test_a_line_chart_is_accessible_svg_with_target_and_previous_period():
    svg = str(charts.to_svg(Chart(LINE, "进厂台次", ["03-10", "03-11", "03-12"], [
        Series("本期", [3, None, 5], "#1456c8"), Series("上期", [2, 4, 4], "#9aa9c4")], unit="", target=4.0)))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "aria-labelledby" in svg and "进厂台次" in svg
    assert svg.count("<polyline") == 3  # the current line broken at the missing day, and the previous one
    assert "stroke-dasharray" in svg and "target-line" in svg
    assert "本期" in svg and "上期" in svg  # the legend


def test_a_bar_chart_shows_values_and_labels():
    svg = str(charts.to_svg(Chart(BAR, "产值 · 班组", ["机修", "钣金", "喷漆"], [
        Series("本期", [35565, 7200, None]), Series("上期", [43965, 12000, 11000])], unit="¥")))
    assert svg.count("<rect") >= 5 + 2  # five bars, the legend's two swatches
    assert "¥3.6万" in svg and "机修" in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_an_empty_chart_says_no_data():
    svg = str(charts.to_svg(Chart(LINE, "空", ["03-10"], [Series("本期", [None])])))
    assert "No data for this period" in svg or "无数据" in svg


def test_chart_text_is_escaped():
    svg = str(charts.to_svg(Chart(BAR, "<b>", ["<script>"], [Series("a&b", [1])])))
    assert "<script>" not in svg and "<b>" not in svg
    assert "&lt;script&gt;" in svg and "a&amp;b" in svg


# ------------------------------------------------------------------ queries

def test_the_dashboard_is_a_fixed_number_of_queries(client, director, shop, db):
    # (kpis skips the lines query of a span without any repair order: both weeks hold some)
    history(shop, 2)
    history(shop, 1, MONDAY - timedelta(days=7))
    db.session.expire_all()
    few = queries_for(db, client, "/reports/?period=week")
    history(shop, 30)
    history(shop, 10, MONDAY - timedelta(days=7))
    db.session.expire_all()
    many = queries_for(db, client, "/reports/?period=week")
    assert few == many


def test_the_drill_down_is_a_fixed_number_of_queries(client, director, shop, db):
    history(shop, 2)
    few = queries_for(db, client, "/reports/kpi/output_value?period=month")
    history(shop, 25)
    many = queries_for(db, client, "/reports/kpi/output_value?period=month")
    assert few == many


def test_a_running_period_is_compared_with_the_same_days_before(client, director, shop):
    # Friday 14 March: this week so far (Mon–Fri) against last Monday–Friday, not the whole week
    history(shop, 1, MONDAY - timedelta(days=7))
    history(shop, 5, MONDAY - timedelta(days=2))  # last Saturday: outside the comparison
    page = client.get("/reports/?period=week").get_data(as_text=True)
    assert "2025-03-03 – 2025-03-07" in page
    tile = page.split('data-testid="tile-output_value"')[1].split("</a>")[0]
    assert "¥450" in tile and "¥2,700" not in tile


def test_managements_home_shows_this_months_figures_opening_their_drill_down(client, login_as, db, store):
    login_as(Role.MANAGER)
    page = client.get("/").get_data(as_text=True)
    panel = page.split('data-testid="panel-figures"')[1].split("</section>")[0]
    for key in ("cars_in", "output_value", "one_time_fix", "on_time", "comeback_rate", "csi"):
        assert f'data-testid="figure-{key}"' in panel and f"/reports/kpi/{key}?period=month" in panel


def test_an_exported_text_that_would_start_a_formula_stays_text():
    """A report's text cell like `@SUM(A1)` or `+cmd` is written as text: behind an apostrophe in CSV,
    as a text cell in Excel — a spreadsheet never runs it."""
    import io

    from openpyxl import load_workbook

    from intranet.reports import export

    table = Table("t", [Column("who", "Who", TEXT), Column("n", "N", INT)],
                  [{"who": "@SUM(A1)", "n": 1}, {"who": "+cmd|' /C calc'!A0", "n": -2}, {"who": "孙丽华", "n": 3}])
    text = export.to_csv(table).decode("utf-8-sig")
    assert "'@SUM(A1)" in text and "'+cmd" in text and "孙丽华" in text and ",-2" in text
    sheet = load_workbook(io.BytesIO(export.to_xlsx(table))).active
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=2) for c in row}
    assert cells["@SUM(A1)"] == "s" and cells["+cmd|' /C calc'!A0"] == "s" and cells[-2] == "n"


def test_an_advisors_drill_down_counts_only_that_advisor_in_its_tile_chart_and_rows(client, director, shop,
                                                                                    make_user):
    history(shop, 2)  # 王: two cars on Monday
    li = make_user(Role.ADVISOR, display_name="李顾问")
    shop["ro"](opened=at(MONDAY, 10), delivered=at(MONDAY, 16), who=li)
    page = client.get(f"/reports/kpi/cars_in?period=week&by=advisor&member={li.id}").get_data(as_text=True)
    tile = page.split('data-testid="kpi-value"')[1].split("</section>")[0]
    terms = tile.split('class="kpi-terms"')[1]
    assert "<dd>1</dd>" in terms and "<dd>3</dd>" not in terms  # 李's one car, not the store's three
    table = page.split('data-testid="drill-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2 and "王顾问" not in table
    store_page = client.get("/reports/kpi/cars_in?period=week").get_data(as_text=True)
    assert "<dd>3</dd>" in store_page.split('data-testid="kpi-value"')[1].split("</section>")[0]
    # the trend line is the advisor's too: Monday 1 car (the store had 3)
    chart = boards.trend_chart(shop["store"], "cars_in", week_of(MONDAY), MONDAY + timedelta(days=4),
                               by="advisor", member=str(li.id))
    assert chart.series[0].values[0] == 1.0
    # a rate per advisor: the tile judges that advisor only (王 on time, 李 late)
    late = shop["ro"](opened=at(MONDAY, 11), promised=at(MONDAY, 12), delivered=at(MONDAY, 17), who=li)
    assert late.advisor_id == li.id
    page = client.get(f"/reports/kpi/on_time?period=week&by=advisor&member={li.id}").get_data(as_text=True)
    assert "0.0%" in page.split('data-testid="kpi-value"')[1].split("</section>")[0]
