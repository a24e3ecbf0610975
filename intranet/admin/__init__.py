"""The administrator's pages: staff, store settings, jobs, the audit log."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.admin import audit  # noqa: F401  (its page is on the admin blueprint)
    from intranet.admin.views import bp

    for blueprint in (bp,):
        app.register_blueprint(blueprint)
