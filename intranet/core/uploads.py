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


def read_table_file(upload, *, max_bytes: int = MAX_BYTES, max_rows: int | None = None) -> Rows:
    """The rows of an uploaded .csv/.txt or .xlsx (a werkzeug FileStorage); with `max_rows`, a file
    with more rows under its heading is refused as soon as that is known, before it is read whole."""
    if upload is None or not getattr(upload, "filename", ""):
        raise DomainError(_l("Choose a CSV or Excel file."), field="file")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(_l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)), field="file")
    name = upload.filename.lower()
    if name.endswith(".xlsx"):
        rows = xlsx_rows(data, max_rows=max_rows)
    elif name.endswith((".csv", ".txt")):
        rows = csv_rows(data, max_rows=max_rows)
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


def _bounded(rows, max_rows: int | None) -> Rows:
    """The non-blank rows, refusing as soon as there are more than `max_rows` under the heading (or
    more than ten times as many lines, blank or not): a million-row sheet is not read whole first."""
    found: Rows = []
    for seen, (n, row) in enumerate(rows, start=1):
        if any(cell not in (None, "") and not (isinstance(cell, str) and not cell.strip()) for cell in row):
            found.append((n, row))
        if max_rows is not None and (len(found) > max_rows + 1 or seen > 10 * (max_rows + 1)):
            raise DomainError(_l("At most %(n)d rows at a time.", n=max_rows), field="file")
    return found


def csv_rows(data: bytes, *, sniff: bool = False, max_rows: int | None = None) -> Rows:
    """With `sniff`, a first line holding tabs or semicolons and no comma sets the delimiter."""
    text = decode_text(data)
    delimiter = ","
    if sniff:
        first = text.split("\n", 1)[0]
        if "," not in first:
            delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return _bounded(((n, [_from_csv(cell) for cell in row]) for n, row in enumerate(reader, start=1)), max_rows)


def xlsx_rows(data: bytes, *, max_rows: int | None = None) -> Rows:
    """The first sheet's rows; cells keep their Excel types (numbers, dates)."""
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error for a file that is not a workbook
        raise DomainError(_l("This Excel file could not be opened."), field="file") from None
    return _bounded(((n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)), max_rows)
