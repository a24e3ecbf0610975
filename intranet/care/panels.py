"""Customer care's panels on the "my day" home (`intranet.web.panels`)."""
from __future__ import annotations

from intranet.care.calls import call_queue
from intranet.care.complaints import open_complaints
from intranet.care.questions import open_questions
from intranet.care.reminders import my_reminders
from intranet.web.panels import PanelContext, register_panel


def calls(ctx: PanelContext) -> dict:
    return {"calls_queue": call_queue(ctx.store.id, ctx.now, agent_id=ctx.user.id, limit=60), "now": ctx.now}


def questions(ctx: PanelContext) -> dict:
    return {"care_questions": open_questions(ctx.store.id, limit=8), "now": ctx.now}


def complaints(ctx: PanelContext) -> dict:
    return {"complaints": open_complaints(ctx.store.id, ctx.now, limit=8)}


def reminders(ctx: PanelContext) -> dict:
    return {"my_reminders": my_reminders(ctx.store.id, ctx.user.id, ctx.today, limit=8)}


def register() -> None:
    register_panel("calls", calls)
    register_panel("questions", questions)
    register_panel("complaints", complaints)
    register_panel("my_reminders", reminders)
