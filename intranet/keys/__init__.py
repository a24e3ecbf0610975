"""Keys: the key board, tags, overnight cars and key collection."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.keys import views
    blueprints = [views.bp, views.tags_bp, views.overnight_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    from intranet.keys import reactions

    reactions.connect()
