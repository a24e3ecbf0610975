"""Management: KPI definitions (kpis/), dashboards with drill-down and export, email digests."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.reports import panels, reactions, shown
    from intranet.reports.kpis import summary
    from intranet.reports.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    panels.register()
    shown.register()
    reactions.connect()
    summary.watch()  # a change to a past day's rows forgets that day's KPI summary
