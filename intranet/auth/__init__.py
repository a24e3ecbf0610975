"""Signing in, people's sessions and roles; who may open which page (`access`)."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire sign-in into the app: the access rule before every request, presence, `can_open` in
    templates, the sign-in pages."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from flask import request
    from flask_login import current_user

    from intranet.auth import access
    from intranet.auth.services import touch_last_seen
    from intranet.auth.views import bp
    from intranet.extensions import db
    from intranet.live.services import STORE_BOARD, bump, watch_repair_orders

    app.before_request(access.enforce_access)
    watch_repair_orders()  # the store board's counter (its "staff online" moves below)

    @app.before_request
    def note_presence():
        if current_user.is_authenticated and request.endpoint not in (None, "static"):
            came_online = touch_last_seen(current_user)
            if came_online:
                bump(current_user.store_id, "today", STORE_BOARD)
            if db.session.dirty or db.session.new or came_online:
                db.session.commit()

    @app.context_processor
    def access_context():
        return {"can_open": lambda endpoint, thing=None: access.can_open(current_user, endpoint, thing)}

    app.register_blueprint(bp)
