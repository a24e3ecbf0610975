"""Uploaded tables and photos: what every import and every camera tap shares (core/uploads.py,
core/photos.py) — the bounds that keep one file from taking the server's time and memory."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from PIL import Image

from intranet.core.photos import MAX_PIXELS, save_photo
from intranet.core.uploads import csv_rows, read_table_file, xlsx_rows
from intranet.errors import DomainError


class Upload(io.BytesIO):
    def __init__(self, data: bytes, filename: str):
        super().__init__(data)
        self.filename = filename


def _xlsx(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    sheet.append(["配件编号", "配件名称"])
    for n in range(rows):
        sheet.append([f"P{n:06d}", "名称"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_table_over_the_row_limit_is_refused_before_it_is_read_whole():
    """A sheet of a million rows was parsed whole before the cap was looked at (9 minutes): the
    reading stops at the first row over it."""
    csv_data = ("a,b\n" + "x,y\n" * 60).encode()
    with pytest.raises(DomainError) as refused:
        csv_rows(csv_data, max_rows=50)
    assert refused.value.field == "file" and "50" in str(refused.value.message)
    assert len(csv_rows(csv_data, max_rows=60)) == 61
    with pytest.raises(DomainError):
        read_table_file(Upload(_xlsx(60), "big.xlsx"), max_rows=50)
    assert len(xlsx_rows(_xlsx(60), max_rows=60)) == 61
    blank_lines = ("a,b\n" + "\n" * 2000 + "x,y\n").encode()  # blank lines count towards the bound too
    with pytest.raises(DomainError):
        csv_rows(blank_lines, max_rows=50)


def test_a_picture_over_the_pixel_limit_is_refused(tmp_path):
    """A 110-megapixel PNG was taken as a photo (Pillow only warns below twice its limit): the size is
    checked before the picture is decoded."""
    big = io.BytesIO()
    Image.new("L", (8000, MAX_PIXELS // 8000 + 10)).save(big, "PNG")
    with pytest.raises(DomainError) as refused:
        save_photo(Upload(big.getvalue(), "huge.png"), store_id=1, taken_by_id=None, folder=tmp_path,
                   finding_id=None)
    assert refused.value.field == "photos" and "huge.png" in str(refused.value.message)
