"""Reception's panels on the "my day" home (`intranet.web.panels`)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from intranet.reception.appointments import appointments_between
from intranet.reception.services import waiting_findings
from intranet.web.panels import PanelContext, register_panel


def answers(ctx: PanelContext) -> dict:
    """Findings from the floor waiting for the customer's answer."""
    return {"answers": waiting_findings(ctx.store.id, advisor_id=ctx.user.id)}


def booked(ctx: PanelContext) -> dict:
    """The advisor's appointments today."""
    start = datetime.combine(ctx.today, time.min)
    return {"booked_today": appointments_between(ctx.store.id, start, start + timedelta(days=1), ctx.store.timezone,
                                                 advisor_id=ctx.user.id)}


def register() -> None:
    register_panel("answers", answers, live=True)
    register_panel("booked", booked)
