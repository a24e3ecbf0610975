"""The parts store's panel on the "my day" home (`intranet.web.panels`)."""
from __future__ import annotations

from intranet.parts.services import desk_summary
from intranet.web.panels import PanelContext, register_panel


def desk(ctx: PanelContext) -> dict:
    return desk_summary(ctx.store.id, ctx.today)


def register() -> None:
    register_panel("parts", desk)
