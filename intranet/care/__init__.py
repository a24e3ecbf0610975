"""Customer care: follow-up calls, complaints, reminders, customer files, lapsed customers, events, CSI.

Each view module lists its blueprints in `BLUEPRINTS`; the app registers them all."""
from __future__ import annotations

import importlib

VIEW_MODULES = ("calls_views", "customer_views", "complaint_views", "reminder_views", "csi_views")


def blueprints() -> list:
    found = []
    for name in VIEW_MODULES:
        found.extend(importlib.import_module(f"intranet.care.{name}").BLUEPRINTS)
    return found


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    from intranet.care import reactions

    reactions.connect()
