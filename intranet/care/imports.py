"""Bringing existing customers and their cars in from CSV or Excel — row by row, each row on its
own, with a report of every refused row and why — and taking the files out again.

A row is one customer and (optionally) one car. A customer already on file is found by mobile and
updated; a car by plate. An empty cell never erases what is on file."""
from __future__ import annotations

import base64
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.customer_file import plan_service
from intranet.care.settings import settings_for
from intranet.core import services
from intranet.core.identifiers import validate_mobile, validate_plate
from intranet.core.models import ContactTime, Customer, Store, Vehicle
from intranet.core.uploads import as_text_cells, csv_text, read_table_file
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

# (key, Chinese heading, English heading): the order of the export and of the template.
COLUMNS = (
    ("name", "姓名", "name"),
    ("mobile", "手机", "mobile"),
    ("address", "地址", "address"),
    ("birthday", "生日", "birthday"),
    ("preferred_contact_time", "联系时间偏好", "preferred contact time"),
    ("wechat", "微信", "wechat"),
    ("wishes", "客户需求", "wishes"),
    ("plate", "车牌", "plate"),
    ("vin", "VIN", "vin"),
    ("model", "车型", "model"),
    ("colour", "颜色", "colour"),
    ("model_year", "年款", "model year"),
    ("registered_on", "上牌日期", "registered on"),
    ("odometer_km", "里程", "odometer"),
    ("last_service_on", "上次保养日期", "last service on"),
    ("service_interval_km", "保养间隔公里", "service interval km"),
    ("service_interval_months", "保养间隔月", "service interval months"),
    ("insurer_name", "保险公司", "insurer"),
    ("insurance_expires_on", "保险到期", "insurance expires on"),
    ("inspection_due_on", "年审日期", "inspection due on"),
    ("last_visit_on", "最近到店", "last visit on"),
)
ALIASES = {
    "手机号": "mobile", "手机号码": "mobile", "电话": "mobile", "联系电话": "mobile", "phone": "mobile",
    "客户姓名": "name", "车主": "name", "车牌号": "plate", "车牌号码": "plate", "车架号": "vin",
    "color": "colour", "公里数": "odometer_km", "行驶里程": "odometer_km", "odometerkm": "odometer_km",
    "保险到期日": "insurance_expires_on", "年检日期": "inspection_due_on", "年审到期": "inspection_due_on",
    "微信号": "wechat", "备注需求": "wishes", "联系时间": "preferred_contact_time",
}
DATE_KEYS = ("birthday", "registered_on", "last_service_on", "insurance_expires_on", "inspection_due_on",
             "last_visit_on")
NUMBER_KEYS = {"model_year": (1980, 2100), "odometer_km": (0, 3_000_000),
               "service_interval_km": (1000, 100_000), "service_interval_months": (1, 36)}
CUSTOMER_TEXT = ("address", "wechat", "wishes")
CAR_KEYS = ("vin", "model", "colour", "model_year", "registered_on", "odometer_km", "last_service_on",
            "service_interval_km", "service_interval_months", "insurer_name", "insurance_expires_on",
            "inspection_due_on")
CONTACT_WORDS = {
    "不限": ContactTime.ANY, "任何时间": ContactTime.ANY, "随时": ContactTime.ANY, "全天": ContactTime.ANY,
    "上午": ContactTime.MORNING, "中午": ContactTime.NOON, "下午": ContactTime.AFTERNOON,
    "晚上": ContactTime.EVENING, "傍晚": ContactTime.EVENING, "anytime": ContactTime.ANY,
}
CONTACT_EXPORT = {ContactTime.ANY: "不限", ContactTime.MORNING: "上午", ContactTime.NOON: "中午",
                  ContactTime.AFTERNOON: "下午", ContactTime.EVENING: "晚上"}
MAX_ROWS = 20_000
MAX_BYTES = 20 * 1024 * 1024


def _heading_key(text) -> str:
    return re.sub(r"[（(].*?[)）]|[\s_\-]", "", str(text or "").strip().lower())


_HEADINGS = {_heading_key(h): key for key, zh, en in COLUMNS for h in (key, zh, en)}
_HEADINGS.update({_heading_key(h): key for h, key in ALIASES.items()})


@dataclass
class Table:
    headings: list[str]  # as written in the file
    rows: list[tuple[int, dict, list]]  # (row number in the file, {key: cell}, the raw cells)
    columns: dict[str, str] = field(default_factory=dict)  # key -> the file's heading, for messages


