"""Management: KPI definitions (kpis/), dashboards with drill-down and export, email digests.

`views/__init__.py` lists the area's blueprints in `BLUEPRINTS`; `init_app` registers them."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.reports import panels

    panels.register()
    from intranet.reports.views import BLUEPRINTS  # importing the area (its models) loads no views

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    from intranet.reports import reactions

    reactions.connect()
