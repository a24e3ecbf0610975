"""The health card on the administrator's and the director's home (`intranet.web.panels`)."""
from __future__ import annotations

from intranet.health.services import check
from intranet.web.panels import PanelContext, register_panel


def health(ctx: PanelContext) -> dict:
    return {"health": check(ctx.config)}


def register() -> None:
    register_panel("health", health)