@dataclass
class ImportRow:
    line: int  # the row number in the file, heading = 1
    name: str
    mobile: str
    plate: str
    outcome: str  # "created", "updated" or "refused"
    message: str = ""  # why it was refused, or a note on what was not taken
    cells: list = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[ImportRow]
    headings: list[str]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.outcome == "refused"]

    @property
    def noted(self) -> list[ImportRow]:
        return [r for r in self.rows if r.outcome != "refused" and r.message]

    def refused_csv_data_url(self) -> str:
        """The refused rows as they were in the file, with the reason in a last column: fix, re-import."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*self.headings, "拒绝原因"])
        for row in self.refused:
            cells = [_cell_text(c) for c in row.cells] + [""] * (len(self.headings) - len(row.cells))
            writer.writerow([*cells[:len(self.headings)], row.message])
        body = out.getvalue().encode("utf-8-sig")
        return "data:text/csv;charset=utf-8;base64," + base64.b64encode(body).decode()


# ---------------------------------------------------------------- reading the file
def read_table(upload) -> Table:
    """The rows of an uploaded .csv (UTF-8 or GBK) or .xlsx. Excel dates stay dates."""
    rows = read_table_file(upload, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    _first, heading_cells = rows[0]
    headings = [_cell_text(h) for h in heading_cells]
    keys = [_HEADINGS.get(_heading_key(h)) for h in headings]
    if "name" not in keys or "mobile" not in keys:
        raise DomainError(_l("The first row must name the columns; at least the name (姓名) and the mobile (手机). "
                             "Download the template to see them all."), field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise DomainError(_l("At most %(n)d rows at a time.", n=MAX_ROWS), field="file")
    columns = {}
    for key, heading in zip(keys, headings):
        if key and key not in columns:
            columns[key] = heading
    table_rows = []
    for line, cells in rows[1:]:
        values = {}
        for key, cell in zip(keys, cells):
            if key and key not in values:
                values[key] = cell
        table_rows.append((line, values, list(cells)))
    return Table(headings, table_rows, columns)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # Excel keeps numbers (a mobile, a year) as floats
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# ---------------------------------------------------------------- reading the cells
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date(value, column: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()[:3]))
        except ValueError:
            pass
    raise DomainError(_l("%(column)s: “%(value)s” is not a date (write it as 2025-03-31).", column=column,
                         value=text))


def _number(value, column: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = re.sub(r"[,，\s]|km$|公里$|千米$|个?月$", "", _cell_text(value).lower())
        if not re.fullmatch(r"\d+(\.0+)?", text):
            raise DomainError(_l("%(column)s: “%(value)s” is not a whole number.", column=column,
                                 value=_cell_text(value)))
        number = int(float(text))
    if not low <= number <= high:
        raise DomainError(_l("%(column)s: %(value)s is out of range (%(low)s–%(high)s).", column=column,
                             value=number, low=low, high=high))
    return number


def _contact_time(value, column: str) -> str | None:
    text = _cell_text(value)
    if not text:
        return None
    lowered = text.lower().replace(" ", "")
    for choice in ContactTime:
        if lowered in (choice.value, _heading_key(choice.label)):
            return choice.value
    for word, choice in CONTACT_WORDS.items():
        if lowered.startswith(word):
            return choice.value
    raise DomainError(_l("%(column)s: “%(value)s” is not a time to call (上午, 中午, 下午, 晚上 or 不限).",
                         column=column, value=text))


@dataclass
class _Parsed:
    text: dict
    dates: dict
    numbers: dict
    contact_time: str | None


def _parse(values: dict, columns: dict) -> _Parsed:
    """Every cell checked before anything is written: a bad date or number refuses the row."""
    def heading(key):
        return columns.get(key, key)

    text = {key: _cell_text(values.get(key)) for key in
            ("name", "mobile", "address", "wechat", "wishes", "plate", "vin", "model", "colour", "insurer_name")}
    dates = {key: _date(values.get(key), heading(key)) for key in DATE_KEYS}
    numbers = {key: _number(values.get(key), heading(key), *bounds) for key, bounds in NUMBER_KEYS.items()}
    return _Parsed(text, dates, numbers, _contact_time(values.get("preferred_contact_time"),
                                                       heading("preferred_contact_time")))


# ---------------------------------------------------------------- importing
def import_customers(table: Table, *, store_id: int) -> ImportReport:
    """Create or update customers and cars row by row; each row stands alone (a refused row changes
    nothing and does not stop the others)."""
    store = db.session.get(Store, store_id)
    settings = settings_for(store_id)
    report = []
    for line, values, cells in table.rows:
        name, mobile, plate = (_cell_text(values.get(k)) for k in ("name", "mobile", "plate"))
        try:
            with db.session.begin_nested():
                outcome, note = _import_row(values, table.columns, store, settings)
            report.append(ImportRow(line, name, mobile, plate, outcome, note, cells))
        except DomainError as refused:
            report.append(ImportRow(line, name, mobile, plate, "refused", str(refused.message), cells))
    return ImportReport(report, table.headings)


def _import_row(values: dict, columns: dict, store: Store, settings) -> tuple[str, str]:
    row = _parse(values, columns)
    t, d, n = row.text, row.dates, row.numbers
    if not t["name"]:
        raise DomainError(_l("The name is missing."))
    if not t["mobile"]:
        raise DomainError(_l("The mobile number is missing."))
    mobile = validate_mobile(t["mobile"])
    customer = db.session.scalar(select(Customer).where(Customer.store_id == store.id, Customer.mobile == mobile))
    # check the car before writing the customer: a refused row writes nothing
    car_given = any(t.get(k) for k in ("vin", "model", "colour", "insurer_name")) or any(
        d.get(k) for k in ("registered_on", "last_service_on", "insurance_expires_on", "inspection_due_on")) or any(
        n.get(k) is not None for k in NUMBER_KEYS)
    plate = validate_plate(t["plate"]) if t["plate"] else None
    if plate is None and car_given:
        raise DomainError(_l("Car details without a plate: add the plate, or leave the car columns empty."),
                          field="plate")
    vehicle = None
    if plate:
        vehicle = db.session.scalar(select(Vehicle).options(joinedload(Vehicle.customer))
                                    .where(Vehicle.store_id == store.id, Vehicle.plate == plate))
        if vehicle is not None and vehicle.customer is not None and (
                customer is None or vehicle.customer_id != customer.id):
            raise Conflict(_l("The plate %(plate)s is on file as the car of another customer (%(name)s, %(mobile)s).",
                              plate=plate, name=vehicle.customer.name, mobile=vehicle.customer.mobile), field="plate")

    def keep(key, current):
        return t[key] if t[key] else current

    if customer is None:
        customer = services.create_customer(
            store_id=store.id, name=t["name"], mobile=mobile, address=t["address"], birthday=d["birthday"],
            preferred_contact_time=row.contact_time or ContactTime.ANY, wechat=t["wechat"], wishes=t["wishes"])
        outcome = "created"
    else:
        services.update_customer(
            customer.id, store_id=store.id, name=t["name"], mobile=mobile, address=keep("address", customer.address),
            birthday=d["birthday"] or customer.birthday,
            preferred_contact_time=row.contact_time or customer.preferred_contact_time, note=customer.note,
            wechat=keep("wechat", customer.wechat), wishes=keep("wishes", customer.wishes))
        outcome = "updated"
    if d["last_visit_on"] and (customer.last_visit_on is None or customer.last_visit_on < d["last_visit_on"]):
        customer.last_visit_on = d["last_visit_on"]
    note = ""
    if plate:
        note = _import_car(vehicle, plate, customer, row, store, settings)
    db.session.flush()
    return outcome, note


def _import_car(vehicle: Vehicle | None, plate: str, customer: Customer, row: _Parsed, store: Store,
                settings) -> str:
    t, d, n = row.text, row.dates, row.numbers
    if vehicle is None:
        vehicle = services.create_vehicle(store_id=store.id, customer_id=customer.id, plate=plate, model=t["model"],
                                          vin=t["vin"] or None, colour=t["colour"] or None,
                                          model_year=n["model_year"])
    else:
        vehicle.customer_id = customer.id  # a car on file without an owner gets this one
        services.update_vehicle(vehicle.id, store_id=store.id, plate=plate, model=t["model"] or vehicle.model,
                                vin=t["vin"] or vehicle.vin, colour=t["colour"] or vehicle.colour,
                                model_year=n["model_year"] or vehicle.model_year, open_notes=vehicle.open_notes)
    file_values = {key: value for key, value in {
        "registered_on": d["registered_on"], "last_service_on": d["last_service_on"],
        "service_interval_km": n["service_interval_km"], "service_interval_months": n["service_interval_months"],
        "insurer_name": t["insurer_name"] or None, "insurance_expires_on": d["insurance_expires_on"],
        "inspection_due_on": d["inspection_due_on"]}.items() if value is not None}
    file_values = services.check_file_fields(file_values)
    before = (vehicle.service_interval_km, vehicle.last_service_on)
    note = ""
    km = n["odometer_km"]
    if km is not None:
        if vehicle.last_odometer_km is not None and km < vehicle.last_odometer_km:
            note = str(_l("Odometer %(km)s km is lower than the %(last)s km on file: the file's reading was kept.",
                          km=f"{km:,}", last=f"{vehicle.last_odometer_km:,}"))
        elif km != vehicle.last_odometer_km:
            read_on = d["last_visit_on"] or d["last_service_on"]
            vehicle.last_odometer_km = km
            vehicle.last_odometer_at = (clock.store_local_to_utc(datetime.combine(read_on, time(12)), store.timezone)
                                        if read_on else clock.utcnow())
    for key, value in file_values.items():
        setattr(vehicle, key, value)
    if vehicle.last_service_on != before[1]:
        vehicle.next_service_km = None
        plan_service(vehicle, settings)
    else:
        plan_service(vehicle, settings, interval_was=before[0] or settings.service_interval_km)
    return note


# ---------------------------------------------------------------- export and template
def _export_rows(store_id: int):
    """One row per car (a customer without a car: one row without one), in the import's columns."""
    customers = db.session.scalars(select(Customer).options(joinedload(Customer.vehicles))
                                   .where(Customer.store_id == store_id).order_by(Customer.name_initials,
                                                                                   Customer.id)).unique()
    for c in customers:
        person = [c.name, c.mobile, c.address or "", c.birthday,
                  CONTACT_EXPORT.get(c.preferred_contact_time, ""), c.wechat or "",
                  c.wishes or ""]
        for v in c.vehicles or [None]:
            car = ([v.plate, v.vin or "", v.model, v.colour or "", v.model_year, v.registered_on, v.last_odometer_km,
                    v.last_service_on, v.service_interval_km, v.service_interval_months, v.insurer_name or "",
                    v.insurance_expires_on, v.inspection_due_on] if v else [""] * 13)
            yield person + car + [c.last_visit_on]


