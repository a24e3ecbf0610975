"""Management: KPI definitions (kpis.py), dashboards with drill-down and export, email digests.

Each view module lists its blueprints in `BLUEPRINTS`; the app registers them all."""
from __future__ import annotations

import importlib

VIEW_MODULES = ("dashboard_views", "digest_views")


def blueprints() -> list:
    found = []
    for name in VIEW_MODULES:
        found.extend(importlib.import_module(f"intranet.reports.{name}").BLUEPRINTS)
    return found


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    from intranet.reports import reactions

    reactions.connect()
