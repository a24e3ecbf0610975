"""The workshop: jobs, dispatch, the technicians' tablets, time control, final inspection."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    # Imported here, not at the top: importing the package (say for its models) must not pull in
    # its panels, views and reactions and, through them, the plumbing and the areas they read.
    from intranet.web import add_label_filters
    from intranet.workshop import panels, reactions
    from intranet.workshop.models import JobStatus, PauseReason, Stage
    from intranet.workshop.views import BLUEPRINTS

    panels.register()
    add_label_filters(app, {"job_status_label": JobStatus, "pause_reason_label": PauseReason, "stage_label": Stage})
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    reactions.connect()
