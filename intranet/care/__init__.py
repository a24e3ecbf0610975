"""Customer care: follow-up calls, complaints, reminders, customer files, lapsed customers, events, CSI.

The screens are the `views` package (its `BLUEPRINTS`); `init_app` registers them with the app."""
from __future__ import annotations

import importlib

def blueprints() -> list:
    # The screens (intranet.care.views) are imported when the app is built, not with the package:
    # importing intranet.care.models, as other areas do, must not pull in every view and form.
    return list(importlib.import_module("intranet.care.views").BLUEPRINTS)


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.care import panels

    panels.register()
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    from intranet.care import reactions

    reactions.connect()
