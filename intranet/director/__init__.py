"""The director's floor and office: rounds, checklists, corrective actions, the day, insurers, equipment."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.director import panels, reactions
    from intranet.director.models import ActionStatus, EquipmentKind, RoundStatus
    from intranet.director.views import BLUEPRINTS
    from intranet.web import add_label_filters

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    add_label_filters(app, {"round_status_label": RoundStatus, "action_status_label": ActionStatus,
                            "equipment_kind_label": EquipmentKind})
    panels.register()
    reactions.connect()
