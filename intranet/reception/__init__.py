"""The advisors: appointments, check-in, the repair order, findings, settlement and delivery."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its blueprints (and what it registers with the kernel)."""
    from intranet.reception import panels

    panels.register()
    from intranet.reception.models import AnswerChannel, OldParts, PaymentMethod
    from intranet.web import add_label_filters

    add_label_filters(app, {"answer_channel_label": AnswerChannel, "payment_method_label": PaymentMethod,
                            "old_parts_label": OldParts})
    from intranet.reception.views import bp, findings_bp
    blueprints = [bp, findings_bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
