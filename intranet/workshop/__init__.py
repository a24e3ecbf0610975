"""The workshop: jobs, dispatch, the technicians' tablets, time control, final inspection."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.workshop import views
    blueprints = [views.bp, views.dispatch_bp, views.tech_bp, views.qc_bp, views.manage_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    from intranet.workshop import reactions

    reactions.connect()