def _csv_value(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def export_csv(store_id: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([zh for _key, zh, _en in COLUMNS])
    for row in _export_rows(store_id):
        writer.writerow([csv_text(v) if isinstance(v, str) else _csv_value(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so Excel opens it as UTF-8


def _workbook(rows, *, notes: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "客户档案"
    sheet.append([zh for _key, zh, _en in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (key, _zh, _en) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 14 if key not in ("address", "wishes", "vin") else 24
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
        as_text_cells(sheet[sheet.max_row])
        for key, cell in zip((k for k, _z, _e in COLUMNS), sheet[sheet.max_row]):
            if key in DATE_KEYS and cell.value:
                cell.number_format = "yyyy-mm-dd"
            elif key == "mobile":
                cell.number_format = "@"
    if notes:
        help_sheet = book.create_sheet("说明")
        for line in TEMPLATE_NOTES:
            help_sheet.append([line])
        help_sheet.column_dimensions["A"].width = 110
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_xlsx(store_id: int) -> bytes:
    return _workbook(_export_rows(store_id))


TEMPLATE_NOTES = (
    "每行一位客户及其一辆车；一位客户有两辆车时写两行，手机号相同。",
    "必填：姓名、手机（11 位手机号）。有车时填写车牌和车型。",
    "已有客户按手机号匹配并更新；已有车辆按车牌匹配并更新。空白单元格不会清除系统里已有的内容。",
    "日期写作 2025-03-31（也接受 2025/3/31、2025年3月31日）。里程、保养间隔只写数字。",
    "联系时间偏好：上午、中午、下午、晚上 或 不限。",
    "每行单独检查：有问题的行不会导入，结果页列出行号和原因，其余行照常导入。",
    "第一行为列名（中文或英文均可），从第二行起每行一位客户及其一辆车。",
)


def template_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow([zh for _key, zh, _en in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    return _workbook([], notes=True)
