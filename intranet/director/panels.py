"""The director's area's panels on the "my day" home (`intranet.web.panels`)."""
from __future__ import annotations

from intranet.director.actions import counts, my_actions
from intranet.director.rounds import day_schedule
from intranet.web.panels import PanelContext, register_panel


def actions(ctx: PanelContext) -> dict:
    """The corrective actions the person owns."""
    return {"my_actions": my_actions(ctx.store.id, ctx.user.id, limit=8), "now": ctx.now}


def rounds(ctx: PanelContext) -> dict:
    return {"round_schedule": day_schedule(ctx.store, ctx.today, ctx.now), "action_counts": counts(ctx.store.id, ctx.now)}


def register() -> None:
    register_panel("my_actions", actions)
    register_panel("rounds", rounds)
