"""Reading an uploaded table — a CSV (UTF-8 or GBK, as Chinese Excel saves it) or an Excel .xlsx —
into numbered rows, with the refusals every import shares (no file, too large, not a table, not
readable, empty). Each import then maps the heading row to its own columns.

And the other way, what every export shares: a text cell that a spreadsheet would run as a formula
(a part or customer name like `=HYPERLINK(…)`) is written as text — in CSV behind an apostrophe,
which reading a CSV takes off again so an export re-imports as it was; in Excel as a text cell."""
from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l

from intranet.errors import DomainError

MAX_BYTES = 20 * 1024 * 1024

Rows = list[tuple[int, list]]  # (row number in the file, heading = 1; the cells), blank rows left out

# What starts a formula in Excel, WPS and LibreOffice (and the tab and return some of them skip first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """A value for a CSV cell: text that would start a formula gets an apostrophe in front."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def as_text_cells(cells) -> None:
    """openpyxl cells just written: text that openpyxl took for a formula stays text."""
    for cell in cells:
        if getattr(cell, "data_type", None) == "f":
            cell.data_type = "s"


def _from_csv(cell: str) -> str:
    """What `csv_text` wrote, back as it was."""
    return cell[1:] if cell.startswith("'") and cell[1:2] in FORMULA_START and cell[1:2] else cell


def read_table_file(upload, *, max_bytes: int = MAX_BYTES) -> Rows:
    """The rows of an uploaded .csv/.txt or .xlsx (a werkzeug FileStorage)."""
    if upload is None or not getattr(upload, "filename", ""):
        raise DomainError(_l("Choose a CSV or Excel file."), field="file")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="file")
    name = upload.filename.lower()
    if name.endswith(".xlsx"):
        rows = xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        rows = csv_rows(data)
    else:
        raise DomainError(_l("“%(name)s” is neither a CSV nor an Excel (.xlsx) file.", name=upload.filename),
                          field="file")
    if not rows:
        raise DomainError(_l("The file is empty."), field="file")
    return rows


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 reads every GBK file
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_l("The file's text could not be read: save it as CSV (UTF-8 or GBK)."), field="file")


def csv_rows(data: bytes, *, sniff: bool = False) -> Rows:
    """With `sniff`, a first line holding tabs or semicolons and no comma sets the delimiter."""
    text = decode_text(data)
    delimiter = ","
    if sniff:
        first = text.split("\n", 1)[0]
        if "," not in first:
            delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    return [(n, [_from_csv(cell) for cell in row])
            for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1)
            if any(cell.strip() for cell in row)]


def xlsx_rows(data: bytes) -> Rows:
    """The first sheet's rows; cells keep their Excel types (numbers, dates)."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error for a file that is not a workbook
        raise DomainError(_l("This Excel file could not be opened."), field="file") from None
    return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(cell not in (None, "") for cell in row)]
