"""The repair order, dispatch sheet and settlement as one document (三单合一): `print_sheet` composes
what it shows — the repair order, the walk-around with the customer's signature, the dispatch part
(jobs by team, technicians, clocked hours, the final inspection and its inspector), the findings,
the bill, payments and delivery — once, for the HTML page and for the PDF, so the two cannot drift.

Reception stands below the workshop: the dispatch part comes through `core.hooks.repair_order_progress`,
which the workshop answers (as for the repair order's page), never by importing the workshop.

The PDF has a QR code of the RO number. Chinese text uses the PDF standard CID font STSong-Light,
which every PDF reader provides, so nothing has to be embedded or installed."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from html import escape
from pathlib import Path

import segno
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intranet import clock
from intranet.core import hooks
from intranet.core.models import LineKind, PayType, Team
from intranet.reception import services, settlement
from intranet.reception.models import FindingStatus, OldParts, PaymentMethod

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


QR_MASK = 2  # a fixed mask pattern: segno otherwise tries all eight, for no gain on paper


class _Qr(Flowable):
    """A QR code drawn straight onto the page, one rectangle per run of dark modules in a row
    (reportlab's QrCodeWidget made a validated shape per module and searched the eight masks
    twice: a third of the PDF's time)."""

    def __init__(self, text: str, size: float):
        super().__init__()
        self.matrix = segno.make_qr(text, error="m", mask=QR_MASK).matrix  # never a Micro QR
        self.size = size

    def wrap(self, available_width, available_height):
        return self.size, self.size

    def draw(self):
        border = 4  # the quiet zone, in modules (as QrCodeWidget drew it)
        count = len(self.matrix) + 2 * border
        module = self.size / count
        canvas = self.canv
        canvas.setFillColor(colors.black)
        for row_index, row in enumerate(self.matrix):
            y = self.size - (row_index + border + 1) * module
            start = None
            for col_index, dark in enumerate([*row, 0]):
                if dark and start is None:
                    start = col_index
                elif not dark and start is not None:
                    canvas.rect((start + border) * module, y, (col_index - start) * module, module, stroke=0, fill=1)
                    start = None


def _qr(text: str, size: float = 26 * mm) -> Flowable:
    return _Qr(text, size)


# ------------------------------------------------------------------ what the document shows

@dataclass(frozen=True)
class DispatchJob:
    """A job of the dispatch part: its team, what it is, who worked on it and the hours."""

    team: str
    title: str
    technicians: list[str]
    clocked: float
    sold: Decimal
    rework_reason: str | None = None


@dataclass(frozen=True)
class InspectionResult:
    passed: bool
    inspector: str
    at: datetime
    attempt: int = 1
    reason: str | None = None


@dataclass
class PrintSheet:
    ro: object
    store: object
    bill: object
    payments: list
    delivery: object
    findings: list
    check: object  # the walk-around (WalkAround) or None
    jobs: list[DispatchJob] = field(default_factory=list)
    inspections: list[InspectionResult] = field(default_factory=list)
    signature_file: Path | None = None  # the customer's signature drawn at the walk-around

    @property
    def final_inspection(self) -> InspectionResult | None:
        return self.inspections[-1] if self.inspections else None

    @property
    def clocked(self) -> float:
        return sum(job.clocked for job in self.jobs)

    @property
    def sold(self) -> Decimal:
        return sum((job.sold for job in self.jobs), Decimal("0"))


def fuel_text(eighths: int | None) -> str:
    if eighths is None:
        return "—"
    return {0: _("empty"), 8: _("full")}.get(eighths, f"{eighths}/8")


def workshop_progress(ro) -> dict:
    """What the workshop does on the car (jobs, clocked hours, technicians who clocked, parts requests,
    inspections), as the areas above reception answer `hooks.repair_order_progress`."""
    progress = {"jobs": [], "clocked": {}, "technicians": {}, "requests": [], "inspections": []}
    for answer in hooks.repair_order_progress.send(repair_order=ro):
        progress.update(answer or {})
    return progress


def _team_label(team: str) -> str:
    try:
        return str(Team(team).label)
    except ValueError:
        return team


def print_sheet(ro, *, store, photo_folder: str | Path | None = None) -> PrintSheet:
    """Everything the combined document shows, read once."""
    progress = workshop_progress(ro)
    jobs = []
    for job in progress["jobs"]:
        names = list(progress["technicians"].get(job.id, []))
        if job.technician is not None and job.technician.display_name not in names:
            names.insert(0, job.technician.display_name)
        jobs.append(DispatchJob(_team_label(job.team), job.title, names, float(progress["clocked"].get(job.id, 0)),
                                Decimal(job.sold_hours or 0), job.rework_reason if job.rework_of_id else None))
    inspections = [InspectionResult(i.passed, i.inspector.display_name if i.inspector else "—", i.at,
                                    i.attempt or 1, i.reason) for i in progress["inspections"]]
    check = services.walk_around_of(ro.id)
    signature = None
    if check is not None and check.signature is not None and photo_folder:
        path = Path(photo_folder) / check.signature.path
        signature = path if path.is_file() else None
    return PrintSheet(ro=ro, store=store, bill=settlement.settlement(ro), payments=settlement.payments_of(ro.id),
                      delivery=settlement.delivery_of(ro.id), findings=services.findings_on(ro.id), check=check,
                      jobs=jobs, inspections=inspections, signature_file=signature)


# ------------------------------------------------------------------ the PDF

def _para(text) -> Paragraph:
    return Paragraph(escape(_text(text or "")), BODY)


def _signature_image(path: Path | None, height: float = 16 * mm) -> Image | None:
    if path is None:
        return None
    try:
        picture = Image(str(path))
        width, tall = picture.imageWidth, picture.imageHeight
    except OSError:  # not a readable image: the line stays empty to sign by hand
        return None
    scale = height / max(tall, 1)
    picture.drawWidth, picture.drawHeight = min(width * scale, 55 * mm), height
    return picture


def repair_order_pdf(sheet: PrintSheet) -> bytes:
    ro, store, bill, payments, delivery = sheet.ro, sheet.store, sheet.bill, sheet.payments, sheet.delivery
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
        story += [Paragraph(_("Customer's words"), HEAD), _para(ro.complaint)]
    check = sheet.check
    if check is not None:
        marks = "; ".join(f"{mark.panel_label}: {mark.kind_label}" + (f" ({mark.note})" if mark.note else "")
                          for mark in check.marks) or _("none")
        walk = [[_("Fuel level"), fuel_text(check.fuel_eighths), _("Valuables left in the car"), _para(check.valuables or "—")],
                [_("Damage"), _para(marks), "", ""]]
        if check.interior_note:
            walk.append([_("Interior"), _para(check.interior_note), "", ""])
        walk_table = Table([[_text(c) if isinstance(c, str) else c for c in row] for row in walk],
                           colWidths=[24 * mm, 66 * mm, 36 * mm, 56 * mm])
        walk_table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                        ("SPAN", (1, 1), (3, 1)), ("SPAN", (1, 2), (3, 2)),
                                        ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#4a5673")),
                                        ("TEXTCOLOR", (2, 0), (2, 0), colors.HexColor("#4a5673")),
                                        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dfe4ee"))]))
        story += [Paragraph(_("Walk-around check"), HEAD), walk_table]

    rows = [[_("Type"), _("Operation or part"), _("Hours / qty"), _("Unit price"), _("Amount"), _("Payer")]]
    for line in ro.lines:
        rows.append([_("Labour") if line.kind == LineKind.LABOUR else _("Part"),
                     Paragraph(escape(_text(line.description)) + (f" <font size=7>{escape(line.code)}</font>"
                                                                  if line.code else ""), BODY),
                     f"{line.quantity.normalize():f}", _money(line.unit_price), _money(line.amount),
                     str(PayType(line.pay_type).label)])
    lines = Table(rows, colWidths=[14 * mm, 72 * mm, 18 * mm, 24 * mm, 26 * mm, 28 * mm], repeatRows=1)
    lines.setStyle(GRID)
    lines.setStyle(TableStyle([("ALIGN", (2, 1), (4, -1), "RIGHT")]))
    story += [Paragraph(_("Work and parts"), HEAD), lines, Spacer(1, 3 * mm)]

    story += [Paragraph(_("Dispatch"), HEAD)]
    if sheet.jobs:
        job_rows = [[_("Team"), _("Job"), _("Technicians"), _("Clocked / sold h")]] + [
            [_text(job.team), _para(job.title + (f" — {_('rework')}: {job.rework_reason}" if job.rework_reason else "")),
             _para(", ".join(job.technicians) or _("not dispatched")), f"{job.clocked:.1f} / {job.sold:.1f}"]
            for job in sheet.jobs]
        job_rows.append(["", _text(_("Total")), "", f"{sheet.clocked:.1f} / {sheet.sold:.1f}"])
        job_table = Table(job_rows, colWidths=[22 * mm, 84 * mm, 46 * mm, 30 * mm], repeatRows=1)
        job_table.setStyle(GRID)
        job_table.setStyle(TableStyle([("ALIGN", (3, 1), (3, -1), "RIGHT")]))
        story += [job_table]
    else:
        story += [_para(_("No job dispatched yet."))]
    final = sheet.final_inspection
    story += [_para(_("Final inspection: %(result)s, %(inspector)s, %(when)s", result=_("passed") if final.passed
                      else _("failed"), inspector=final.inspector, when=when(final.at))
                    + (f" ({final.reason})" if final.reason else "")
                    + (" " + _("attempt %(n)s", n=final.attempt) if final.attempt > 1 else "")
                    if final else _("Final inspection: not yet"))]

    if sheet.findings:
        finding_rows = [[_("Found during repair"), _("Labour h"), _("Parts"), _("Customer's answer")]] + [
            [_para(f.description), f"{Decimal(f.labour_hours or 0):.1f}",
             _para((f.parts_description or "") + (f" {_money(f.parts_amount)}" if f.parts_amount else "")),
             _para(str(FindingStatus(f.status).label) + (f" ({f.decline_reason})" if f.decline_reason else ""))]
            for f in sheet.findings]
        finding_table = Table(finding_rows, colWidths=[78 * mm, 18 * mm, 44 * mm, 42 * mm], repeatRows=1)
        finding_table.setStyle(GRID)
        story += [Paragraph(_("Findings during repair"), HEAD), finding_table, Spacer(1, 3 * mm)]

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
    signed = _signature_image(sheet.signature_file)
    signed_by = ""
    if signed is not None and check is not None and (check.signed_name or check.signed_at):
        signed_by = _text(f"{check.signed_name or ''} {when(check.signed_at) if check.signed_at else ''}".strip())
    story += [Spacer(1, 8 * mm), KeepTogether([Table(
        [[_("Customer's signature"), signed or "", _("Advisor's signature"), ""], ["", signed_by, "", ""]],
        colWidths=[34 * mm, 56 * mm, 34 * mm, 58 * mm],
        style=TableStyle([("FONT", (0, 0), (-1, -1), FONT, 9.5), ("FONT", (0, 1), (-1, 1), FONT, 7.5),
                          ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
                          ("LINEBELOW", (1, 0), (1, 0), 0.5, colors.black),
                          ("LINEBELOW", (3, 0), (3, 0), 0.5, colors.black)]))])]
    doc.build(story)
    return buffer.getvalue()


def _method_label(value):
    return PaymentMethod(value).label
