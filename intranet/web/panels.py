"""Panels of the "my day" home. An area registers each panel it offers — a name and a loader that
returns the template values the panel's template (`core/panels/_<name>.html`) reads — and the home
(the composition layer, `intranet.home`) lays them out per role. The kernel knows none of them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from intranet import clock


@dataclass
class PanelContext:
    """What a panel's loader gets: whose home, in which store, and the app's settings."""

    store: object
    user: object
    role: object
    config: object = None
    now: datetime = field(default_factory=clock.utcnow)

    @cached_property
    def today(self) -> date:
        return clock.to_store_time(self.now, self.store.timezone).date()


@dataclass(frozen=True)
class Panel:
    name: str
    load: Callable[[PanelContext], dict]
    live: bool = False  # refreshes itself while the store-today board changes


PANELS: dict[str, Panel] = {}


def register_panel(name: str, load: Callable[[PanelContext], dict], *, live: bool = False) -> None:
    """Offer panel `name`; registering it again (another app in the same process) replaces it."""
    PANELS[name] = Panel(name, load, live)


def load_panels(names, context: PanelContext) -> dict:
    """The template values of the panels `names`, merged (a panel not registered shows nothing)."""
    data: dict = {}
    for name in names:
        panel = PANELS.get(name)
        if panel is not None:
            data.update(panel.load(context))
    return data
