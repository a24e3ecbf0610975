"""Any report `Table` as a file a manager opens in Excel: CSV (UTF-8 with a BOM, so Excel shows
Chinese correctly) or XLSX (numbers, money, percentages and dates typed by the column's kind,
a bold header, sensible widths), and the HTTP answer that downloads it under a Chinese-safe name."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from intranet.core.uploads import as_text_cells, csv_text
from intranet.reports.tables import DATE, DATETIME, DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Table

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")

_NUMBER_FORMATS = {
    INT: "#,##0",
    MONEY: "#,##0.00",
    DECIMAL: "#,##0.0#",
    PERCENT: "0.0%",
    DATE: "yyyy-mm-dd",
    DATETIME: "yyyy-mm-dd hh:mm",
}


def _label(column: Column) -> str:
    return str(column.label)


def _percent_fraction(value) -> Decimal:
    """A PERCENT cell holds the percentage as shown (95.5 = 95.5 %): Excel wants the fraction."""
    return Decimal(str(value)) / 100


def typed(value, kind: str):
    """The cell value as its column's kind says: a number, a date, or text. Unusable values (a
    number column holding text) are kept as text rather than dropped."""
    if value is None or value == "":
        return None
    try:
        if kind == INT:
            return int(value)
        if kind in (MONEY, DECIMAL, PERCENT):
            return Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return str(value)
    if kind == DATETIME and isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if kind == DATE and isinstance(value, datetime):
        return value.date()
    if kind in (DATE, DATETIME) and isinstance(value, date):
        return value
    return str(value) if not isinstance(value, (int, float, Decimal, date)) else value


def _csv_cell(value, kind: str) -> str:
    value = typed(value, kind)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind == MONEY and isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def _csv_text_cell(value, kind: str) -> str:
    """A text column's cell that would start a formula is written as text; numbers stay numbers."""
    text = _csv_cell(value, kind)
    return csv_text(text) if kind == TEXT else text


def to_csv(table: Table) -> bytes:
    """The table as CSV: one header row of the columns' labels, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_label(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_text_cell(row.get(c.key), c.kind) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")  # with a BOM, so Excel opens it as UTF-8


def _width(values: list[str]) -> float:
    """A column wide enough for its longest text (Chinese characters count double), within reason."""
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) for text in values), default=8)
    return float(min(max(longest + 2, 8), 48))


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(table: Table, *, sheet_title: str | None = None) -> bytes:
    """The table as an Excel workbook of one sheet: a bold, frozen header; each column typed by
    its kind; the table's note (e.g. the formula) below the rows."""
    book = Workbook()
    sheet = book.active
    title = _SHEET_FORBIDDEN.sub(" ", str(sheet_title or table.title or "Sheet")).strip()[:31]
    sheet.title = title or "Sheet"
    sheet.append([_label(c) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center")
    sheet.freeze_panes = "A2"
    texts = [[_label(c)] for c in table.columns]
    for row in table.rows:
        values = []
        for index, column in enumerate(table.columns):
            value = typed(row.get(column.key), column.kind)
            if column.kind == PERCENT and isinstance(value, Decimal):
                value = _percent_fraction(value)
            values.append(value)
            texts[index].append(_csv_cell(row.get(column.key), column.kind))
        sheet.append(values)
        as_text_cells(sheet[sheet.max_row])
        for column, cell in zip(table.columns, sheet[sheet.max_row]):
            if column.kind in _NUMBER_FORMATS and cell.value is not None and not isinstance(cell.value, str):
                cell.number_format = _NUMBER_FORMATS[column.kind]
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = _width(texts[index - 1]) if column.kind == TEXT else max(
            _width(texts[index - 1]), 12.0)
    if table.note:
        sheet.append([])
        sheet.append([str(table.note)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True, color="4A5673")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(table: Table, fmt: str) -> tuple[bytes, str]:
    """(body, content type) of the table in `fmt` ("csv" or "xlsx")."""
    if fmt == "xlsx":
        return to_xlsx(table), XLSX_TYPE
    if fmt == "csv":
        return to_csv(table), CSV_TYPE
    raise ValueError(f"unknown export format {fmt!r}")


def content_disposition(filename: str) -> str:
    """attachment; filename="<ASCII fallback>"; filename*=UTF-8''<the real name> (RFC 6266/5987):
    every browser then saves 产值明细-2025-03.xlsx under its Chinese name."""
    stem, dot, ext = filename.rpartition(".") if "." in filename else (filename, "", "")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("_-") or "report"
    fallback = stem + dot + re.sub(r"[^A-Za-z0-9]+", "", ext)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(table: Table, fmt: str, name: str) -> Response:
    """The HTTP answer that downloads `table` as `<name>.<fmt>`."""
    body, content_type = render(table, fmt)
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition(f"{name}.{fmt}")
    response.headers["Cache-Control"] = "no-store"
    return response
