"""A round's report as a PDF for the file and for management: the areas' scores, every item's
answer, the findings with their actions and photos, and for the closing round the overnight cars and
the equipment cards checked. Same fonts and grid as the repair-order PDF."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intranet import clock
from intranet.director.models import ItemKind
from intranet.reception.documents import BODY, GRID, HEAD, TITLE, _text

FAILED = colors.HexColor("#fdeceb")
THUMB = 30 * mm  # the longer side of a finding's photo in the PDF


def _thumb(path) -> Image | None:
    """A photo drawn at thumbnail size, its proportions kept; None when the file is not a readable image."""
    try:
        picture = Image(str(path))
        width, height = picture.imageWidth, picture.imageHeight
    except OSError:
        return None
    scale = THUMB / max(width, height, 1)
    picture.drawWidth, picture.drawHeight = width * scale, height * scale
    return picture


def _photo_row(paths) -> Table | None:
    thumbs = [t for t in (_thumb(p) for p in paths) if t is not None]
    if not thumbs:
        return None
    return Table([thumbs[i:i + 2] for i in range(0, len(thumbs), 2)], hAlign="LEFT",
                 style=[("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 2)])


def answer_text(item, answer) -> str:
    if answer is None:
        return _("not answered")
    if item.kind == ItemKind.PASS_FAIL:
        return _("pass") if answer.passed else _("fail")
    if item.kind == ItemKind.SCORE:
        return f"{answer.score} / 5"
    if item.kind == ItemKind.NUMBER:
        return f"{answer.number.normalize():f} {item.unit or ''}".strip()
    return answer.text or ""


def round_pdf(round_, sheet, *, store, photos=None, closing=None) -> bytes:
    """`photos`: the files of each answer's photos, by answer id (`round_report.photo_files`);
    `closing`: the closing round's overnight cars and spot checks (`round_report.closing_part`)."""
    photos = photos or {}
    tz = store.timezone
    when = lambda value: clock.to_store_time(value, tz).strftime("%Y-%m-%d %H:%M") if value else "—"  # noqa: E731
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"{round_.slot.name} {round_.day}", author=store.name)
    story = [Paragraph(_text(f"{store.name} · {round_.slot.name} · {round_.day:%Y-%m-%d}"), TITLE),
             Paragraph(_text(_("Walked by %(name)s, %(start)s – %(end)s. Score %(score)s.",
                               name=round_.started_by.display_name if round_.started_by else "—",
                               start=when(round_.started_at), end=when(round_.finished_at),
                               score=f"{sheet.score:.1f}" if sheet.score is not None else "—")
                             + (" " + _("Not done in its time window.") if round_.missed else "")), BODY),
             Spacer(1, 4 * mm),
             Table([[_("Area"), _("Items"), _("Failed"), _("Score")]] +
                   [[_text(a.name), len(a.items), a.failed, f"{a.score:.1f}" if a.score is not None else "—"]
                    for a in sheet.areas], colWidths=[80 * mm, 30 * mm, 30 * mm, 30 * mm], style=GRID)]
    for area in sheet.areas:
        story.append(Paragraph(_text(area.name), HEAD))
        rows = [[_("Item"), _("Answer"), _("Note"), _("Action")]]
        style = TableStyle(GRID.getCommands())
        for item in area.items:
            answer = sheet.answers.get(item.id)
            action = sheet.actions.get(answer.id) if answer else None
            pictures = _photo_row(photos.get(answer.id, ())) if answer else None
            rows.append([[Paragraph(_text(item.text), BODY)] + ([pictures] if pictures else []),
                         Paragraph(_text(answer_text(item, answer)), BODY),
                         Paragraph(_text(answer.note or "") if answer else "", BODY),
                         Paragraph(_text(f"{action.owner.display_name} · {when(action.due_at)} · "
                                         f"{action.status_enum.label}") if action else "", BODY)])
            if answer is not None and answer.passed is False:
                style.add("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), FAILED)
        story.append(Table(rows, colWidths=[70 * mm, 25 * mm, 45 * mm, 42 * mm], style=style, repeatRows=1))
    if closing is not None:
        story += _closing_story(closing, when)
    doc.build(story)
    return buffer.getvalue()


def _closing_story(closing, when) -> list:
    story = [Paragraph(_text(_("Overnight cars: keys collected, parked in the designated area")), HEAD)]
    if closing.overnight:
        rows = [[_("Plate"), _("Repair order"), _("Key tag"), _("Parking spot"), _("Key collected")]]
        style = TableStyle(GRID.getCommands())
        for row in closing.overnight:
            record = row.record
            if not row.confirmed:
                confirmed = _("not confirmed")
            else:
                confirmed = when(record.key_confirmed_at) + (
                    f" {record.confirmed_by.display_name}" if record.confirmed_by else "")
            rows.append([Paragraph(_text(f"{row.ro.vehicle.plate} {row.ro.vehicle.model or ''}"), BODY),
                         Paragraph(_text(row.ro.number), BODY),
                         Paragraph(_text("、".join(tag.code for tag in row.tags) or "-"), BODY),
                         Paragraph(_text(row.spot or "-"), BODY), Paragraph(_text(confirmed), BODY)])
            if not row.confirmed:
                style.add("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), FAILED)
        story.append(Table(rows, colWidths=[42 * mm, 42 * mm, 24 * mm, 26 * mm, 48 * mm], style=style,
                           repeatRows=1))
    else:
        story.append(Paragraph(_text(_("No car stays overnight.")), BODY))
    story.append(Paragraph(_text(_("Equipment maintenance cards checked")), HEAD))
    if closing.spot_checks:
        rows = [[_("Equipment"), _("Maintenance card"), _("Note"), _("Checked at")]]
        style = TableStyle(GRID.getCommands())
        for check in closing.spot_checks:
            rows.append([Paragraph(_text(check.equipment.name + (f" ({check.equipment.location})"
                                                                 if check.equipment.location else "")), BODY),
                         Paragraph(_text(_("Card up to date") if check.card_ok else _("Not up to date")), BODY),
                         Paragraph(_text(check.note or ""), BODY), Paragraph(_text(when(check.checked_at)), BODY)])
            if not check.card_ok:
                style.add("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), FAILED)
        story.append(Table(rows, colWidths=[60 * mm, 32 * mm, 60 * mm, 30 * mm], style=style, repeatRows=1))
    else:
        story.append(Paragraph(_text(_("No equipment card was checked on this round.")), BODY))
    return story
