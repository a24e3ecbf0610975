"""Keys: the key board, tags, overnight cars and key collection."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.keys import reactions
    from intranet.keys.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    reactions.connect()
