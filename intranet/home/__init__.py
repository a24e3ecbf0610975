"""The composition layer: each role's "my day" home, laid out from the panels the areas register
(`intranet.web.panels`), and the pages that bring several areas together — finding a car, the
customer's and the car's file, notices. It may import any area; nothing imports it but the app
factory."""
from __future__ import annotations


def init_app(app) -> None:
    """The home's own panels and its pages."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.auth.access import mask_mobile
    from intranet.core.models import InsurerPayment
    from intranet.home import layouts
    from intranet.home.views import bp, records_bp
    from intranet.web import add_label_filters

    layouts.register_panels()
    app.add_template_filter(mask_mobile, "mask_mobile")
    add_label_filters(app, {"insurer_payment_label": InsurerPayment})
    for blueprint in (bp, records_bp):
        app.register_blueprint(blueprint)
