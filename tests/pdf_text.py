"""The text a reportlab PDF's pages write, for tests (no PDF library is installed): the page streams
are ASCII85 + Flate; the CID font's strings are UTF-16, the others Latin-1 — both readings are kept."""
from __future__ import annotations

import base64
import re
import zlib


def pdf_text(pdf: bytes) -> str:
    words = []
    for found in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        body = found.group(1).strip()
        try:
            page = zlib.decompress(base64.a85decode(body.rstrip(b"~>")))
        except (ValueError, zlib.error):  # an image
            continue
        for literal in re.finditer(rb"\(((?:\\.|[^\\)])*)\) Tj", page, re.S):
            raw = re.sub(rb"\\([0-7]{1,3}|.)", lambda m: bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit()
                         else m.group(1), literal.group(1))
            words += [raw.decode("utf-16-be", "replace"), raw.decode("latin-1")]
    return " ".join(words)
