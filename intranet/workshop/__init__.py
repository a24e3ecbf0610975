"""The workshop: jobs, dispatch, the technicians' tablets, time control, final inspection."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.web import add_label_filters
    from intranet.workshop import panels, reactions
    from intranet.workshop.models import JobStatus, PauseReason, Stage
    from intranet.workshop.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    add_label_filters(app, {"job_status_label": JobStatus, "pause_reason_label": PauseReason, "stage_label": Stage})
    panels.register()
    reactions.connect()
