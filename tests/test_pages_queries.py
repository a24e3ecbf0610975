"""Pages people open cost the same number of SQL statements with few rows and with many (issue 18:
the speed itself is measured by bench/pages.py, never here), and the catalogue export is streamed."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import insert

from intranet.core.models import Role
from intranet.parts.models import Part, Supplier
from tests.conftest import statements_for


def _read_counting(db, client, url: str):
    statements, response = statements_for(db, client, url)
    return len(statements), response


def _add_parts(db, store, first: int, count: int, supplier_id: int | None = None) -> None:
    db.session.execute(insert(Part), [
        dict(store_id=store.id, number=f"5Q{n:07d}", name=f"零件 {n}", abc_class="C", unit="件", cost=Decimal("10.5"),
             price=Decimal(20), reorder_point=0, reorder_quantity=5, on_hand=n % 7, reserved=0,
             bin_code=f"A-{n // 125 + 1:02d}-{n // 25 % 5 + 1}-{n % 25 + 1:02d}", active=True,
             supplier_id=supplier_id if n % 2 else None)
        for n in range(first, first + count)])
    db.session.commit()


def test_the_catalogue_export_is_streamed_in_a_constant_number_of_queries(client, login_as, db, store):
    login_as(Role.PARTS)
    supplier = Supplier(store_id=store.id, name="上汽大众配件中心")
    db.session.add(supplier)
    db.session.commit()
    _add_parts(db, store, 0, 3, supplier.id)
    few = {fmt: _read_counting(db, client, f"/parts/export.{fmt}")[0] for fmt in ("csv", "xlsx")}
    _add_parts(db, store, 3, 1200, supplier.id)
    for fmt in ("csv", "xlsx"):
        assert _read_counting(db, client, f"/parts/export.{fmt}")[0] == few[fmt], fmt
        response = client.get(f"/parts/export.{fmt}")
        assert response.is_streamed  # the answer is a generator: rows go out as they are read
        response.close()
    rows = list(csv.reader(io.StringIO(client.get("/parts/export.csv").get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 1203
    assert rows[2][:2] == ["5Q0000001", "零件 1"] and rows[2][9] == "上汽大众配件中心" and rows[2][-1] == "1.00"
    sheet = load_workbook(io.BytesIO(client.get("/parts/export.xlsx").get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 1 + 1203
    assert values[0][0] == "配件编号" and values[2][:2] == ("5Q0000001", "零件 1")
    assert values[2][5] == 10.5 and values[2][9] == "上汽大众配件中心" and values[3][9] is None


def test_the_repair_order_pdf_draws_the_qr_code_of_its_number_module_by_module():
    """The PDF's QR code is drawn as runs of dark modules (not one shape per module): read back
    from the rectangles drawn, it is segno's code of the text."""
    import segno

    from intranet.reception.documents import QR_MASK, _qr

    class Recorder:
        def __init__(self):
            self.rects = []

        def setFillColor(self, colour):
            pass

        def rect(self, x, y, width, height, stroke=1, fill=0):
            self.rects.append((x, y, width, height))

    flowable = _qr("SH01-20261207-0042", size=100)
    flowable.canv = Recorder()
    assert flowable.wrap(500, 500) == (100, 100)
    flowable.draw()
    matrix = segno.make_qr("SH01-20261207-0042", error="m", mask=QR_MASK).matrix
    assert len(matrix) >= 21  # a QR code, not a Micro QR code
    count = len(matrix) + 8
    module = 100 / count
    drawn = [[0] * len(matrix) for _ in matrix]
    for x, y, width, _height in flowable.canv.rects:
        row = round((100 - y) / module) - 1 - 4
        first = round(x / module) - 4
        for col in range(first, first + round(width / module)):
            drawn[row][col] = 1
    assert drawn == [list(r) for r in matrix]
    assert len(flowable.canv.rects) < sum(map(sum, matrix)) * 2 / 3  # runs, not single modules
