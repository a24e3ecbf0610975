"""The composition layer: each role's "my day" home, laid out from the panels the areas register
(`intranet.web.panels`), and the pages that bring several areas together — finding a car, the
customer's and the car's file, notices. It may import any area; nothing imports it but the app
factory."""
from __future__ import annotations

from intranet.home import layouts
from intranet.home.views import bp, records_bp


def init_app(app) -> None:
    layouts.register_panels()
    app.register_blueprint(bp)
    app.register_blueprint(records_bp)
