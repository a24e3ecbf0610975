"""The customer file (客户档案): completeness, the page with each car's coming dates and the whole
history, the care list with its filters, the import with its row-by-row refusals, the export."""
from __future__ import annotations

import csv
import io
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from intranet import clock
from intranet.care import customer_file, imports
from intranet.care.models import (
    CallAttempt,
    CareReminder,
    Complaint,
    FollowUpCall,
    OutgoingMessage,
    WinBackCall,
)
from intranet.care.service_due import add_months
from intranet.core import services
from intranet.core.identifiers import vin_check_digit
from intranet.core.models import (
    Customer,
    RepairOrder,
    RepairOrderLine,
    Role,
    ROStatus,
    Vehicle,
)
from intranet.errors import DomainError
from tests.conftest import queries_for


def good_vin(seed: str = "LFV2A21K0A3045678") -> str:
    return seed[:8] + vin_check_digit(seed) + seed[9:]


def upload(data: bytes | str, name: str = "customers.csv") -> FileStorage:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return FileStorage(stream=io.BytesIO(data), filename=name)


def csv_text(rows: list[list]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


HEAD = ["姓名", "手机", "地址", "生日", "联系时间偏好", "微信", "客户需求", "车牌", "VIN", "车型", "颜色", "年款",
        "上牌日期", "里程", "上次保养日期", "保养间隔公里", "保养间隔月", "保险公司", "保险到期", "年审日期", "最近到店"]


def row(**values) -> list:
    keys = [k for k, _zh, _en in imports.COLUMNS]
    return [values.get(k, "") for k in keys]


def today_of(store) -> date:
    return clock.store_today(store.timezone)


# ---------------------------------------------------------------- completeness
def test_completeness_counts_the_customer_and_each_car(db, store, make_customer, make_vehicle):
    customer = make_customer(name="王芳")
    with force_locale("en"):
        percent, missing = customer_file.completeness(customer)
    assert percent == 0 and missing == ["Address", "Birthday", "WeChat", "A car"]
    car = make_vehicle(customer=customer, plate="沪A10001")
    customer.address, customer.birthday, customer.wechat = "上海市浦东新区", date(1985, 3, 2), "wx_wf"
    car.vin, car.registered_on, car.last_service_on = good_vin(), date(2022, 5, 1), date(2025, 1, 1)
    car.insurer_name, car.insurance_expires_on, car.inspection_due_on = "平安保险", date(2026, 5, 1), date(2026, 5, 1)
    db.session.commit()
    db.session.refresh(customer)
    assert customer_file.completeness(customer) == (100, [])
    car.insurer_name = None  # the expiry alone is not enough: whom to remind to renew with?
    with force_locale("en"):
        percent, missing = customer_file.completeness(customer)
    assert percent < 100 and missing == ["沪A10001: Insurer and insurance expiry"]


def test_incomplete_condition_agrees_with_completeness(db, store, make_customer, make_vehicle):
    bare = make_customer(name="甲")
    full = make_customer(name="乙", address="地址", birthday=date(1980, 1, 1), wechat="wx")
    make_vehicle(customer=full, vin=good_vin(), registered_on=date(2022, 1, 1), last_service_on=date(2025, 1, 1),
                 insurer_name="中国人保", insurance_expires_on=date(2026, 1, 1), inspection_due_on=date(2026, 1, 1))
    found = set(db.session.scalars(select(Customer.id).where(customer_file.incomplete_condition())))
    assert bare.id in found and full.id not in found


# ---------------------------------------------------------------- import: rows stand alone
def test_import_keeps_good_rows_and_lists_each_refused_row_with_its_reason(db, store, make_customer, make_vehicle):
    other = make_customer(name="赵敏", mobile="13700000001")
    make_vehicle(customer=other, plate="沪B88888")
    known = make_customer(name="钱进", mobile="13700000002", address="老地址")
    data = csv_text([HEAD,
                     row(name="孙丽", mobile="13812345678", address="上海市徐汇区", birthday="1988-04-05",
                         preferred_contact_time="上午", wechat="sunli88", wishes="只接受上午电话", plate="沪A12345",
                         vin=good_vin(), model="迈腾 330TSI", colour="白", model_year="2021",
                         registered_on="2021/6/18", odometer_km="45,000", last_service_on="2025-09-01",
                         insurer_name="平安保险", insurance_expires_on="2026年6月17日",
                         inspection_due_on="2027-06-18"),                                     # 2: good
                     row(name="李雷", mobile="1381234", plate="沪A22222", model="速腾"),         # 3: not a mobile
                     row(name="韩梅梅", mobile="13812340003", plate="ABC123", model="速腾"),     # 4: bad plate
                     row(name="周杰", mobile="13812340004", plate="沪A33333", model="速腾",
                         vin="LFV2A21K0A304567"),                                              # 5: bad VIN
                     row(name="吴彤", mobile="13812340005", birthday="明年春天"),                # 6: not a date
                     row(name="郑爽", mobile="13812340006", plate="沪b 88888", model="宝来"),    # 7: another's car
                     row(name="王五", mobile="13812340007", plate="沪A44444", model="宝来",
                         odometer_km="三万"),                                                  # 8: not a number
                     row(mobile="13812340008", plate="沪A55555", model="宝来"),                 # 9: no name
                     [],                                                                       # blank line: skipped
                     row(name="钱进", mobile="137 0000 0002", wechat="qianjin"),                # 11: update
                     row(name="冯七", mobile="13812340009", model="宝来"),                      # 12: car, no plate
                     ])
    with force_locale("en"):
        report = imports.import_customers(imports.read_table(upload(data)), store_id=store.id)
        db.session.commit()
        refused = {r.line: r.message for r in report.refused}
    assert (report.count("created"), report.count("updated"), report.count("refused")) == (1, 1, 8)
    assert sorted(refused) == [3, 4, 5, 6, 7, 8, 9, 12]
    assert "1381234" in refused[3] and "mobile" in refused[3]
    assert "ABC123" in refused[4]
    assert "16" in refused[5]  # a VIN has 17 characters; this one has 16
    assert "生日" in refused[6] and "明年春天" in refused[6] and "not a date" in refused[6]
    assert "沪B88888" in refused[7] and "赵敏" in refused[7]
    assert "里程" in refused[8] and "三万" in refused[8]
    assert refused[9] == "The name is missing."
    assert "plate" in refused[12]
    # the good row, complete
    sun = db.session.scalar(select(Customer).where(Customer.mobile == "13812345678"))
    assert (sun.name, sun.wechat, sun.wishes, sun.preferred_contact_time) == ("孙丽", "sunli88", "只接受上午电话",
                                                                              "morning")
    car = sun.vehicles[0]
    assert (car.plate, car.registered_on, car.last_odometer_km, car.insurer_name, car.insurance_expires_on) == (
        "沪A12345", date(2021, 6, 18), 45000, "平安保险", date(2026, 6, 17))
    assert car.next_service_km is not None and car.next_service_on is not None  # counted from the last service
    # an empty cell keeps what was on file
    db.session.refresh(known)
    assert (known.wechat, known.address) == ("qianjin", "老地址")
    # nothing of a refused row was written
    for mobile in ("13812340003", "13812340004", "13812340006", "13812340007", "13812340008", "13812340009"):
        assert db.session.scalar(select(Customer.id).where(Customer.mobile == mobile)) is None, mobile
    assert db.session.scalar(select(func.count(Vehicle.id))) == 2


def test_a_plate_twice_in_one_file_for_two_customers_refuses_the_second(db, store):
    data = csv_text([HEAD, row(name="甲", mobile="13900000001", plate="沪C12345", model="宝来"),
                     row(name="乙", mobile="13900000002", plate="沪C12345", model="宝来"),
                     row(name="甲", mobile="13900000001", plate="沪C12345", colour="红")])
    report = imports.import_customers(imports.read_table(upload(data)), store_id=store.id)
    assert [r.outcome for r in report.rows] == ["created", "refused", "updated"]
    car = db.session.scalar(select(Vehicle).where(Vehicle.plate == "沪C12345"))
    assert car.colour == "红" and car.customer.name == "甲"


def test_a_lower_odometer_is_not_taken_and_the_row_says_so(db, store, make_vehicle):
    car = make_vehicle(plate="沪D12345", odometer_km=50000)
    data = csv_text([HEAD, row(name=car.customer.name, mobile=car.customer.mobile, plate="沪D12345",
                               odometer_km="40000")])
    with force_locale("en"):
        report = imports.import_customers(imports.read_table(upload(data)), store_id=store.id)
    assert report.rows[0].outcome == "updated" and "40,000" in report.rows[0].message
    assert car.last_odometer_km == 50000


def test_gbk_csv_with_english_headings_is_read(db, store):
    text = "name,Mobile,Plate,model,Registered on,Odometer,insurance expires on\n" \
           "陈晨,13912345678,沪E12345,朗逸,2020-01-15,60000,2026-01-14\n"
    report = imports.import_customers(imports.read_table(upload(text.encode("gbk"))), store_id=store.id)
    assert report.count("created") == 1
    car = db.session.scalar(select(Vehicle).where(Vehicle.plate == "沪E12345"))
    assert car.registered_on == date(2020, 1, 15) and car.km_per_day is not None  # from the car's age


def test_xlsx_with_real_dates_and_numeric_mobiles(db, store):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "车牌", "车型", "上牌日期", "里程", "年审日期", "保养间隔公里"])
    sheet.append(["林峰", 13612345678, "沪F12345", "途观L", datetime(2019, 3, 8), 88000.0, date(2026, 3, 8), 7500])
    sheet.append(["错日期", 13612345679, "沪F12346", "途观L", "2019-02-30", 1000, None, None])
    out = io.BytesIO()
    book.save(out)
    with force_locale("en"):
        report = imports.import_customers(imports.read_table(upload(out.getvalue(), "file.xlsx")), store_id=store.id)
    assert [r.outcome for r in report.rows] == ["created", "refused"]
    assert report.rows[1].line == 3 and "2019-02-30" in report.rows[1].message
    car = db.session.scalar(select(Vehicle).where(Vehicle.plate == "沪F12345"))
    assert (car.registered_on, car.last_odometer_km, car.inspection_due_on, car.service_interval_km) == (
        date(2019, 3, 8), 88000, date(2026, 3, 8), 7500)


