"""The catalogue goes out to Excel and comes back: the export wrote the on-hand into the opening-stock
column and the import refused a part that had stock, so a price changed in Excel was lost. Exported,
edited and imported again (CSV and XLSX, through the pages), the price changes and the stock does not;
the opening stock is booked only for a part new to the catalogue."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from intranet.core.models import Role
from intranet.parts import ledger, services, transfer
from intranet.parts.models import MovementKind, Part, StockMovement, Supplier


@pytest.fixture
def catalogue(db, store):
    supplier = Supplier(store_id=store.id, name="一汽大众配件中心")
    db.session.add(supplier)
    db.session.flush()
    for number, name, cost, price, stock, bin_code in (("06J115403Q", "机油滤清器", "40", "68", "5", "A-01-2-03"),
                                                       ("5Q0698151", "前刹车片", "380", "420", "2", "A-01-2-04"),
                                                       ("N90813202", "放油螺栓", "3.5", "8", "0", None)):
        part = services.save_part(store_id=store.id, number=number, name=name, cost=cost, price=price,
                                  supplier_id=supplier.id, bin_code=bin_code, abc_class="B")
        if Decimal(stock):
            ledger.post(part.id, Decimal(stock), MovementKind.OPENING, store_id=store.id, actor_id=None)
    db.session.commit()
    return store


def _stock(db):
    return dict(db.session.execute(select(Part.number, Part.on_hand)).all())


def _import(client, data: bytes, filename: str):
    return client.post("/parts/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_export_edit_in_excel_and_import_again_as_csv(client, login_as, db, catalogue):
    login_as(Role.PARTS)
    exported = client.get("/parts/export.csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    head = rows[0]
    assert head[head.index("期初库存")] == "期初库存" and "现有库存(只读)" in head
    opening, now, price = head.index("期初库存"), head.index("现有库存(只读)"), head.index("销售价")
    filter_row = next(r for r in rows if r[0] == "06J115403Q")
    assert filter_row[opening] == "" and filter_row[now] == "5.00"
    filter_row[price] = "72.50"  # the price changed in Excel
    rows.append(["1K0615301AA", "前刹车盘", "迈腾", "A", "件", "210", "380", "2", "4", "一汽大众配件中心",
                 "A-02-1-01", "3", ""])  # a new part, with its opening stock
    edited = io.StringIO()
    csv.writer(edited).writerows(rows)
    before = _stock(db)
    answer = _import(client, edited.getvalue().encode("utf-8-sig"), "parts.csv")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'data-testid="import-refused"' not in page and 'data-testid="import-noted"' not in page
    db.session.expire_all()
    assert services.part_by_number(catalogue.id, "06J115403Q").price == Decimal("72.50")
    after = _stock(db)
    assert {n: after[n] for n in before} == before  # no stock moved for the parts already there
    assert after["1K0615301AA"] == 3
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 3  # two old openings + the new one
    assert ledger.ledger_drift(catalogue.id) == []


def test_export_edit_and_import_again_as_xlsx(client, login_as, db, catalogue):
    login_as(Role.PARTS)
    exported = client.get("/parts/export.xlsx")
    book = load_workbook(io.BytesIO(exported.get_data()))
    sheet = book.active
    head = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "5Q0698151":
            row[head.index("销售价")].value = 455
            row[head.index("成本价")].value = 392.5
    out = io.BytesIO()
    book.save(out)
    before = _stock(db)
    answer = _import(client, out.getvalue(), "parts.xlsx")
    assert answer.status_code == 200 and 'data-testid="import-refused"' not in answer.get_data(as_text=True)
    db.session.expire_all()
    pads = services.part_by_number(catalogue.id, "5Q0698151")
    assert (pads.price, pads.cost, pads.on_hand, pads.bin_code) == (Decimal("455.00"), Decimal("392.50"), 2,
                                                                    "A-01-2-04")
    assert _stock(db) == before


def test_an_old_export_with_the_on_hand_in_the_opening_column_imports_and_says_what_it_did_not_book(db, catalogue):
    """Files exported before: the on-hand sits in 期初库存. Unchanged, it is simply not booked; a figure
    that differs is named in the result, not booked either (stock moves through receipts and counts)."""
    data = ("配件编号,配件名称,销售价,期初库存\n"
            "06J115403Q,机油滤清器,70,5.00\n"
            "5Q0698151,前刹车片,430,9\n").encode("utf-8")
    upload = io.BytesIO(data)
    upload.filename = "old.csv"
    report = transfer.import_catalogue(transfer.read_table(upload), store_id=catalogue.id, actor_id=None)
    db.session.commit()
    assert [(r.number, r.outcome, bool(r.message)) for r in report] == [("06J115403Q", "updated", False),
                                                                       ("5Q0698151", "updated", True)]
    assert "9" in report[1].message
    db.session.expire_all()
    assert _stock(db)["5Q0698151"] == 2 and services.part_by_number(catalogue.id, "5Q0698151").price == 430
