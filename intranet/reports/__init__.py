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