@pytest.mark.parametrize("data, name", [
    (b"", "empty.csv"),
    ("地址,车牌\n上海,沪A12345\n".encode(), "no-name.csv"),
    (b"%PDF-1.4", "scan.pdf"),
    (b"not a workbook", "broken.xlsx"),
])
def test_a_file_that_cannot_be_imported_is_refused_whole(data, name):
    with pytest.raises(DomainError):
        imports.read_table(upload(data, name))


def test_out_of_range_numbers_are_refused(db, store):
    data = csv_text([HEAD, row(name="甲", mobile="13900000011", plate="沪G12345", model="宝来",
                               service_interval_km="50"),
                     row(name="乙", mobile="13900000012", plate="沪G12346", model="宝来", model_year="1850")])
    report = imports.import_customers(imports.read_table(upload(data)), store_id=store.id)
    assert report.count("refused") == 2


# ---------------------------------------------------------------- import and export through the pages
def test_import_page_reports_counts_and_refused_rows(client, login_as, db):
    login_as(Role.CARE)
    data = csv_text([HEAD, row(name="孙丽", mobile="13812345678", plate="沪A12345", model="迈腾"),
                     row(name="李雷", mobile="12345", plate="沪A22222", model="速腾")])
    response = client.post("/care/customers/import", data={"file": (io.BytesIO(data.encode()), "c.csv")},
                           content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="count-created">1<' in body and 'data-testid="count-refused">1<' in body
    assert 'data-row="3"' in body and "12345" in body and "data:text/csv;charset=utf-8;base64," in body
    assert db.session.scalar(select(func.count(Customer.id))) == 1
    refused_file = client.post("/care/customers/import", data={"file": (io.BytesIO(b"x"), "c.doc")},
                               content_type="multipart/form-data")
    assert refused_file.status_code == 422 and "c.doc" in refused_file.get_data(as_text=True)


def test_refused_rows_download_carries_the_rows_and_the_reasons(db, store):
    data = csv_text([HEAD, row(name="李雷", mobile="12345", plate="沪A22222", model="速腾")])
    report = imports.import_customers(imports.read_table(upload(data)), store_id=store.id)
    import base64

    payload = base64.b64decode(report.refused_csv_data_url().split(",", 1)[1]).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(payload)))
    assert lines[0][-1] == "拒绝原因" and lines[1][:2] == ["李雷", "12345"] and lines[1][-1]


