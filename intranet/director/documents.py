"""A round's report as a PDF for the file and for management: the areas' scores, every item's
answer, and the findings with their actions. Same fonts and grid as the repair-order PDF."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from intranet import clock
from intranet.director.models import ItemKind
from intranet.reception.documents import BODY, GRID, HEAD, TITLE, _text

FAILED = colors.HexColor("#fdeceb")


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


def round_pdf(round_, sheet, *, store) -> bytes:
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
            rows.append([Paragraph(_text(item.text), BODY), Paragraph(_text(answer_text(item, answer)), BODY),
                         Paragraph(_text(answer.note or "") if answer else "", BODY),
                         Paragraph(_text(f"{action.owner.display_name} · {when(action.due_at)} · "
                                         f"{action.status_enum.label}") if action else "", BODY)])
            if answer is not None and answer.passed is False:
                style.add("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), FAILED)
        story.append(Table(rows, colWidths=[70 * mm, 25 * mm, 45 * mm, 42 * mm], style=style, repeatRows=1))
    doc.build(story)
    return buffer.getvalue()
