"""The parts store: catalogue, ledger, counter, pending parts, purchasing, counts, write-offs."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.parts import panels

    panels.register()
    from intranet.parts.views import BLUEPRINTS  # importing the area (its models) loads no views
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    from intranet.parts import reactions

    reactions.connect()
