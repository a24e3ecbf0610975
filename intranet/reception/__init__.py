"""The advisors: appointments, check-in, the repair order, findings, settlement and delivery.

What it does tells the areas above it through `intranet.core.hooks` and `reception.hooks`."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, and what it registers with the layers below (label
    filters, home panels, reactions to hooks)."""
    # Imported here, not at the top: importing the package (say for its models, as Alembic and other
    # areas do) must not pull in its views, forms and panels.
    from intranet.reception import panels
    from intranet.reception.models import AnswerChannel, OldParts, PaymentMethod
    from intranet.reception.views import BLUEPRINTS
    from intranet.web import add_label_filters

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    add_label_filters(app, {"answer_channel_label": AnswerChannel, "payment_method_label": PaymentMethod,
                            "old_parts_label": OldParts})
    panels.register()
