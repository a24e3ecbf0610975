"""The director's floor and office: rounds, checklists, corrective actions, the day, insurers, equipment."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.director import panels

    panels.register()
    from intranet.director.models import ActionStatus, EquipmentKind, RoundStatus
    from intranet.web import add_label_filters

    add_label_filters(app, {"round_status_label": RoundStatus, "action_status_label": ActionStatus,
                            "equipment_kind_label": EquipmentKind})
    from intranet.director.views import BLUEPRINTS
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    from intranet.director import reactions

    reactions.connect()
