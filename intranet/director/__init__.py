"""The director's floor and office: rounds, checklists, corrective actions, the day, insurers, equipment."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.director import day_views, office_views, views
    blueprints = [views.bp, views.checklists_bp, views.actions_bp, views.new_action_bp, day_views.bp, day_views.log_bp,
                  *office_views.BLUEPRINTS]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    from intranet.director import reactions

    reactions.connect()
