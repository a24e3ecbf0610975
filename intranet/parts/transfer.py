"""Bringing a catalogue in from CSV or Excel (row by row, with a report of what was refused and
why) and taking it out again."""
from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.core import xlsx_stream
from intranet.core.uploads import csv_text, read_table_file
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts import ledger, services
from intranet.parts.models import MovementKind, Part, Supplier

# The columns, as headed in the file (Chinese or English headings are both recognised).
COLUMNS = (
    ("number", "配件编号", "part number"),
    ("name", "配件名称", "name"),
    ("fitment", "适用车型", "fitment"),
    ("abc_class", "ABC分类", "abc class"),
    ("unit", "单位", "unit"),
    ("cost", "成本价", "cost"),
    ("price", "销售价", "price"),
    ("reorder_point", "订货点", "reorder point"),
    ("reorder_quantity", "订货量", "reorder quantity"),
    ("supplier", "供应商", "supplier"),
    ("bin_code", "库位", "bin"),
    ("on_hand", "期初库存", "opening stock"),
)
# The export adds what is on the shelf today, for reading only: an import never takes stock from it
# (stock changes through receipts, counts and write-offs), and the opening-stock column is left empty
# so a file exported, edited in Excel and imported again changes the catalogue, not the stock.
STOCK_COLUMN = ("stock_now", "现有库存(只读)", "on hand (read only)")
_HEADINGS = {heading.strip().lower(): key for key, zh, en in (*COLUMNS, STOCK_COLUMN) for heading in (key, zh, en)}
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class ImportRow:
    line: int  # the row number in the file, heading = 1
    number: str
    outcome: str  # "created", "updated" or "refused"
    message: str = ""  # why it was refused, or what of an accepted row was not taken


def read_table(upload) -> list[dict]:
    """The rows of an uploaded .csv (UTF-8 or GBK) or .xlsx as dicts keyed by column key."""
    rows = [cells for _n, cells in read_table_file(upload, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)]
    keys = [_HEADINGS.get(str(h or "").strip().lower()) for h in rows[0]]
    if "number" not in keys or "name" not in keys:
        raise DomainError(_l("The first row must name the columns; at least the part number (配件编号) and the name "
                             "(配件名称)."), field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise DomainError(_l("At most %(n)d rows at a time.", n=MAX_ROWS), field="file")
    return [{key: ("" if value is None else str(value).strip()) for key, value in zip(keys, row) if key}
            for row in rows[1:]]


def import_catalogue(rows: list[dict], *, store_id: int, actor_id: int | None) -> list[ImportRow]:
    """Create or update parts row by row; each row stands alone (a refused row changes nothing and
    does not stop the others). An opening stock is booked only for a part that has none yet."""
    supplier_ids = {s.name: s.id for s in db.session.scalars(select(Supplier).where(Supplier.store_id == store_id))}
    existing = {p.number: p for p in db.session.scalars(select(Part).where(Part.store_id == store_id))}
    report = []
    for line, row in enumerate(rows, start=2):
        number = (row.get("number") or "").strip().upper()
        try:
            with db.session.begin_nested():
                report.append(_import_row(row, number, store_id, actor_id, supplier_ids, existing, line))
        except DomainError as refused:
            report.append(ImportRow(line, number, "refused", str(refused.message)))
    return report


def _import_row(row, number, store_id, actor_id, supplier_ids, existing, line) -> ImportRow:
    part = existing.get(number)
    supplier = (row.get("supplier") or "").strip()
    if supplier and supplier not in supplier_ids:
        raise DomainError(_l("Unknown supplier “%(name)s”.", name=supplier))
    values = {key: row.get(key) for key in services.PART_FIELDS if key in row}
    if part is not None:  # a column the file does not have, or an empty cell, keeps the part's value
        values = {key: value for key, value in values.items() if value not in (None, "")}
        for key in services.PART_FIELDS:
            values.setdefault(key, getattr(part, key))
    values["number"] = number
    values["supplier_id"] = supplier_ids.get(supplier) if supplier else (part.supplier_id if part else None)
    opening = (row.get("on_hand") or "").strip()
    quantity = (ledger.quantity_from(opening, "on_hand")
                if opening and part is None and _differs(opening, 0) else None)
    saved = services.save_part(store_id=store_id, part_id=part.id if part else None, **values)
    existing[number] = saved
    if part is not None:
        # an existing part's stock is what its ledger says: an opening stock in the file (an old
        # export wrote the on-hand there) is not booked, and said so only when it differs
        ignored = ""
        if opening and _differs(opening, part.on_hand):
            ignored = str(_l("Opening stock %(quantity)s not booked: %(number)s is already in the catalogue (its "
                             "stock changes through receipts and counts).", quantity=opening, number=number))
        return ImportRow(line, number, "updated", ignored)
    if quantity:
        ledger.post(saved.id, quantity, MovementKind.OPENING, store_id=store_id, actor_id=actor_id, note="import")
    return ImportRow(line, number, "created")


def _differs(typed: str, on_hand) -> bool:
    try:
        return Decimal(typed) != Decimal(on_hand or 0)
    except (InvalidOperation, ValueError):
        return True


def _export_rows(store_id: int):
    """The catalogue's rows, read as plain columns (no ORM objects: 3 000 parts in a few ms)."""
    rows = db.session.execute(
        select(Part.number, Part.name, Part.fitment, Part.abc_class, Part.unit, Part.cost, Part.price,
               Part.reorder_point, Part.reorder_quantity, Supplier.name, Part.bin_code, Part.on_hand)
        .outerjoin(Supplier, Supplier.id == Part.supplier_id)
        .where(Part.store_id == store_id).order_by(Part.number)
        .execution_options(yield_per=500))
    for (number, name, fitment, abc, unit, cost, price, reorder_point, reorder_quantity, supplier, bin_code,
         on_hand) in rows:
        yield [number, name, fitment or "", abc, unit, cost, price, reorder_point, reorder_quantity, supplier or "",
               bin_code or "", "", on_hand]


def _export_headings() -> list[str]:
    return [zh for _key, zh, _en in (*COLUMNS, STOCK_COLUMN)]


class _Line:
    """csv.writer's file: keeps the last line written."""

    def write(self, text: str) -> None:
        self.text = text


def stream_csv(store_id: int) -> Iterator[bytes]:
    """The catalogue as CSV (UTF-8 with a BOM, so Excel opens it as UTF-8), in pieces of 500 rows."""
    line = _Line()
    writer = csv.writer(line)
    writer.writerow(_export_headings())
    batch = ["\ufeff" + line.text]
    for row in _export_rows(store_id):
        writer.writerow([csv_text(v) for v in row])
        batch.append(line.text)
        if len(batch) >= 500:
            yield "".join(batch).encode("utf-8")
            batch = []
    yield "".join(batch).encode("utf-8")


def stream_xlsx(store_id: int) -> Iterator[bytes]:
    """The catalogue as an Excel workbook, in pieces as it is written: amounts as numbers, text as
    text (a name that would start a formula stays text)."""
    return xlsx_stream.stream_xlsx(_export_headings(), _export_rows(store_id), sheet_title="配件")


def export_csv(store_id: int) -> bytes:
    return b"".join(stream_csv(store_id))


def export_xlsx(store_id: int) -> bytes:
    return b"".join(stream_xlsx(store_id))
