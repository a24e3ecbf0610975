"""Customer care: follow-up calls, complaints, reminders, customer files, lapsed customers, events, CSI.

The screens are the `views` package (its `BLUEPRINTS`); `init_app` registers them with the app."""
from __future__ import annotations


def init_app(app) -> None:
    """Wire the area into the app: its screens, label filters, home panels and reactions. Imported
    here, not with the package: importing intranet.care.models, as other areas do, must not pull in
    every view and form."""
    from flask_babel import lazy_gettext as _l

    from intranet.care import models, panels, reactions
    from intranet.care.views import BLUEPRINTS
    from intranet.care.views.reminders import message_status_labels, reminder_status_labels
    from intranet.web import add_label_filters

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    add_label_filters(app, {"call_kind_label": models.CallKind, "call_status_label": models.CallStatus,
                            "satisfaction_label": models.Satisfaction,
                            "attempt_outcome_label": models.AttemptOutcome}, empty="")
    add_label_filters(app, {"cp_status": models.ComplaintStatus, "cp_channel": models.ComplaintChannel,
                            "cp_category": models.ComplaintCategory, "cp_department": models.Department},
                      empty=_l("Not yet known"))
    add_label_filters(app, {"reminder_kind_label": models.ReminderKind, "lost_cause_label": models.LostCause,
                            "win_back_status_label": models.WinBackStatus,
                            "invitation_reply_label": models.InvitationReply,
                            "reminder_status_label": reminder_status_labels,
                            "message_status_label": message_status_labels})
    panels.register()
    reactions.connect()