def test_export_csv_has_a_bom_and_imports_back_unchanged(client, login_as, db, make_vehicle, store):
    login_as(Role.CARE)
    car = make_vehicle(plate="沪H12345", odometer_km=30000, registered_on=date(2021, 1, 1),
                       insurer_name="大地保险", insurance_expires_on=date(2026, 1, 1))
    car.customer.wechat = "wx_h"
    db.session.commit()
    response = client.get("/care/customers/export.csv")
    assert response.status_code == 200 and response.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    assert "沪H12345" in text and "大地保险" in text and "2026-01-01" in text
    report = imports.import_customers(imports.read_table(upload(response.data)), store_id=store.id)
    assert (report.count("updated"), report.count("refused")) == (1, 0)
    xlsx = client.get("/care/customers/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    again = imports.import_customers(imports.read_table(upload(xlsx.data, "export.xlsx")), store_id=store.id)
    assert (again.count("updated"), again.count("refused")) == (1, 0)


def test_templates_download(client, login_as):
    login_as(Role.CARE)
    csv_template = client.get("/care/customers/template.csv")
    assert csv_template.data.decode("utf-8-sig").strip() == ",".join(HEAD)
    xlsx = client.get("/care/customers/template.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.data))
    assert [c.value for c in book.worksheets[0][1]] == HEAD and "说明" in book.sheetnames


# ---------------------------------------------------------------- the list
def test_list_search_and_filters(client, login_as, db, store, make_customer, make_vehicle):
    login_as(Role.CARE)
    today = today_of(store)
    soon = today + timedelta(days=10)
    birthday_boy = make_customer(name="生日客户", mobile="13911110001",
                                 birthday=date(1980, today.month, min(today.day, 28)))
    insured = make_vehicle(plate="沪J12345", insurance_expires_on=soon, insurer_name="中国人保")
    inspected = make_vehicle(plate="沪J22345", inspection_due_on=soon)
    serviced = make_vehicle(plate="沪J32345")
    serviced.next_service_on = today - timedelta(days=3)
    db.session.commit()

    def names(url):
        return client.get(url).get_data(as_text=True)

    assert "生日客户" in names("/care/customers/?f=birthday") and insured.customer.name + " " not in names(
        "/care/customers/?f=birthday").replace("生日客户", "")
    assert "沪J12345" in names("/care/customers/?f=insurance") and "沪J22345" not in names("/care/customers/?f=insurance")
    assert "沪J22345" in names("/care/customers/?f=inspection") and "沪J12345" not in names(
        "/care/customers/?f=inspection")
    assert "沪J32345" in names("/care/customers/?f=service") and "沪J22345" not in names("/care/customers/?f=service")
    assert "生日客户" in names("/care/customers/?f=incomplete")
    assert "沪J12345" in names("/care/customers/?q=J123") and "沪J22345" not in names("/care/customers/?q=J123")
    assert "生日客户" in names("/care/customers/?q=0001") and "生日客户" in names("/care/customers/?q=生日")
    fragment = client.get("/care/customers/?q=J12", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "沪J12345" in fragment and "<html" not in fragment
    assert birthday_boy.id and inspected.id


def test_list_is_paginated_with_constant_queries(client, login_as, db, make_vehicle):
    login_as(Role.CARE)
    for _ in range(3):
        make_vehicle()
    few = queries_for(db, client, "/care/customers/")
    for _ in range(40):
        make_vehicle()
    many = queries_for(db, client, "/care/customers/")
    assert many == few
    page = client.get("/care/customers/").get_data(as_text=True)
    assert 'data-testid="next-page"' in page and page.count("<li>") <= 25 + 5
    assert client.get("/care/customers/?page=2").status_code == 200
    assert queries_for(db, client, "/care/customers/?f=incomplete&q=沪A") == few


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.PARTS, Role.INSPECTOR])
def test_other_roles_cannot_open_the_care_list(client, login_as, role):
    login_as(role)
    assert client.get("/care/customers/").status_code == 403
    assert client.get("/care/customers/export.csv").status_code == 403


# ---------------------------------------------------------------- the customer page
def _history(db, store, car, advisor, n: int):
    """n visits, each with its lines, a call with two attempts, a complaint, a reminder, a message."""
    for i in range(n):
        ro = RepairOrder(store_id=store.id, number=f"RO-{car.id}-{i}", vehicle_id=car.id,
                         customer_id=car.customer_id, advisor_id=advisor.id, status=ROStatus.DELIVERED,
                         odometer_km=10000 + i * 5000, opened_at=clock.utcnow() - timedelta(days=30 - i),
                         delivered_at=clock.utcnow() - timedelta(days=30 - i, hours=-3))
        ro.lines = [RepairOrderLine(kind="labour", description=f"常规保养 {i}", quantity=Decimal(1),
                                    unit_price=Decimal(150)),
                    RepairOrderLine(kind="part", description="机油滤清器", quantity=Decimal(1),
                                    unit_price=Decimal(60))]
        db.session.add(ro)
        db.session.flush()
        call = FollowUpCall(store_id=store.id, customer_id=car.customer_id, vehicle_id=car.id, repair_order_id=ro.id,
                            kind="first", agent_id=advisor.id, status="done", due_from=date.today(),
                            due_until=date.today(), expires_on=date.today(), satisfaction="satisfied",
                            reached_at=clock.utcnow(), comments=f"满意 {i}")
        db.session.add(call)
        db.session.flush()
        db.session.add_all([CallAttempt(call_id=call.id, agent_id=advisor.id, outcome="no_answer"),
                            CallAttempt(call_id=call.id, agent_id=advisor.id, outcome="reached")])
        db.session.add(Complaint(store_id=store.id, number=f"C-{car.id}-{i}", customer_id=car.customer_id,
                                 vehicle_id=car.id, channel="phone", category="time",
                                 received_at=clock.utcnow(), description=f"交车晚了 {i}"))
        db.session.add(CareReminder(store_id=store.id, customer_id=car.customer_id, vehicle_id=car.id,
                                    kind="insurance", occasion=f"{car.id}-{i}/30", occasion_on=date.today(),
                                    due_on=date.today()))
        db.session.add(OutgoingMessage(store_id=store.id, customer_id=car.customer_id, to="13900000000",
                                       body=f"保险到期提醒 {i}"))
        db.session.add(WinBackCall(store_id=store.id, customer_id=car.customer_id,
                                   list_month=date(1990 + car.id % 30, 1 + i % 12, 1)))
    db.session.commit()


def test_customer_page_shows_the_file_and_the_whole_history(client, login_as, db, store, make_vehicle):
    user = login_as(Role.CARE)
    car = make_vehicle(plate="沪K12345", odometer_km=20000, last_service_on=today_of(store) - timedelta(days=30),
                       insurer_name="太平洋保险", insurance_expires_on=today_of(store) + timedelta(days=20),
                       inspection_due_on=today_of(store) + timedelta(days=200))
    car.customer.wishes = "需要代步车"
    car.customer.wechat = "wx_k"
    db.session.commit()
    _history(db, store, car, user, 2)
    page = client.get(f"/customers/{car.customer_id}").get_data(as_text=True)
    for text in ("需要代步车", "wx_k", "太平洋保险", "常规保养 1", "机油滤清器", "满意 0", "交车晚了 1", "保险到期提醒 0",
                 'data-testid="completeness"', 'data-testid="history"', 'data-testid="next-service"'):
        assert text in page, text
    only_calls = client.get(f"/customers/{car.customer_id}?kind=complaint").get_data(as_text=True)
    assert "交车晚了 1" in only_calls and "常规保养 1" not in only_calls
    few = queries_for(db, client, f"/customers/{car.customer_id}")
    _history(db, store, make_vehicle(customer=car.customer, plate="沪K22345"), user, 8)
    assert queries_for(db, client, f"/customers/{car.customer_id}") == few


def test_history_is_newest_first(db, store, make_vehicle, make_user):
    car = make_vehicle()
    _history(db, store, car, make_user(Role.CARE), 3)
    entries = customer_file.history(car.customer_id, store.id)
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    assert {e.kind for e in entries} == {"visit", "call", "complaint", "reminder", "message", "win_back"}


def test_a_technician_sees_the_contact_but_not_the_history(client, login_as, make_vehicle):
    login_as(Role.TECHNICIAN)
    car = make_vehicle(plate="沪L12345")
    page = client.get(f"/customers/{car.customer_id}").get_data(as_text=True)
    assert "沪L12345" in page and 'data-testid="history"' not in page
    assert client.get("/customers/999999").status_code == 404


# ---------------------------------------------------------------- editing the file
def test_edit_refuses_a_number_that_is_not_a_mobile_and_keeps_what_was_typed(client, login_as, make_customer, db):
    login_as(Role.CARE)
    customer = make_customer(name="张伟", mobile="13911112222")
    response = client.post(f"/records/customers/{customer.id}/edit",
                           data={"name": "张伟", "mobile": "0211234567", "preferred_contact_time": "morning",
                                 "wechat": "zw_new", "wishes": "保养前请短信提醒"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "has-error" in body and "0211234567" in body
    assert 'value="zw_new"' in body and "保养前请短信提醒" in body
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).mobile == "13911112222"
    ok = client.post(f"/records/customers/{customer.id}/edit",
                     data={"name": "张伟", "mobile": "13911112222", "preferred_contact_time": "morning",
                           "wechat": "zw_new", "wishes": "保养前请短信提醒"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).wishes == "保养前请短信提醒"


def test_vehicle_edit_saves_the_file_fields_and_recomputes_the_next_service(client, login_as, make_vehicle, db, store):
    login_as(Role.ADVISOR)
    car = make_vehicle(plate="沪M12345", odometer_km=20000)
    last = today_of(store) - timedelta(days=20)
    response = client.post(f"/records/vehicles/{car.id}/edit", data={
        "plate": "沪M12345", "model": "迈腾", "last_service_on": last.isoformat(), "service_interval_months": "4",
        "insurer_name": "中华联合", "insurance_expires_on": "2026-08-01", "inspection_due_on": "2027-08-01",
        "registered_on": "2021-08-01"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    car = db.session.get(Vehicle, car.id)
    assert car.insurer_name == "中华联合" and car.service_interval_months == 4
    assert car.next_service_on is not None and car.next_service_on <= add_months(last, 4)
    bad = client.post(f"/records/vehicles/{car.id}/edit", data={"plate": "沪M12345", "model": "迈腾",
                                                                "service_interval_km": "12"})
    assert bad.status_code == 422 and "has-error" in bad.get_data(as_text=True)


def test_a_new_interval_moves_the_kilometre_target(db, store, make_vehicle):
    car = make_vehicle(odometer_km=20000, last_service_on=today_of(store) - timedelta(days=10))
    target = car.next_service_km
    assert target is not None
    services.update_vehicle(car.id, store_id=store.id, plate=car.plate, model=car.model, vin=None, colour=None,
                            model_year=None, service_interval_km=5000)
    assert car.next_service_km == target - 10000 + 5000


def test_old_callers_of_update_customer_keep_the_new_fields(db, store, make_customer):
    customer = make_customer(wechat="keep_me", wishes="需要代步车")
    services.update_customer(customer.id, store_id=store.id, name="新名字", mobile=customer.mobile, address=None,
                             birthday=None, preferred_contact_time="any", note=None)
    assert (customer.wechat, customer.wishes) == ("keep_me", "需要代步车")


# ---------------------------------------------------------------- demo
def test_seed_files_is_fast_realistic_and_idempotent(db, store, make_vehicle, make_customer):
    from intranet.demo.care_files import seed_files

    for n in range(60):
        owner = make_customer(address="上海市静安区", birthday=date(1980, 1 + n % 12, 3))
        make_vehicle(customer=owner, model_year=2018 + n % 7, odometer_km=10000 + n * 700,
                     vin=good_vin(f"LFV2A21K0A{n:07d}"))
    today = today_of(store)
    started = time.perf_counter()
    seed_files(store, today)
    db.session.commit()
    assert time.perf_counter() - started < 3
    cars = db.session.scalars(select(Vehicle)).all()
    expiries = [c.insurance_expires_on for c in cars if c.insurance_expires_on]
    assert len(expiries) > 40 and all(today <= d <= today + timedelta(days=366) for d in expiries)
    assert all(c.insurer_name for c in cars if c.insurance_expires_on)
    snapshot = [(c.id, c.registered_on, c.insurance_expires_on, c.inspection_due_on, c.next_service_on) for c in cars]
    seed_files(store, today)
    assert not any(db.session.is_modified(o) for o in db.session.dirty)
    db.session.commit()
    assert snapshot == [(c.id, c.registered_on, c.insurance_expires_on, c.inspection_due_on, c.next_service_on)
                        for c in db.session.scalars(select(Vehicle)).all()]
    incomplete = db.session.scalar(select(func.count(Customer.id)).where(customer_file.incomplete_condition()))
    assert 0 < incomplete < 60
