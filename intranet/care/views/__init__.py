"""Care's screens, one module per group of blueprints; `BLUEPRINTS` lists them all for
`intranet.care.init_app`. (The blueprints keep their own names, so every endpoint and URL is the
one it always was.)"""
from __future__ import annotations

from intranet.care.views import calls, complaints, csi, customers, events, lapsed, messages, reminders, settings

BLUEPRINTS = [
    *calls.BLUEPRINTS,  # calls, questions
    *customers.BLUEPRINTS,  # customer_files
    *complaints.BLUEPRINTS,  # complaints
    *reminders.BLUEPRINTS,  # reminders
    *messages.BLUEPRINTS,  # messages
    *lapsed.BLUEPRINTS,  # lapsed
    *events.BLUEPRINTS,  # events
    *csi.BLUEPRINTS,  # csi, csi_import
    *settings.BLUEPRINTS,  # care_settings
]
