"""`/healthz`: database, Redis, worker and scheduler."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.health import panels

    panels.register()
    from intranet.health.views import bp
    blueprints = [bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
