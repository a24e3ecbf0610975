"""The parts store: catalogue, ledger, counter, pending parts, purchasing, counts, write-offs."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.parts.views import BLUEPRINTS  # the views import the plumbing, which imports no area
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
