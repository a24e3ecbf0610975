"""The repair order, dispatch sheet and settlement as one PDF (三单合一), with a QR code of the RO
number. Chinese text uses the PDF standard CID font STSong-Light, which every PDF reader provides,
so nothing has to be embedded or installed."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intranet import clock
from intranet.core.models import LineKind, PayType
from intranet.reception.models import OldParts, PaymentMethod

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=20)
HEAD = ParagraphStyle("head", fontName=FONT, fontSize=11.5, leading=16, spaceBefore=6)
GRID = TableStyle([
    ("FONT", (0, 0), (-1, -1), FONT, 9),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa4b8")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f8")),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
])


# Characters the standard Chinese font lacks, and what it has instead.
_FONT_SAFE = str.maketrans({"·": "／", "✓": "√", "…": "...", "–": "-", "—": "-"})


def _text(value) -> str:
    return str(value).translate(_FONT_SAFE)


def _money(value) -> str:
    return f"¥{value:,.2f}"


def _qr(text: str, size: float = 26 * mm) -> Drawing:
    widget = QrCodeWidget(text)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def repair_order_pdf(ro, *, store, bill, payments, delivery) -> bytes:
    tz = store.timezone
    when = lambda value: clock.to_store_time(value, tz).strftime("%Y-%m-%d %H:%M") if value else "—"  # noqa: E731
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=ro.number, author=store.name)
    header = Table([[Paragraph(_text(f"{store.name}<br/>{_('Repair order · dispatch · settlement')}"), TITLE),
                     _qr(ro.number)]], colWidths=[150 * mm, 30 * mm])
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    customer = ro.customer
    facts = [
        [_("Repair order"), ro.number, _("Status"), str(ro.status_enum.label)],
        [_("Plate"), ro.vehicle.plate, _("Model"), ro.vehicle.model],
        [_("VIN"), ro.vehicle.vin or "—", _("Odometer"), f"{ro.odometer_km:,} km" if ro.odometer_km else "—"],
        [_("Customer"), customer.name if customer else "—", _("Mobile"), customer.mobile if customer else "—"],
        [_("In"), when(ro.opened_at), _("Promised delivery"), when(ro.promised_at)],
        [_("Advisor"), ro.advisor.display_name if ro.advisor else "—", _("Key tag"), ro.key_tag or "—"],
    ]
    if ro.insurer:
        facts.append([_("Insurer"), ro.insurer, _("Claim number"), ro.claim_number or "—"])
    if ro.warranty_claim_ref:
        facts.append([_("Warranty claim"), ro.warranty_claim_ref, "", ""])
    facts = [[_text(cell) for cell in row] for row in facts]
    facts_table = Table(facts, colWidths=[28 * mm, 62 * mm, 30 * mm, 62 * mm])
    facts_table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9),
                                     ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#4a5673")),
                                     ("TEXTCOLOR", (2, 0), (2, -1), colors.HexColor("#4a5673")),
                                     ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dfe4ee"))]))
    story = [header, Spacer(1, 4 * mm), facts_table]
    if ro.complaint:
        story += [Paragraph(_("Customer's words"), HEAD), Paragraph(ro.complaint, BODY)]

    rows = [[_("Type"), _("Operation or part"), _("Hours / qty"), _("Unit price"), _("Amount"), _("Payer")]]
    for line in ro.lines:
        rows.append([_("Labour") if line.kind == LineKind.LABOUR else _("Part"),
                     Paragraph(line.description + (f" <font size=7>{line.code}</font>" if line.code else ""), BODY),
                     f"{line.quantity.normalize():f}", _money(line.unit_price), _money(line.amount),
                     str(PayType(line.pay_type).label)])
    lines = Table(rows, colWidths=[14 * mm, 72 * mm, 18 * mm, 24 * mm, 26 * mm, 28 * mm], repeatRows=1)
    lines.setStyle(GRID)
    lines.setStyle(TableStyle([("ALIGN", (2, 1), (4, -1), "RIGHT")]))
    story += [Paragraph(_("Work and parts"), HEAD), lines, Spacer(1, 3 * mm)]

    sums = [[_("Labour"), _money(bill.totals.labour)], [_("Parts"), _money(bill.totals.parts)],
            [_("VAT"), _money(bill.totals.tax)], [_("Total incl. VAT"), _money(bill.totals.gross)]]
    for payer in bill.payers:
        share = bill.totals.by_payer.get(payer)
        sums.append([_("%(payer)s: share / paid / due", payer=payer.label),
                     f"{_money(share.gross if share else 0)} / {_money(bill.paid.get(payer, 0))} / "
                     f"{_money(bill.due(payer))}"])
    sums_table = Table(sums, colWidths=[110 * mm, 72 * mm])
    sums_table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9.5), ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                    ("FONT", (0, 3), (-1, 3), FONT, 11.5),
                                    ("LINEABOVE", (0, 3), (-1, 3), 0.6, colors.black)]))
    story += [sums_table]

    if payments:
        pay_rows = [[_("Paid"), _("Payer"), _("Method"), _("Amount"), _("Reference")]] + [
            [when(p.received_at), str(PayType(p.payer).label), str(_method_label(p.method)), _money(p.amount),
             p.reference or ""] for p in payments]
        pay_table = Table(pay_rows, colWidths=[34 * mm, 26 * mm, 36 * mm, 30 * mm, 56 * mm])
        pay_table.setStyle(GRID)
        story += [Paragraph(_("Payments"), HEAD), pay_table]
    if delivery:
        story += [Paragraph(_("Delivery"), HEAD), Paragraph(_text(
            f"{when(delivery.delivered_at)} · {_('work explained')} ✓ · {_('car clean')} ✓ · {_('keys returned')} ✓ · "
            f"{_('Old parts')}: {OldParts(delivery.old_parts).label}"), BODY)]
    story += [Spacer(1, 12 * mm), Table(
        [[_("Customer's signature"), "", _("Advisor's signature"), ""]],
        colWidths=[34 * mm, 56 * mm, 34 * mm, 58 * mm],
        style=TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9.5),
                          ("LINEBELOW", (1, 0), (1, 0), 0.5, colors.black),
                          ("LINEBELOW", (3, 0), (3, 0), 0.5, colors.black)]))]
    doc.build(story)
    return buffer.getvalue()


def _method_label(value):
    return PaymentMethod(value).label
