"""The workshop's panels on the "my day" home (`intranet.web.panels`)."""
from __future__ import annotations

from intranet.web.panels import PanelContext, register_panel
from intranet.workshop.services import my_jobs
from intranet.workshop.timecontrol import floor_summary


def technician_jobs(ctx: PanelContext) -> dict:
    return {"my_jobs": my_jobs(ctx.store.id, ctx.user.id)}


def floor(ctx: PanelContext) -> dict:
    return floor_summary(ctx.store.id)


def register() -> None:
    register_panel("my_jobs", technician_jobs)
    register_panel("workshop", floor)
